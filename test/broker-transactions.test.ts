// The transaction coordinator with real transactional clients (python confluent-kafka on
// librdkafka 2.0.2, kafkajs): fencing by a second producer with the same transactional.id,
// consume-transform-produce committing the group's offsets only with the transaction,
// transaction.timeout.ms, and the errors Kafka gives requests it does not accept (raw frames,
// which no real client would send).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startTempBroker } from './helpers/temp-broker.js'
import { RawClient } from './helpers/raw-client.js'
import { waitFor } from './helpers/wait.js'
import { PythonSession, python } from './helpers/python-txn.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { ErrorCode } from '../src/protocol/error-codes.js'
import { buildBatch } from '../src/protocol/record-batch/index.js'

let broker: RunningBroker
let client: KafkaClient

before(async () => {
  broker = await startTempBroker({ defaultPartitions: 1 })
  client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'tx-broker-test' })
})
after(async () => {
  await client.close()
  await broker.close()
})

/** The values a read_committed read from offset 0 of every partition hands out. */
async function committedValues (topic: string): Promise<string[]> {
  const ends = await client.endOffsets(topic)
  const readings = await client.readFrom(topic, ends.map((_, partition) => ({ partition, offset: 0 })))
  return readings.flatMap(r => r.records.map(rec => rec.value!.toString())).sort()
}

const FENCE = `
import sys
from confluent_kafka import Producer, KafkaException
bs, topic = sys.argv[1], sys.argv[2]
a = Producer({'bootstrap.servers': bs, 'transactional.id': 'fence-id'})
a.init_transactions(30)
a.begin_transaction()
a.produce(topic, value=b'from-a', partition=0)
a.flush(30)
b = Producer({'bootstrap.servers': bs, 'transactional.id': 'fence-id'})
b.init_transactions(30)
try:
    a.produce(topic, value=b'from-a-late', partition=1)
    a.commit_transaction(30)
    print('a committed')
except KafkaException as e:
    print('a failed', e.args[0].name(), e.args[0].fatal())
b.begin_transaction()
b.produce(topic, value=b'from-b', partition=0)
b.commit_transaction(30)
print('b committed')
`

test('python: a second producer with the same transactional.id fences the first — its open transaction is aborted, its next request fails with the fatal _FENCED, the id keeps its producer id with the epoch bumped, and read_committed sees only the second producer\'s records', async () => {
  await client.ensureTopic('fence', 2)
  const out = (await python(FENCE, [broker.bootstrap, 'fence'])).trim().split('\n')
  assert.deepEqual(out, ['a failed _FENCED True', 'b committed'])
  const meta = broker.core.transactions.describe('fence-id')!
  assert.equal(meta.producerEpoch, 1, 'one bump: the second init, which aborted the first producer\'s transaction')
  assert.equal(meta.state, 'CompleteCommit')
  assert.deepEqual(await committedValues('fence'), ['from-b'])
  // from-a is in the log (aborted), not lost: read_uncommitted would see it.
  assert.equal(broker.core.logs.getTopic('fence')!.partitions[0].abortedTransactions(0, 100).length, 1)
})

const TRANSFORM = `
import sys
from confluent_kafka import Producer, Consumer
bs, src, dst, group, outcome, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
c = Consumer({'bootstrap.servers': bs, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False, 'isolation.level': 'read_committed'})
c.subscribe([src])
p = Producer({'bootstrap.servers': bs, 'transactional.id': 'transform-' + group})
p.init_transactions(30)
got = []
while len(got) < want:
    for m in c.consume(100, 1.0):
        if m.error(): raise Exception(m.error())
        got.append(m)
p.begin_transaction()
for m in got: p.produce(dst, value=m.value().upper() + b'-' + outcome.encode(), partition=m.partition())
p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
if outcome == 'commit': p.commit_transaction(30)
else: p.abort_transaction(30)
print(outcome, len(got))
c.close()
`

test('python consume-transform-produce (send_offsets_to_transaction): an aborted transaction leaves the group\'s committed offset where it was and its output unseen; a committed one moves the offset to the end and its output appears', async () => {
  await client.ensureTopic('ctp-in', 1)
  await client.ensureTopic('ctp-out', 1)
  await client.produce(Array.from({ length: 10 }, (_, i) => ({ topic: 'ctp-in', value: `v${i}` })))
  assert.equal((await python(TRANSFORM, [broker.bootstrap, 'ctp-in', 'ctp-out', 'ctp', 'abort', '10'])).trim(), 'abort 10')
  assert.equal((await client.committedOffsets('ctp', 'ctp-in')).get(0) ?? -1, -1, 'nothing committed by the aborted transaction')
  assert.deepEqual(await committedValues('ctp-out'), [])
  assert.equal((await python(TRANSFORM, [broker.bootstrap, 'ctp-in', 'ctp-out', 'ctp', 'commit', '10'])).trim(), 'commit 10', 'the second run starts from the start again')
  assert.equal((await client.committedOffsets('ctp', 'ctp-in')).get(0), 10)
  assert.deepEqual(await committedValues('ctp-out'), Array.from({ length: 10 }, (_, i) => `V${i}-commit`).sort())
})

const SLOW = `
import sys
from confluent_kafka import Producer, KafkaException
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'slow', 'transaction.timeout.ms': 3000})
p.init_transactions(30)
p.begin_transaction()
p.produce(sys.argv[2], value=b'too-slow', partition=0)
p.flush(30)
print('open')
sys.stdin.readline()
try:
    p.commit_transaction(30)
    print('committed')
except KafkaException as e:
    print('failed', e.args[0].name(), e.args[0].fatal())
`

test('python: a transaction open longer than its transaction.timeout.ms is aborted by the broker (the LSO moves past it) and the producer, fenced by the bumped epoch, fails to commit it', async () => {
  await client.ensureTopic('slow', 1)
  const session = new PythonSession(SLOW, [broker.bootstrap, 'slow'])
  const raw = await RawClient.connect(broker.port)
  try {
    await session.line('open')
    const log = broker.core.logs.getTopic('slow')!.partitions[0]
    assert.ok(log.lastStableOffset < log.logEndOffset, 'open')
    const latestCommitted = async (): Promise<number> => {
      const res = await raw.request(2, 7, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'slow', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] })
      return Number(res.topics[0].partitions[0].offset)
    }
    await waitFor(async () => await latestCommitted() === log.logEndOffset, { what: 'the broker to abort the timed-out transaction', timeoutMs: 30_000 })
    session.send('commit')
    const outcome = await session.line('failed')
    assert.equal(outcome, 'failed _FENCED True', 'fatal: fenced by the epoch the abort bumped')
    assert.deepEqual(await committedValues('slow'), [])
  } finally {
    session.kill()
    raw.close()
  }
})

test('kafkajs: a transaction commits and the next one aborts; read_committed sees the first only', async () => {
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'tx-kafkajs', logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ transactionalId: 'tx-kafkajs', idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    const kept = await producer.transaction()
    await kept.send({ topic: 'tx-kafkajs', messages: [{ value: 'kept-1' }, { value: 'kept-2' }] })
    await kept.commit()
    const dropped = await producer.transaction()
    await dropped.send({ topic: 'tx-kafkajs', messages: [{ value: 'dropped' }] })
    await dropped.abort()
  } finally {
    await producer.disconnect()
  }
  assert.deepEqual(await committedValues('tx-kafkajs'), ['kept-1', 'kept-2'])
})

test('what Kafka refuses, refused the same way (raw frames): a timeout above transaction.max.timeout.ms, Produce to a partition not added to the transaction, a transactional batch without a transactional id, AddPartitionsToTxn naming a missing partition, EndTxn with nothing open, a stale epoch', async () => {
  await client.ensureTopic('raw-tx', 1)
  const raw = await RawClient.connect(broker.port)
  try {
    const init = (timeoutMs: number): Promise<any> => raw.request(22, 4, { transactionalId: 'raw-tx', transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 })
    assert.equal((await init(900_001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    const { producerId, producerEpoch } = await init(60_000)
    const batch = buildBatch([{ value: 'x' }], { transactional: true, producerId, producerEpoch, baseSequence: 0 })
    const produce = (transactionalId: string | null): Promise<any> => raw.request(0, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: 'raw-tx', partitionData: [{ index: 0, records: batch }] }] })
    assert.equal((await produce('raw-tx')).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_TXN_STATE)
    assert.equal((await produce(null)).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD)
    const add = await raw.request(24, 3, { v3AndBelowTransactionalId: 'raw-tx', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: 'raw-tx', partitions: [0, 7] }] })
    assert.deepEqual(add.resultsByTopicV3AndBelow[0].resultsByPartition.map((p: { partitionErrorCode: number }) => p.partitionErrorCode), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION])
    const end = (epoch: number): Promise<any> => raw.request(26, 3, { transactionalId: 'raw-tx', producerId, producerEpoch: epoch, committed: true })
    assert.equal((await end(producerEpoch)).errorCode, ErrorCode.INVALID_TXN_STATE, 'nothing was added, so nothing is open')
    assert.equal((await end(producerEpoch - 1)).errorCode, ErrorCode.PRODUCER_FENCED)
    assert.equal(broker.core.logs.getTopic('raw-tx')!.partitions[0].logEndOffset, 0, 'nothing stored')
  } finally {
    raw.close()
  }
})

test('offsets held by a transaction (raw frames): TxnOffsetCommit before AddOffsetsToTxn is INVALID_TXN_STATE; once held, OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT and without it the old offset; EndTxn commit makes them the group\'s', async () => {
  await client.ensureTopic('stable-tx', 1)
  const raw = await RawClient.connect(broker.port)
  try {
    const { producerId, producerEpoch } = await raw.request(22, 4, { transactionalId: 'stable-tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 })
    const hold = (): Promise<any> => raw.request(28, 3, {
      transactionalId: 'stable-tx', groupId: 'stable', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'stable-tx', partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: '' }] }]
    })
    assert.equal((await hold()).topics[0].partitions[0].errorCode, ErrorCode.INVALID_TXN_STATE)
    assert.equal((await raw.request(25, 3, { transactionalId: 'stable-tx', producerId, producerEpoch, groupId: 'stable' })).errorCode, ErrorCode.NONE)
    assert.equal((await hold()).topics[0].partitions[0].errorCode, ErrorCode.NONE)
    const fetchOffset = async (requireStable: boolean): Promise<[number, number]> => {
      const p = (await raw.request(9, 7, { groupId: 'stable', topics: [{ name: 'stable-tx', partitionIndexes: [0] }], requireStable })).topics[0].partitions[0]
      return [Number(p.committedOffset), p.errorCode]
    }
    assert.equal((await fetchOffset(true))[1], ErrorCode.UNSTABLE_OFFSET_COMMIT)
    assert.deepEqual(await fetchOffset(false), [-1, ErrorCode.NONE])
    assert.equal((await raw.request(26, 3, { transactionalId: 'stable-tx', producerId, producerEpoch, committed: true })).errorCode, ErrorCode.NONE)
    assert.deepEqual(await fetchOffset(true), [3, ErrorCode.NONE])
  } finally {
    raw.close()
  }
})
