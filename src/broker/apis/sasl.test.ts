import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startTempBroker } from '../../../test/helpers/temp-broker.js'

const users = { alice: 's3cret' }

test('SASL/PLAIN: the right password produces and consumes, a wrong one and none are refused', async () => {
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
    const consumer = good.consumer({ groupId: 'sasl-readers', maxWaitTimeInMs: 200 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'secure', fromBeginning: true })
    const got = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no record consumed over SASL within 60 s')), 60_000)
      void consumer.run({ eachMessage: async ({ message }) => { clearTimeout(timer); resolve(message.value!.toString()) } })
    })
    await consumer.disconnect()
    assert.equal(got, 'hello', 'the record produced over SASL is consumed over SASL')

    const bad = new Kafka({ brokers: [broker.bootstrap], clientId: 'sasl-bad', logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password: 'wrong' }, retry: { retries: 0 } })
    const badProducer = bad.producer()
    await assert.rejects(badProducer.connect(), (err: Error) => /SASL PLAIN authentication failed|Authentication failed|SASL_AUTHENTICATION_FAILED/i.test(`${err.name} ${err.message}`), 'a wrong password is refused by SASL')

    const none = new Kafka({ brokers: [broker.bootstrap], clientId: 'no-sasl', logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 })
    const noneProducer = none.producer()
    // Without SASL the broker closes the connection at the first request past ApiVersions.
    await assert.rejects(async () => {
      await noneProducer.connect()
      await noneProducer.send({ topic: 'secure', messages: [{ value: 'x' }] })
    }, (err: Error) => /Closed connection|Connection error|ECONNRESET|connection.*closed|KafkaJSNumberOfRetriesExceeded|KafkaJSConnectionError/i.test(`${err.name} ${err.message}`))
    await noneProducer.disconnect().catch(() => {})
    const after = await good.admin()
    await after.connect()
    assert.equal((await after.fetchTopicOffsets('secure')).reduce((n, p) => n + Number(p.high), 0), 1, 'nothing was written without SASL')
    await after.disconnect()
  } finally {
    await broker.close()
  }
})
