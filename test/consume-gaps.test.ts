// Offsets that are not there: records deleted under the consumer (DeleteRecords, as retention or
// an operator does it) put its position outside the log, and it starts again at the function's
// startFrom; compacted topics have gaps inside and between batches, which are stepped over.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { KafkaClient } from '../src/kafka/client.js'
import type { GroupSubscription } from '../src/kafka/subscription.js'
import type { KafkaRecord } from '../src/kafka/client.js'
import { buildBatch } from '../src/protocol/record-batch/index.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { appendToStoppedLog } from './helpers/log-files.js'
import { run, tempDir } from './helpers/processes.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'

/** Polls (committing as it goes) until the partition's position reaches `end`. */
async function drain (sub: GroupSubscription, end: number, maxRecords = 1000): Promise<KafkaRecord[]> {
  const out: KafkaRecord[] = []
  let at = -1
  const deadline = Date.now() + 60_000
  while (at < end) {
    if (Date.now() > deadline) throw new Error(`stopped at ${at} of ${end}`)
    const polled = await sub.poll({ maxRecords, maxWaitMs: 300 })
    out.push(...polled.records)
    for (const p of polled.positions) at = p.offset
    if (polled.positions.length > 0) await sub.commit(polled.positions.map(p => ({ topic: sub.topic, ...p })))
  }
  return out
}

async function kafkajsAdmin (bootstrap: string): Promise<Admin> {
  const admin = new Kafka({ brokers: [bootstrap], clientId: 'gaps-admin', logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  return admin
}

test('records deleted under a live consumer (kafkajs deleteTopicRecords) past where it has fetched: it continues from the new log start (startFrom earliest), skips nothing that still exists, repeats nothing, and commits the end', async () => {
  const broker = await startTempBroker({ defaultPartitions: 1 })
  const client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'gaps-test' })
  const admin = await kafkajsAdmin(broker.bootstrap)
  const dir = tempDir()
  try {
    // 24 MB: far more than the consumer fetches ahead of what it hands out (docs/architecture.md, "Consumption").
    const total = 60_000
    fs.writeFileSync(path.join(dir, 'records'), Array.from({ length: total }, (_, i) => `${i} ${'x'.repeat(390)}`).join('\n') + '\n')
    const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'trimmed', '-l', path.join(dir, 'records')], { timeoutMs: 120_000 })
    assert.equal(produced.code, 0, produced.stderr)
    const sub = await client.subscribe({ groupId: 'g', topics: ['trimmed'], startFrom: 'earliest' })
    try {
      const first = await sub.poll({ maxRecords: 50, maxWaitMs: 5000 })
      assert.equal(first.records[0].offset, 0)
      const deleteBefore = 50_000
      await admin.fetchTopicMetadata({ topics: ['trimmed'] })
      await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: String(deleteBefore) }] })
      const rest = await drain(sub, total)
      const offsets = [...first.records, ...rest].map(r => r.offset)
      const jump = offsets.findIndex((o, i) => i > 0 && o !== offsets[i - 1] + 1)
      assert.ok(jump > 0, 'the position fell outside the log once')
      assert.deepEqual(offsets.slice(0, jump), Array.from({ length: jump }, (_, i) => i), 'contiguous up to what had been fetched')
      assert.ok(jump < deleteBefore, `the deletion overtook the consumer (it had fetched up to ${jump})`)
      assert.deepEqual(offsets.slice(jump), Array.from({ length: total - deleteBefore }, (_, i) => deleteBefore + i), 'then every record from the new log start, once')
      assert.equal(sub.stats.resets, 1)
      for (const r of rest) assert.equal(r.value!.toString().split(' ')[0], String(r.offset))
    } finally {
      await sub.close()
    }
    assert.equal((await client.committedOffsets('g', 'trimmed')).get(0), total)
  } finally {
    await admin.disconnect()
    await client.close()
    await broker.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a group whose committed position was deleted, with startFrom latest: it starts at the log end, commits it before any record arrives, and gets what is produced afterwards', async () => {
  const broker = await startTempBroker({ defaultPartitions: 1 })
  const client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'gaps-test' })
  const admin = await kafkajsAdmin(broker.bootstrap)
  try {
    const produce = async (values: string[]): Promise<void> => {
      const r = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'gone'], { input: values.join('\n') + '\n' })
      assert.equal(r.code, 0, r.stderr)
    }
    await produce(Array.from({ length: 100 }, (_, i) => `old-${i}`))
    await admin.setOffsets({ groupId: 'late', topic: 'gone', partitions: [{ partition: 0, offset: '10' }] })
    await admin.fetchTopicMetadata({ topics: ['gone'] })
    await admin.deleteTopicRecords({ topic: 'gone', partitions: [{ partition: 0, offset: '50' }] })
    const sub = await client.subscribe({ groupId: 'late', topics: ['gone'], startFrom: 'latest' })
    try {
      const reset = await drain(sub, 100)
      assert.deepEqual(reset, [], 'nothing of what was there')
      assert.equal((await client.committedOffsets('late', 'gone')).get(0), 100, 'the new position is committed at once')
      await produce(['new-0', 'new-1', 'new-2'])
      const fresh = await drain(sub, 103)
      assert.deepEqual(fresh.map(r => [r.offset, r.value!.toString()]), [[100, 'new-0'], [101, 'new-1'], [102, 'new-2']])
    } finally {
      await sub.close()
    }
    assert.equal((await client.committedOffsets('late', 'gone')).get(0), 103)
  } finally {
    await admin.disconnect()
    await client.close()
    await broker.close()
  }
})

test('a compacted partition (gaps inside batches, between batches, and a batch whose records were all removed; placed in the log by the test): every remaining record comes out once with its own offset, from the start and from a position inside a gap', async () => {
  const dataDir = tempDir()
  const first = await startTempBroker({ dataDir, defaultPartitions: 1 })
  const seed = new KafkaClient({ settings: plaintextSettings([first.bootstrap]), clientId: 'compacted-test' })
  await seed.produce([{ topic: 'compacted', value: 'first' }])
  await seed.close()
  await first.close()
  const values = (names: string[]): { value: string }[] => names.map(value => ({ value }))
  assert.equal(appendToStoppedLog(dataDir, 'compacted', 0, buildBatch(values(['a0', 'a3', 'a7']), { offsetDeltas: [0, 3, 7], lastOffsetDelta: 9 })), 1)
  assert.equal(appendToStoppedLog(dataDir, 'compacted', 0, buildBatch(values(['b0', 'b1'])), 5), 16)
  assert.equal(appendToStoppedLog(dataDir, 'compacted', 0, buildBatch([], { lastOffsetDelta: 4 })), 18)
  assert.equal(appendToStoppedLog(dataDir, 'compacted', 0, buildBatch(values(['d']))), 23)

  const broker = await startTempBroker({ dataDir, defaultPartitions: 1 })
  const client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'compacted-test' })
  const admin = await kafkajsAdmin(broker.bootstrap)
  try {
    assert.deepEqual(await client.endOffsets('compacted'), [24])
    const sub = await client.subscribe({ groupId: 'all', topics: ['compacted'], startFrom: 'earliest' })
    try {
      const got = await drain(sub, 24)
      assert.deepEqual(got.map(r => [r.offset, r.value!.toString()]), [[0, 'first'], [1, 'a0'], [4, 'a3'], [8, 'a7'], [16, 'b0'], [17, 'b1'], [23, 'd']])
    } finally {
      await sub.close()
    }
    assert.equal((await client.committedOffsets('all', 'compacted')).get(0), 24)

    await admin.setOffsets({ groupId: 'in-gap', topic: 'compacted', partitions: [{ partition: 0, offset: '12' }] })
    const mid = await client.subscribe({ groupId: 'in-gap', topics: ['compacted'], startFrom: 'earliest' })
    try {
      assert.deepEqual((await drain(mid, 24)).map(r => r.offset), [16, 17, 23])
    } finally {
      await mid.close()
    }
  } finally {
    await admin.disconnect()
    await client.close()
    await broker.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
