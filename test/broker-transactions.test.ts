// Transactions are not supported; a transactional producer must learn it at once, with a fatal
// error that says so, instead of retrying COORDINATOR_NOT_AVAILABLE until its timeout.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { PYTHON, run } from './helpers/processes.js'

let broker: RunningBroker

before(async () => { broker = await startTempBroker() })
after(async () => { await broker.close() })

test('python confluent-kafka: init_transactions fails with a fatal TRANSACTIONAL_ID_AUTHORIZATION_FAILED naming the reason, not a timeout', async () => {
  const r = await run(PYTHON, ['-c', `
import sys
from confluent_kafka import Producer, KafkaException
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'tx-python'})
try:
    p.init_transactions(90)
    print('initialised')
except KafkaException as e:
    err = e.args[0]
    print(err.name(), err.fatal())
    print(err.str())
`, broker.bootstrap], { timeoutMs: 120_000 })
  assert.equal(r.code, 0, r.stderr)
  const [outcome, message] = r.stdout.trim().split('\n')
  assert.equal(outcome, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED True', 'fatal, so the application stops at once (a timeout would be _TIMED_OUT, retriable)')
  assert.match(message, /does not support transactions: produce without a transactional id/)
})

test('kafkajs: a transaction is refused after one FindCoordinator (TRANSACTIONAL_ID_AUTHORIZATION_FAILED is not retried); idempotent producing still works', async () => {
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'tx-kafkajs', logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ transactionalId: 'tx-kafkajs', idempotent: true, maxInFlightRequests: 1 })
  let lookups = 0
  producer.on(producer.events.REQUEST, e => { if (e.payload.apiName === 'GroupCoordinator' || e.payload.apiKey === 10) lookups++ })
  await producer.connect()
  try {
    // kafkajs reports any coordinator failure as KafkaJSGroupCoordinatorNotFound; what matters is
    // that it gave up at once instead of retrying (COORDINATOR_NOT_AVAILABLE is retried for ~13 s).
    await assert.rejects(producer.transaction(), (err: Error & { retriable?: boolean }) => err.name === 'KafkaJSGroupCoordinatorNotFound' && err.retriable === false)
    assert.equal(lookups, 1, 'one transaction coordinator lookup, no retries')
  } finally {
    await producer.disconnect()
  }
  const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await plain.connect()
  await plain.send({ topic: 'tx-fallback', messages: [{ value: 'fine' }] })
  await plain.disconnect()
  assert.equal(broker.core.logs.getTopic('tx-fallback')!.partitions.reduce((n, p) => n + p.logEndOffset, 0), 1)
})
