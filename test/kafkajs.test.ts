// kafkajs 2.x: non-flexible protocol versions (Produce v7, Fetch v11, JoinGroup v5…).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel, CompressionTypes, type Consumer } from 'kafkajs'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { waitFor } from './helpers/wait.js'

let broker: RunningBroker
let kafka: Kafka

before(async () => {
  broker = await startTempBroker()
  kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
})

after(async () => { await broker.close() })

test('two kafkajs consumers in one group share the partitions; every gzip-compressed record arrives exactly once', async () => {
  const topic = 'kjs-orders'
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 10 }] })
  const received = new Map<string, string[]>()
  const consumers: Consumer[] = []
  try {
    for (const name of ['a', 'b']) {
      const c = kafka.consumer({ groupId: 'kjs-group', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 })
      await c.connect()
      await c.subscribe({ topic, fromBeginning: true })
      received.set(name, [])
      await c.run({ eachMessage: async ({ message }) => { received.get(name)!.push(message.value!.toString()) } })
      consumers.push(c)
    }
    await waitFor(async () => {
      const d = await admin.describeGroups(['kjs-group'])
      return d.groups[0].state === 'Stable' && d.groups[0].members.length === 2
    }, { what: 'a stable group of two', timeoutMs: 60_000 })

    const producer = kafka.producer()
    await producer.connect()
    const sent = Array.from({ length: 200 }, (_, i) => `order-${i}`)
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: sent.map((value, i) => ({ key: `customer-${i}`, value })) })
    await producer.disconnect()

    const all = (): string[] => [...received.values()].flat()
    await waitFor(() => all().length >= sent.length, { what: '200 records consumed', timeoutMs: 60_000 })
    assert.deepEqual(all().sort(), [...sent].sort(), 'each record exactly once')
    assert.ok(received.get('a')!.length > 0 && received.get('b')!.length > 0, 'both members consumed')

    await waitFor(async () => {
      const o = await admin.fetchOffsets({ groupId: 'kjs-group', topics: [topic] })
      const ends = await admin.fetchTopicOffsets(topic)
      return o[0].partitions.every(p => Number(ends.find(e => e.partition === p.partition)!.high) === Math.max(0, Number(p.offset)))
    }, { what: 'kafkajs commits to reach the end offsets', timeoutMs: 30_000 })
    const committed = (await admin.fetchOffsets({ groupId: 'kjs-group', topics: [topic] }))[0].partitions
    assert.equal(committed.length, 10, 'a committed position for every partition')
    assert.equal(committed.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0), sent.length, 'the committed offsets add up to the records produced')
    assert.ok(committed.filter(p => Number(p.offset) > 0).length > 1, 'records (and commits) are spread over several partitions')
  } finally {
    for (const c of consumers) await c.disconnect()
    await admin.disconnect()
  }
})
