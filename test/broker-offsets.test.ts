// Committed offsets as Kafka answers them: OffsetCommit to a partition that does not exist,
// commits from a member while its group prepares a rebalance (a consumer committing what it
// owns on revocation), and the leader epoch committed with an offset coming back from
// OffsetFetch v5+. Real clients: python confluent-kafka (librdkafka 2.0.2), @platformatic/kafka.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { PYTHON, run } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

let broker: RunningBroker

before(async () => { broker = await startTempBroker({ defaultPartitions: 4 }) })
after(async () => { await broker.close() })

async function python (script: string, ...args: string[]): Promise<string> {
  const r = await run(PYTHON, ['-c', script, broker.bootstrap, ...args], { timeoutMs: 120_000 })
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`)
  return r.stdout
}

const UNKNOWN = `
import sys
from confluent_kafka import Consumer, TopicPartition, KafkaException, Producer
bootstrap = sys.argv[1]
p = Producer({'bootstrap.servers': bootstrap})
p.produce('offsets-known', b'v', partition=0)
assert p.flush(30) == 0
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'committer', 'enable.auto.commit': False})
try:
    c.commit(offsets=[TopicPartition('offsets-known', 0, 1), TopicPartition('offsets-no-such-topic', 0, 5), TopicPartition('offsets-known', 99, 5)], asynchronous=False)
    print('commit: ok')
except KafkaException as e:
    print('commit:', e.args[0].name())
for t in c.committed([TopicPartition('offsets-known', 0), TopicPartition('offsets-no-such-topic', 0)], timeout=30):
    print('committed:', t.topic, t.partition, t.offset)
c.close()
`

test('OffsetCommit to an unknown topic or partition answers UNKNOWN_TOPIC_OR_PARTITION and stores nothing for it; the known partition is committed', async () => {
  const out = (await python(UNKNOWN)).trim().split('\n')
  assert.equal(out[0], 'commit: UNKNOWN_TOPIC_OR_PART', 'the commit reports the unknown partitions')
  assert.deepEqual(out.slice(1), ['committed: offsets-known 0 1', 'committed: offsets-no-such-topic 0 -1001'], 'the known partition is committed; nothing is stored for the unknown topic')
  assert.equal(broker.core.logs.getTopic('offsets-no-such-topic'), undefined, 'a commit does not create topics')
})

const REVOKE = `
import sys, time
from confluent_kafka import Consumer, TopicPartition, KafkaException, Producer
bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({'bootstrap.servers': bootstrap})
for i in range(40): p.produce(topic, b'v%d' % i, partition=i % 4)
assert p.flush(30) == 0
outcome = []
def revoked(consumer, parts):
    # Committing what it owns on revocation: the group is PreparingRebalance, waiting for this
    # member to rejoin.
    if not parts: return
    try:
        consumer.commit(offsets=[TopicPartition(topic, tp.partition, 7) for tp in parts], asynchronous=False)
        outcome.append('ok')
    except KafkaException as e:
        outcome.append(e.args[0].name())
conf = {'bootstrap.servers': bootstrap, 'group.id': 'revokers', 'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'heartbeat.interval.ms': 500}
a = Consumer(conf)
a.subscribe([topic], on_revoke=revoked)
deadline = time.time() + 90
while not a.assignment() and time.time() < deadline: a.poll(0.2)
b = Consumer(conf)
b.subscribe([topic])
while (not outcome or not b.assignment()) and time.time() < deadline:
    a.poll(0.1)
    b.poll(0.1)
print('revoke commit:', outcome)
print('committed:', [t.offset for t in b.committed([TopicPartition(topic, i) for i in range(4)], timeout=30)])
a.close()
b.close()
`

test('a member may commit while its group prepares a rebalance: the commit on revocation succeeds and a successor sees it', async () => {
  const out = (await python(REVOKE, 'offsets-revoke')).trim().split('\n')
  assert.equal(out[0], "revoke commit: ['ok']", 'the commit in the revocation callback is accepted')
  assert.equal(out[1], 'committed: [7, 7, 7, 7]', 'every revoked partition was committed')
})

test('OffsetFetch v5+ returns the leader epoch an offset was committed with (@platformatic/kafka)', async () => {
  const topic = 'offsets-epochs'
  const producer = new Producer({ clientId: 'epoch-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, autocreateTopics: true })
  const consumer = new Consumer({ groupId: 'epoch-group', clientId: 'epoch-consumer', bootstrapBrokers: [broker.bootstrap], deserializers: stringDeserializers, maxWaitTime: 200 })
  const admin = new Admin({ clientId: 'epoch-admin', bootstrapBrokers: [broker.bootstrap] })
  try {
    await producer.send({ messages: [{ topic, value: 'x', partition: 0 }] })
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false } as any)
    stream.on('data', () => {})
    await waitFor(() => consumer.assignments !== null && consumer.assignments.length > 0, { what: 'the consumer to be assigned', timeoutMs: 60_000 })
    await consumer.commit({ offsets: [{ topic, partition: 0, offset: 1n, leaderEpoch: 7 }, { topic, partition: 1, offset: 0n, leaderEpoch: -1 }] })
    const [group] = await admin.listConsumerGroupOffsets({ groups: ['epoch-group'] })
    const partitions = group.topics.find(t => t.name === topic)!.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex)
    assert.deepEqual(partitions.map(p => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch]), [[0, 1n, 7], [1, 0n, -1]])
    await stream.close()
  } finally {
    await consumer.close(true)
    await producer.close()
    await admin.close()
  }
})
