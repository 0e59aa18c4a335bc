// A real full disk: the broker's data directory on a 20 MB tmpfs. Produce with acks=all until
// the disk is full, free space, produce 2,000 more: every acknowledged record is readable, in
// contiguous unique offsets, before and after a kill -9 and restart; a full disk answers
// KAFKA_STORAGE_ERROR on a connection that stays usable.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { Kafka, logLevel } from 'kafkajs'
import { BrokerProcess, run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { RawClient } from './helpers/raw-client.js'

const TOPIC = 'full'
const VALUE_PAD = 'x'.repeat(1000)

function mountTmpfs (dir: string, size: string): void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' })
  if (r.status !== 0) {
    throw new Error(`this test fills a real disk: it needs 'mount -t tmpfs' (as root, where mounting is permitted), which failed: ${r.error?.message ?? r.stderr.trim()}`)
  }
}

/** The Kafka error type anywhere in a kafkajs error's chain. */
function errorType (err: unknown): string {
  let e = err as { type?: string, originalError?: unknown, cause?: unknown, errors?: unknown[] } | undefined
  for (let i = 0; i < 10 && e !== undefined && e !== null; i++) {
    if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type
    e = (e.originalError ?? e.cause ?? e.errors?.[0]) as typeof e
  }
  return `untyped: ${String(err)}`
}

/** Every stored record as "partition offset value", read by kcat from the start. */
async function readAll (bootstrap: string): Promise<{ partition: number, offset: number, value: string }[]> {
  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', TOPIC, '-e', '-q', '-f', '%p %o %s\\n'], { timeoutMs: 120_000 })
  assert.equal(r.code, 0, r.stderr)
  // Sorted: kcat interleaves partitions in whatever order their fetches come back.
  return r.stdout.split('\n').filter(l => l !== '').map(l => {
    const [p, o, v] = l.split(' ')
    return { partition: Number(p), offset: Number(o), value: v }
  }).sort((a, b) => a.partition - b.partition || a.offset - b.offset)
}

function assertContiguous (records: { partition: number, offset: number }[]): void {
  for (const p of [0, 1]) {
    const offsets = records.filter(r => r.partition === p).map(r => r.offset).sort((a, b) => a - b)
    assert.ok(offsets.length > 0, `partition ${p} holds records`)
    offsets.forEach((o, i) => assert.equal(o, i, `partition ${p}: offsets are contiguous and unique (at index ${i})`))
  }
}

test('a full disk refuses produces with KAFKA_STORAGE_ERROR and loses nothing acknowledged; appends resume when space returns, also after kill -9', async () => {
  const mnt = tempDir('tidewatch-full-')
  mountTmpfs(mnt, '20m')
  let broker: BrokerProcess | undefined
  try {
    // A filler file on the same disk, deleted later to give space back.
    const filler = path.join(mnt, 'filler')
    fs.writeFileSync(filler, Buffer.alloc(3 * 1024 * 1024, 1))
    const dataDir = path.join(mnt, 'data')
    broker = await BrokerProcess.start(dataDir, ['--segment-bytes', '1048576'])
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'disk-full', logLevel: logLevel.NOTHING, retry: { retries: 0 } })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] })
    await admin.disconnect()
    const producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false })
    await producer.connect()

    const acked: string[] = []
    const failures: string[] = []
    let n = 0
    let sends = 0
    // One batch of 100 records of ~1 KB per send, each to one partition, so a send is either
    // acknowledged or not as a whole.
    const send = async (): Promise<boolean> => {
      const values = Array.from({ length: 100 }, () => `v${n++}-${VALUE_PAD}`)
      const partition = sends++ % 2
      try {
        await producer.send({ topic: TOPIC, acks: -1, messages: values.map(value => ({ value, partition })) })
        acked.push(...values)
        return true
      } catch (err) {
        failures.push(errorType(err))
        return false
      }
    }
    for (let i = 0; i < 400 && failures.length === 0; i++) await send()
    assert.ok(failures.length > 0, 'the disk filled up')
    assert.ok(acked.length > 5000, `records were acknowledged before the disk filled (${acked.length})`)
    // Still full: more produces fail the same way, on the same connection.
    for (let i = 0; i < 5; i++) assert.equal(await send(), false, 'the disk is still full')
    assert.deepEqual([...new Set(failures)], ['KAFKA_STORAGE_ERROR'], 'a full disk is a storage error, not a closed connection')

    // An offset commit on the full disk (the last bytes taken too) is refused with
    // KAFKA_STORAGE_ERROR on an open connection, and nothing half-written is left behind.
    const last = path.join(mnt, 'last-bytes')
    const fd = fs.openSync(last, 'w')
    try { for (;;) fs.writeSync(fd, Buffer.alloc(4096, 2)) } catch {}
    fs.closeSync(fd)
    const raw = await RawClient.connect(broker.port)
    const commit = async (offset: number): Promise<number[]> => {
      const res = await raw.request(8, 8, { groupId: 'full-disk-group', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }] })
      return res.topics.flatMap((t: { partitions: { errorCode: number }[] }) => t.partitions.map(p => p.errorCode))
    }
    assert.deepEqual(await commit(7), [56], 'a commit on a full disk is KAFKA_STORAGE_ERROR')
    fs.rmSync(last)

    // Space returns: the next 2,000 records are all acknowledged, and commits work again.
    fs.rmSync(filler)
    assert.deepEqual(await commit(9), [0])
    const fetched = await raw.request(9, 8, { groups: [{ groupId: 'full-disk-group', topics: null }] })
    assert.equal(fetched.groups[0].topics[0].partitions[0].committedOffset, 9)
    raw.close()
    const before = acked.length
    for (let i = 0; i < 20; i++) assert.equal(await send(), true, `send ${i} after space returned: ${failures.at(-1)}`)
    assert.equal(acked.length - before, 2000)
    await producer.disconnect()

    const stored = await readAll(broker.bootstrap)
    const values = new Set(stored.map(r => r.value))
    assert.equal(values.size, stored.length, 'no record is stored twice')
    const missing = acked.filter(v => !values.has(v))
    assert.equal(missing.length, 0, `${missing.length} acknowledged records are not readable, e.g. ${missing[0]?.slice(0, 12)}`)
    assert.equal(stored.length, acked.length, 'nothing unacknowledged was stored')
    assertContiguous(stored)

    const full = broker
    await waitFor(() => /append failed.*ENOSPC|ENOSPC.*append failed/.test(full.stderr), { what: 'the broker to log the failed append' })

    // kill -9 and restart: recovery keeps exactly the same records at the same offsets.
    broker.child.kill('SIGKILL')
    await broker.exited
    broker = await BrokerProcess.start(dataDir, ['--segment-bytes', '1048576'])
    const restarted = broker
    await waitFor(() => restarted.stderr.includes('broker listening'), { what: 'the start-up log' })
    assert.doesNotMatch(broker.stderr, /torn tail/, 'no partial batch was left on disk for recovery to cut')
    const again = await readAll(broker.bootstrap)
    assert.deepEqual(again, stored)
  } finally {
    await broker?.stop('SIGKILL')
    spawnSync('umount', ['-l', mnt])
    fs.rmSync(mnt, { recursive: true, force: true })
  }
})
