// `tidewatch ingest` alone in front of a broker process (as a cluster's Kafka would be): the
// shippers' own client libraries send through it, each line lands in the topic with its labels,
// a broker that is gone makes requests fail with 503 (retried by shippers, nothing silently
// lost), and an exposed port needs a token.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Client } from '@elastic/elasticsearch'
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import winston from 'winston'
import LokiTransport from 'winston-loki'
import { BrokerProcess, CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { readTopic, type Shipped } from './helpers/tail.js'
import { waitFor } from './helpers/wait.js'
import { readEnvelope } from '../src/rules/envelope.js'

const TOPIC = 'shipped'
const NAMESPACE = 'shop'
const POD = 'cart-7d9f8b6c5-x2x7q'

let broker: BrokerProcess
let ingest: LineProcess
let url: string

before(async () => {
  broker = await BrokerProcess.start(tempDir('tidewatch-ingest-broker-'))
  ingest = new LineProcess(process.execPath, [CLI, 'ingest', '--brokers', broker.bootstrap, '--topic', TOPIC, '--port', '0'])
  const banner = await waitFor(() => {
    if (ingest.child.exitCode !== null) throw new Error(`tidewatch ingest exited with ${ingest.child.exitCode}: ${ingest.stderr}`)
    return ingest.lines.find(l => l.startsWith('tidewatch ingest: http://'))
  }, { what: 'tidewatch ingest to start', timeoutMs: 60_000 })
  url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]
})

after(async () => {
  await ingest?.stop()
  await broker?.stop()
})

async function recordWith (line: string): Promise<Shipped> {
  return await waitFor(async () => (await readTopic(broker.bootstrap, TOPIC)).find(r => r.doc.log === line), { what: `a record with '${line}' in ${TOPIC}`, timeoutMs: 30_000 })
}

const labelsOf = (r: Shipped): Record<string, string> => readEnvelope(JSON.stringify(r.doc), 0).labels

test('tidewatch ingest: the Elasticsearch bulk helper, a Loki push client and the OTLP protobuf exporter each land their lines in the topic with the labels they were sent with', async () => {
  const es = new Client({ node: url })
  try {
    const line = 'java.lang.IllegalStateException: cart is empty (es)'
    const result = await es.helpers.bulk({ datasource: [{ '@timestamp': '2024-05-01T12:00:00.000Z', log: line, stream: 'stderr', kubernetes: { namespace_name: NAMESPACE, pod_name: POD, container_name: 'cart' } }], onDocument: () => ({ create: { _index: 'k8s' } }) })
    assert.equal(result.successful, 1)
    assert.deepEqual(labelsOf(await recordWith(line)), { namespace: NAMESPACE, pod: POD, container: 'cart', stream: 'stderr' })
  } finally {
    await es.close()
  }

  const lokiLine = 'java.lang.IllegalStateException: cart is empty (loki)'
  const transport = new LokiTransport({ host: url, json: true, batching: false, gracefulShutdown: false, labels: { namespace: NAMESPACE, pod: POD, job: 'cart' }, format: winston.format.printf(i => String(i.message)), onConnectionError: err => { throw err } })
  const logger = winston.createLogger({ transports: [transport] })
  logger.error(lokiLine)
  assert.deepEqual(labelsOf(await recordWith(lokiLine)), { job: 'cart', level: 'error', namespace: NAMESPACE, pod: POD })
  logger.close()

  const otlpLine = 'java.lang.IllegalStateException: cart is empty (otlp)'
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'k8s.namespace.name': NAMESPACE, 'k8s.pod.name': POD, 'k8s.container.name': 'cart', 'k8s.node.name': 'node-1' }),
    processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) })]
  })
  provider.getLogger('cart').emit({ body: otlpLine, severityText: 'ERROR' })
  await provider.forceFlush()
  await provider.shutdown()
  assert.deepEqual(labelsOf(await recordWith(otlpLine)), { namespace: NAMESPACE, pod: POD, container: 'cart', host: 'node-1' })
})

test('tidewatch ingest refuses an exposed port without a token before connecting anywhere, and bad flags are one line', async () => {
  // Brokers on a port nobody listens on: the refusal comes first, so nothing waits for them.
  const exposed = await run(process.execPath, [CLI, 'ingest', '--host', '0.0.0.0', '--port', '0', '--brokers', '127.0.0.1:1'], { timeoutMs: 30_000, env: { TIDEWATCH_API_TOKEN: '' } })
  assert.equal(exposed.code, 2)
  assert.match(exposed.stderr, /refusing to serve the ingest APIs on 0\.0\.0\.0 without a token/)
  const bad = await run(process.execPath, [CLI, 'ingest', '--max-records', 'many'], { timeoutMs: 30_000 })
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--max-records/)
  assert.doesNotMatch(bad.stderr, /\n\s+at /)
})

test('tidewatch ingest with its broker gone answers 503 (which shippers retry) instead of acknowledging lines it did not store', async () => {
  await broker.stop('SIGKILL')
  const body = `${JSON.stringify({ create: { _index: 'k8s' } })}\n${JSON.stringify({ log: 'never acknowledged', kubernetes: { namespace_name: NAMESPACE, pod_name: POD } })}\n`
  const res = await waitFor(async () => {
    const r = await fetch(`${url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body, signal: AbortSignal.timeout(60_000) })
    return r.status >= 500 ? r : undefined
  }, { what: 'a 5xx from _bulk with the broker gone', timeoutMs: 90_000 })
  assert.equal(res.status, 503)
  assert.match(await res.text(), /retry/i)
  assert.equal(ingest.child.exitCode, null, 'tidewatch ingest keeps running with its broker gone')
})
