// read_committed on the consume path, against a real `tidewatch broker` process, with
// transactions written by a real transactional client (python confluent-kafka): records of
// aborted transactions are skipped and control batches (commit and abort markers) never come
// out, while every offset, markers included, is consumed and committed; the consumer stops at the
// last stable offset while a transaction is open and continues once it commits; a broker killed
// and restarted still knows the aborted ranges.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaClient } from '../src/kafka/client.js'
import type { GroupSubscription } from '../src/kafka/subscription.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { BrokerProcess, tempDir } from './helpers/processes.js'
import { CONSUME, PRODUCE_MIX, PythonSession, python } from './helpers/python-txn.js'

/** Polls (committing as it goes) until every partition's position reaches its end in `ends`. */
async function drain (sub: GroupSubscription, ends: number[]): Promise<string[]> {
  const values: string[] = []
  const at = ends.map(() => -1)
  const deadline = Date.now() + 60_000
  while (ends.some((end, p) => end > 0 && at[p] < end)) {
    if (Date.now() > deadline) throw new Error(`stopped at ${JSON.stringify(at)} of ${JSON.stringify(ends)}`)
    const polled = await sub.poll({ maxRecords: 100, maxWaitMs: 300 })
    for (const r of polled.records) values.push(r.value!.toString())
    for (const p of polled.positions) at[p.partition] = p.offset
    if (polled.positions.length > 0) await sub.commit(polled.positions.map(p => ({ topic: sub.topic, ...p })))
  }
  return values
}

async function withBroker (dataDir: string, body: (broker: BrokerProcess, client: KafkaClient) => Promise<void>, extraArgs: string[] = []): Promise<void> {
  const broker = await BrokerProcess.start(dataDir, extraArgs)
  const client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'tx-test' })
  try {
    await body(broker, client)
  } finally {
    await client.close()
    await broker.stop('SIGKILL')
  }
}

const lines = (out: string): string[] => out.split('\n').filter(l => l !== '')
const sorted = (values: string[]): string[] => [...values].sort()

test('committed and aborted transactions from python confluent-kafka, interleaved with plain records over 3 partitions: under read_committed the consume path hands out exactly the committed and plain records, never a marker, and commits every offset up to the end, markers included; a python read_committed consumer sees the same', async () => {
  const dataDir = tempDir()
  try {
    await withBroker(dataDir, async (broker, client) => {
      const { visible, aborted } = JSON.parse(await python(PRODUCE_MIX, [broker.bootstrap, 'tx-mix', '3', '6'])) as { visible: string[], aborted: string[] }
      assert.equal(aborted.length, 27)
      const ends = await client.endOffsets('tx-mix')
      // The aborted records are in the log: read_uncommitted sees them (so skipping them is the broker's and consumer's doing).
      const uncommitted = lines(await python(CONSUME, [broker.bootstrap, 'tx-mix', 'py-uncommitted', 'read_uncommitted']))
      assert.deepEqual(sorted(uncommitted), sorted([...visible, ...aborted]))

      const sub = await client.subscribe({ groupId: 'tw-committed', topics: ['tx-mix'], startFrom: 'earliest' })
      let got: string[]
      try {
        got = await drain(sub, ends)
      } finally {
        await sub.close()
      }
      assert.deepEqual(sorted(got), sorted(visible), 'exactly the committed and plain records, each once')
      const committed = await client.committedOffsets('tw-committed', 'tx-mix')
      assert.deepEqual([0, 1, 2].map(p => committed.get(p)), ends, 'committed past the last marker of every partition')

      const viaPython = lines(await python(CONSUME, [broker.bootstrap, 'tx-mix', 'py-committed', 'read_committed']))
      assert.deepEqual(sorted(viaPython), sorted(visible))
    })
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})

const OPEN_TXN = `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'held-open'})
p.init_transactions(30)
p.begin_transaction()
offsets = []
for i in range(3): p.produce(sys.argv[2], value=b'open-%d' % i, partition=0, on_delivery=lambda err, m: offsets.append(m.offset()))
p.flush(30)
print('open', min(offsets))
sys.stdin.readline()
p.commit_transaction(30)
print('committed')
`

test('while a transaction is open the consumer stops at its first offset (the LSO), even with later plain records in the log; once python commits it, the transaction\'s records and the later ones come out in order', async () => {
  const dataDir = tempDir()
  let producer: PythonSession | undefined
  try {
    await withBroker(dataDir, async (broker, client) => {
      await client.ensureTopic('tx-open', 1)
      await client.produce([{ topic: 'tx-open', value: 'before' }])
      producer = new PythonSession(OPEN_TXN, [broker.bootstrap, 'tx-open'])
      const lso = Number((await producer.line('open ')).split(' ')[1])
      assert.equal(lso, 1)
      await client.produce([{ topic: 'tx-open', value: 'after-open' }])
      const sub = await client.subscribe({ groupId: 'tw-open', topics: ['tx-open'], startFrom: 'earliest' })
      try {
        assert.deepEqual(await drain(sub, [lso]), ['before'])
        // The open transaction stays open until the test says so: nothing past it may come.
        for (let i = 0; i < 3; i++) {
          const polled = await sub.poll({ maxRecords: 100, maxWaitMs: 300 })
          assert.deepEqual(polled.records.map(r => r.value!.toString()), [], 'nothing at or past the LSO while the transaction is open')
          for (const p of polled.positions) assert.equal(p.offset, lso)
        }
        assert.equal((await client.committedOffsets('tw-open', 'tx-open')).get(0), lso)
        producer.send('commit')
        await producer.line('committed')
        // before, open-0..2, after-open, the commit marker.
        assert.deepEqual(await drain(sub, [lso + 5]), ['open-0', 'open-1', 'open-2', 'after-open'])
      } finally {
        await sub.close()
      }
      assert.equal((await client.committedOffsets('tw-open', 'tx-open')).get(0), lso + 5)
    })
  } finally {
    producer?.kill()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})

test('a broker killed (kill -9) and restarted keeps the aborted ranges, from its transaction index (small segments, so most of them were rolled) and from the last segment: a read_committed consumer after the restart, Tidewatch\'s and python\'s, still skips every aborted record', async () => {
  const dataDir = tempDir()
  try {
    let visible: string[] = []
    let ends: number[] = []
    await withBroker(dataDir, async (broker, client) => {
      visible = (JSON.parse(await python(PRODUCE_MIX, [broker.bootstrap, 'tx-restart', '2', '8'])) as { visible: string[] }).visible
      ends = await client.endOffsets('tx-restart')
    }, ['--segment-bytes', '1024'])
    // Rolled segments put their aborted ranges in the snapshot; it is what the restart starts from.
    const index = JSON.parse(fs.readFileSync(path.join(dataDir, 'topics', 'tx-restart', '0', 'txn-index'), 'utf8')) as { aborted: unknown[] }
    assert.ok(index.aborted.length > 0, 'aborted ranges in the transaction index of partition 0')
    assert.ok(fs.readdirSync(path.join(dataDir, 'topics', 'tx-restart', '0')).filter(f => f.endsWith('.log')).length > 2, 'several segments')

    await withBroker(dataDir, async (broker, client) => {
      assert.deepEqual(await client.endOffsets('tx-restart'), ends)
      const sub = await client.subscribe({ groupId: 'after-restart', topics: ['tx-restart'], startFrom: 'earliest' })
      try {
        assert.deepEqual(sorted(await drain(sub, ends)), sorted(visible))
      } finally {
        await sub.close()
      }
      const viaPython = lines(await python(CONSUME, [broker.bootstrap, 'tx-restart', 'py-after-restart', 'read_committed']))
      assert.deepEqual(sorted(viaPython), sorted(visible))
    }, ['--segment-bytes', '1024'])
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
