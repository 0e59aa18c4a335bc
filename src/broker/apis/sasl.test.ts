import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startTempBroker } from '../testing/temp-broker.js'

const users = { alice: 's3cret' }

test('SASL/PLAIN: the right password produces and consumes, a wrong one is refused', async () => {
  const broker = await startTempBroker({ saslPlainUsers: users })
  try {
    const good = new Kafka({ brokers: [broker.bootstrap], clientId: 'sasl-ok', logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password: 's3cret' }, retry: { retries: 0 } })
    const producer = good.producer()
    await producer.connect()
    await producer.send({ topic: 'secure', messages: [{ value: 'hello' }] })
    await producer.disconnect()
    const admin = good.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets('secure')
    assert.equal(offsets.reduce((n, p) => n + Number(p.high), 0), 1)
    await admin.disconnect()

    const bad = new Kafka({ brokers: [broker.bootstrap], clientId: 'sasl-bad', logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password: 'wrong' }, retry: { retries: 0 } })
    const badProducer = bad.producer()
    await assert.rejects(badProducer.connect(), /SASL|authentication|Authentication/)

    const none = new Kafka({ brokers: [broker.bootstrap], clientId: 'no-sasl', logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 })
    const noneProducer = none.producer()
    await assert.rejects(async () => {
      await noneProducer.connect()
      await noneProducer.send({ topic: 'secure', messages: [{ value: 'x' }] })
    })
    await noneProducer.disconnect().catch(() => {})
  } finally {
    await broker.close()
  }
})
