import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaClient } from './client.js'
import { startTempBroker } from '../../test/helpers/temp-broker.js'
import { plaintextSettings } from './connection-settings.js'

test('the Kafka interface produces, consumes in batches, commits, and reports end and committed offsets (against the embedded broker)', async () => {
  const broker = await startTempBroker()
  const client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'client-test' })
  try {
    await client.produce(Array.from({ length: 300 }, (_, i) => ({ topic: 'events', key: `k${i % 10}`, value: `v${i}`, headers: { n: String(i) } })))
    const ends = await client.endOffsets('events')
    assert.equal(ends.length, 10)
    assert.equal(ends.reduce((a, b) => a + b, 0), 300)

    const sub = await client.subscribe({ groupId: 'g', topics: ['events'], startFrom: 'earliest' })
    const seen = new Map<string, { offset: number, partition: number }>()
    const deadline = Date.now() + 30_000
    let maxBatch = 0
    while (seen.size < 300 && Date.now() < deadline) {
      const batch = await sub.nextBatch(1000, 500)
      maxBatch = Math.max(maxBatch, batch.length)
      for (const r of batch) {
        assert.equal(r.headers.n, r.value!.toString().slice(1))
        seen.set(r.value!.toString(), { offset: r.offset, partition: r.partition })
      }
    }
    assert.equal(seen.size, 300)
    assert.ok(maxBatch > 1, 'records arrive in batches')
    const next = new Map<number, number>()
    for (const { partition, offset } of seen.values()) next.set(partition, Math.max(next.get(partition) ?? 0, offset + 1))
    await sub.commit([...next].map(([partition, offset]) => ({ topic: 'events', partition, offset })))
    const committed = await client.committedOffsets('g', 'events')
    for (const [p, end] of ends.entries()) if (end > 0) assert.equal(committed.get(p), end)
    await sub.close()
  } finally {
    await client.close()
    await broker.close()
  }
})

test('a backlog far larger than one fetch is consumed completely (regression: the stream stalled after its first fetch)', async () => {
  const broker = await startTempBroker()
  const client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'backlog-test' })
  try {
    const value = 'x'.repeat(400)
    for (let i = 0; i < 40_000; i += 5000) await client.produce(Array.from({ length: 5000 }, () => ({ topic: 'backlog', value })))
    const sub = await client.subscribe({ groupId: 'g', topics: ['backlog'], startFrom: 'earliest' })
    let n = 0
    const deadline = Date.now() + 60_000
    while (n < 40_000 && Date.now() < deadline) n += (await sub.nextBatch(1000, 500)).length
    assert.equal(n, 40_000)
    await sub.close()
  } finally {
    await client.close()
    await broker.close()
  }
})
