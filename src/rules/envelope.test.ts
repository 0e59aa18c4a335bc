import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnvelope } from './envelope.js'

const KAFKA_TS = 1_700_000_000_000

test('Fluent Bit and Fluentd (kubernetes filter / metadata plugin): kubernetes.* fields, pod labels sanitised, log, time', () => {
  const r = readEnvelope(JSON.stringify({
    '@timestamp': 1732252800.5,
    time: '2024-11-22T05:20:00.123456789Z',
    stream: 'stderr',
    log: 'boom\n',
    kubernetes: { pod_name: 'web-1', namespace_name: 'shop', container_name: 'nginx', host: 'node-1', container_image: 'nginx:1.27', labels: { app: 'web', 'app.kubernetes.io/name': 'web', '1st': 'x', namespace: 'not-this' } }
  }), KAFKA_TS)
  assert.deepEqual({ ...r.labels }, { app: 'web', app_kubernetes_io_name: 'web', _1st: 'x', namespace: 'shop', pod: 'web-1', container: 'nginx', host: 'node-1', image: 'nginx:1.27', stream: 'stderr' })
  assert.equal(r.line, 'boom')
  assert.equal(r.ts, Date.parse('2024-11-22T05:20:00.123Z'), 'time first, to the millisecond')
})

test('Vector (kubernetes_logs): pod_namespace, pod_node_name, pod_labels, message, timestamp', () => {
  const r = readEnvelope(JSON.stringify({ message: 'GET / 200', timestamp: '2024-11-22T05:20:01Z', stream: 'stdout', kubernetes: { pod_name: 'api-1', pod_namespace: 'shop', container_name: 'api', pod_node_name: 'node-2', container_image: 'api:2', pod_labels: { app: 'api' } } }), KAFKA_TS)
  assert.deepEqual({ ...r.labels }, { app: 'api', namespace: 'shop', pod: 'api-1', container: 'api', host: 'node-2', image: 'api:2', stream: 'stdout' })
  assert.equal(r.line, 'GET / 200')
  assert.equal(r.ts, Date.parse('2024-11-22T05:20:01Z'))
})

test('flat records (Tidewatch ingest, syslog shippers): top-level namespace, pod, host; epoch-second @timestamp', () => {
  const r = readEnvelope(JSON.stringify({ namespace: 'shop', pod: 'cart-1', hostname: 'vm-3', labels: { team: 'pay' }, message: 'hi\r\n', '@timestamp': 1732252800 }), KAFKA_TS)
  assert.deepEqual({ ...r.labels }, { team: 'pay', namespace: 'shop', pod: 'cart-1', host: 'vm-3' })
  assert.equal(r.line, 'hi')
  assert.equal(r.ts, 1732252800_000)
})

test('no log or message: the record\'s text is the line; no time: the Kafka timestamp; plain text is the line', () => {
  const doc = JSON.stringify({ namespace: 'shop', msg: 'x' })
  assert.equal(readEnvelope(doc, KAFKA_TS).line, doc)
  assert.equal(readEnvelope(doc, KAFKA_TS).ts, KAFKA_TS)
  const plain = readEnvelope('2024-11-22 ERROR something broke\n', KAFKA_TS)
  assert.deepEqual({ ...plain.labels }, {})
  assert.equal(plain.line, '2024-11-22 ERROR something broke')
  assert.equal(readEnvelope('{not json', KAFKA_TS).line, '{not json')
  assert.equal(readEnvelope(JSON.stringify({ time: 'yesterday', log: 'x' }), KAFKA_TS).ts, KAFKA_TS, 'an unreadable time falls back')
  assert.deepEqual({ ...readEnvelope(JSON.stringify({ labels: { __proto__: 'x', constructor: 'y' }, pod: { nested: 1 } }), 0).labels }, { constructor: 'y' }, 'names are data; objects are not label values')
})
