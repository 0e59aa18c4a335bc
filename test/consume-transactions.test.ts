// read_committed on the consume path: records of aborted transactions are skipped and control
// batches (commit and abort markers) never come out, while every offset, markers included, is
// consumed and committed. The embedded broker refuses transactions, so the transactional and
// control batches are built by the test and placed in a stopped broker's log, and the aborted
// transactions a transactional broker would list in its Fetch responses come from a proxy in
// front of it (test/helpers/kafka-proxy.ts) that knows what the test wrote.
import fs from 'node:fs'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { KafkaClient } from '../src/kafka/client.js'
import type { GroupSubscription } from '../src/kafka/subscription.js'
import { buildBatch } from '../src/protocol/record-batch/index.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { appendToStoppedLog } from './helpers/log-files.js'
import { KafkaProxy, type DeclaredAbort } from './helpers/kafka-proxy.js'
import { tempDir } from './helpers/processes.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'

const COMMIT = 1
const ABORT = 0

function txn (producerId: number, values: string[]): Buffer {
  return buildBatch(values.map(value => ({ value })), { transactional: true, producerId, producerEpoch: 0, baseSequence: 0 })
}

/** A transaction marker: key = version, type (0 abort, 1 commit); value = version, coordinator epoch. */
function marker (producerId: number, type: number): Buffer {
  const key = Buffer.alloc(4)
  key.writeInt16BE(type, 2)
  return buildBatch([{ key, value: Buffer.alloc(6) }], { control: true, transactional: true, producerId, producerEpoch: 0 })
}

async function drain (sub: GroupSubscription, end: number): Promise<string[]> {
  const values: string[] = []
  let at = -1
  const deadline = Date.now() + 30_000
  while (at < end) {
    if (Date.now() > deadline) throw new Error(`stopped at ${at} of ${end}`)
    const polled = await sub.poll({ maxRecords: 100, maxWaitMs: 300 })
    for (const r of polled.records) values.push(r.value!.toString())
    for (const p of polled.positions) at = p.offset
    if (polled.positions.length > 0) await sub.commit(polled.positions.map(p => ({ topic: sub.topic, ...p })))
  }
  return values
}

test('aborted transactions are skipped and markers never come out under read_committed, from the start and from a position inside an aborted transaction (batches placed in the log; aborted list from a proxy standing in for a transactional broker)', async () => {
  const dataDir = tempDir()
  const first = await startTempBroker({ dataDir, defaultPartitions: 1 })
  const seed = new KafkaClient({ settings: plaintextSettings([first.bootstrap]), clientId: 'tx-test' })
  await seed.produce([{ topic: 'tx', value: 'before' }])
  await seed.close()
  await first.close()

  const at: Record<string, number> = {}
  const place = (name: string, batch: Buffer): void => { at[name] = appendToStoppedLog(dataDir, 'tx', 0, batch) }
  place('t1', txn(10, ['c1', 'c2'])) // committed, in two batches
  place('t2', txn(11, ['a1', 'a2', 'a3'])) // aborted
  place('t1b', txn(10, ['c3']))
  place('commit10', marker(10, COMMIT))
  place('t3', txn(12, ['a4'])) // aborted, overlapping the one above
  place('abort11', marker(11, ABORT))
  place('t4', txn(13, ['c4']))
  place('abort12', marker(12, ABORT))
  place('commit13', marker(13, COMMIT))
  place('plain', buildBatch([{ value: 'after' }]))
  place('t5', txn(11, ['a5'])) // the same producer's next transaction, aborted too
  place('abort11b', marker(11, ABORT))
  place('end', buildBatch([{ value: 'end' }]))
  const end = at.end + 1
  const aborts: DeclaredAbort[] = [
    { topic: 'tx', partition: 0, producerId: 11, firstOffset: at.t2, lastOffset: at.abort11 },
    { topic: 'tx', partition: 0, producerId: 12, firstOffset: at.t3, lastOffset: at.abort12 },
    { topic: 'tx', partition: 0, producerId: 11, firstOffset: at.t5, lastOffset: at.abort11b }
  ]

  const broker = await startTempBroker({ dataDir, defaultPartitions: 1 })
  const proxy = await KafkaProxy.start({ host: broker.host, port: broker.port }, [1])
  proxy.aborts = aborts
  const client = new KafkaClient({ settings: plaintextSettings([proxy.bootstrap(1)]), clientId: 'tx-test' })
  const admin = new Kafka({ brokers: [broker.bootstrap], clientId: 'tx-admin', logLevel: logLevel.NOTHING }).admin()
  try {
    const sub = await client.subscribe({ groupId: 'from-start', topics: ['tx'], startFrom: 'earliest' })
    try {
      assert.deepEqual(await drain(sub, end), ['before', 'c1', 'c2', 'c3', 'c4', 'after', 'end'])
    } finally {
      await sub.close()
    }
    assert.equal((await client.committedOffsets('from-start', 'tx')).get(0), end, 'committed past the last marker')

    // A group whose position lies inside the first aborted transaction (after a1).
    await admin.connect()
    await admin.setOffsets({ groupId: 'mid-abort', topic: 'tx', partitions: [{ partition: 0, offset: String(at.t2 + 1) }] })
    const mid = await client.subscribe({ groupId: 'mid-abort', topics: ['tx'], startFrom: 'earliest' })
    try {
      assert.deepEqual(await drain(mid, end), ['c3', 'c4', 'after', 'end'])
    } finally {
      await mid.close()
    }
    assert.ok(proxy.fetches.some(f => f.errorCode === 0), 'the consumer fetched through the proxy')
  } finally {
    await admin.disconnect()
    await client.close()
    await proxy.close()
    await broker.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
