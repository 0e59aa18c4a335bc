// @platformatic/kafka 1.x: the client Tidewatch itself uses. It speaks only flexible (KIP-482)
// versions of most APIs, so this also covers the broker's flexible encodings.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { waitFor } from './helpers/wait.js'
import { groupOffsets } from './helpers/lag.js'

let broker: RunningBroker
let admin: Admin

before(async () => {
  broker = await startTempBroker()
  admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [broker.bootstrap] })
})

after(async () => {
  await admin.close()
  await broker.close()
})

async function produce (topic: string, values: string[], idempotent = false): Promise<void> {
  const producer = new Producer({ clientId: 'test-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, idempotent, autocreateTopics: true })
  try {
    await producer.send({ messages: values.map((value, i) => ({ topic, key: `k${i % 17}`, value })) })
  } finally {
    await producer.close()
  }
}

test('admin: create, list, describe configs of, and delete topics', async () => {
  await admin.createTopics({ topics: ['admin-topic'], partitions: 3, configs: [{ name: 'retention.ms', value: '3600000' }] })
  assert.ok((await admin.listTopics()).includes('admin-topic'))
  const [described] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'admin-topic' }] })
  const retention = described.configs.find(c => c.name === 'retention.ms')
  assert.equal(retention?.value, '3600000')
  await assert.rejects(admin.createTopics({ topics: ['admin-topic'], partitions: 1 }), 'creating it twice fails')
  await admin.deleteTopics({ topics: ['admin-topic'] })
  assert.ok(!(await admin.listTopics()).includes('admin-topic'))
})

test('idempotent producer, consumer group with commits, and correct lag from listOffsets + listConsumerGroupOffsets', async () => {
  const topic = 'plt-events'
  const sent = Array.from({ length: 500 }, (_, i) => `event-${i}`)
  await produce(topic, sent, true)
  assert.equal((await groupOffsets(broker.bootstrap, 'plt-group', topic)).reduce((n, p) => n + p.end, 0), 500)

  const consumer = new Consumer({ groupId: 'plt-group', clientId: 'test-consumer', bootstrapBrokers: [broker.bootstrap], deserializers: stringDeserializers, maxWaitTime: 200 })
  const received: string[] = []
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 100 } as any)
    stream.on('data', message => { received.push(message.value as string) })
    await waitFor(() => received.length >= 500, { what: '500 records consumed', timeoutMs: 60_000 })
    assert.deepEqual([...received].sort(), [...sent].sort())
    await waitFor(async () => (await groupOffsets(broker.bootstrap, 'plt-group', topic)).every(p => p.end === 0 || p.committed === p.end), { what: 'lag 0 after commits', timeoutMs: 30_000 })

    const groups = await admin.listGroups()
    assert.ok(groups.has('plt-group'))
    const described = (await admin.describeGroups({ groups: ['plt-group'] })).get('plt-group')!
    assert.equal(described.state, 'STABLE')
    assert.equal(described.members.size, 1)
    await stream.close()
  } finally {
    await consumer.close(true)
  }

  // With the group away, new records show up as lag, partition by partition.
  await produce(topic, ['late-1', 'late-2', 'late-3'])
  const lag = await groupOffsets(broker.bootstrap, 'plt-group', topic)
  assert.equal(lag.reduce((n, p) => n + (p.end - Math.max(0, p.committed)), 0), 3)
})

test('deleteRecords moves the log start offset', async () => {
  const topic = 'plt-trim'
  await admin.createTopics({ topics: [topic], partitions: 1 })
  await produce(topic, Array.from({ length: 10 }, (_, i) => `r${i}`))
  const [result] = await admin.deleteRecords({ topics: [{ name: topic, partitions: [{ partition: 0, offset: 6n }] }] } as any)
  assert.equal(Number((result as any).partitions[0].lowWatermark), 6)
  const earliest = await admin.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -2n }] }] })
  assert.equal(Number(earliest[0].partitions[0].offset), 6)
})
