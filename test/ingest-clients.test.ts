// The shippers' own client libraries against `tidewatch up`'s ingest APIs: each line becomes a
// record in `logs` with the labels it was sent with (read as rules read them), and a 404 line
// sent through each raises the reference alert of examples/logs-handler.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { Client } from '@elastic/elasticsearch'
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs'
import { OTLPLogExporter as OtlpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as OtlpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import winston from 'winston'
import LokiTransport from 'winston-loki'
import { startUp, type RunningUp } from './helpers/tidewatch-up.js'
import { readTopic, type Shipped } from './helpers/tail.js'
import { waitFor } from './helpers/wait.js'
import { readEnvelope } from '../src/rules/envelope.js'

const NAMESPACE = 'demo-project'
const POD = 'wordpress-v1-f54f697c5-hdn2z'
const accessLine = (path: string, status = 404): string => `10.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET ${path} HTTP/1.1" ${status} 512 "-" "curl/8.5.0"`

let up: RunningUp
before(async () => { up = await startUp() })
after(async () => { await up.stop() })

async function recordWith (line: string): Promise<Shipped> {
  return await waitFor(async () => (await readTopic(up.bootstrap)).find(r => r.doc.log === line), { what: `a record with '${line}'`, timeoutMs: 30_000 })
}

async function alertFor (path: string): Promise<Record<string, string>> {
  return await waitFor(async () => {
    const alerts = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
    return alerts.find(a => a.labels.path === path)?.labels
  }, { what: `the 404 alert for ${path}`, timeoutMs: 60_000, intervalMs: 250 })
}

function labelsOf (r: Shipped): Record<string, string> {
  return readEnvelope(JSON.stringify(r.doc), 0).labels
}

test('@elastic/elasticsearch bulk helper: Fluent Bit and Vector shaped documents land labelled alike, and a 404 raises the alert', async () => {
  const client = new Client({ node: up.url })
  try {
    const info = await client.info()
    assert.match(info.version.number, /^8\./)
    const docs = [
      { '@timestamp': '2024-05-01T12:00:00.000Z', log: accessLine('/es-bulk') + '\n', stream: 'stdout', kubernetes: { pod_name: POD, namespace_name: NAMESPACE, container_name: 'wordpress', labels: { app: 'wordpress' } } },
      { timestamp: '2024-05-01T12:00:01.000Z', message: accessLine('/es-vector', 200), kubernetes: { pod_namespace: NAMESPACE, pod_name: POD, container_name: 'wordpress', pod_labels: { app: 'wordpress' } }, file: '/var/log/pods/x/0.log' }
    ]
    const result = await client.helpers.bulk({ datasource: docs, onDocument: () => ({ create: { _index: 'k8s-logs' } }) })
    assert.equal(result.successful, 2)
    assert.equal(result.failed, 0)
    const fluent = await recordWith(accessLine('/es-bulk') + '\n')
    const vector = await recordWith(accessLine('/es-vector', 200))
    for (const r of [fluent, vector]) assert.deepEqual({ ...labelsOf(r), stream: undefined }, { app: 'wordpress', namespace: NAMESPACE, pod: POD, container: 'wordpress', stream: undefined })
    assert.equal(labelsOf(fluent).stream, 'stdout')
    assert.equal(vector.doc.time, '2024-05-01T12:00:01.000000000Z')
    const alert = await alertFor('/es-bulk')
    assert.equal(alert.alertname, '404 Request')
    assert.equal(alert.pod, POD)
  } finally {
    await client.close()
  }
})

test('the OpenTelemetry JS OTLP log exporters (http/json and http/protobuf): k8s.* resource attributes become the labels, and a 404 raises the alert', async () => {
  for (const [name, Exporter] of [['json', OtlpJsonExporter], ['protobuf', OtlpProtoExporter]] as const) {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'k8s.namespace.name': NAMESPACE, 'k8s.pod.name': POD, 'k8s.container.name': 'wordpress', 'k8s.node.name': 'node-3', 'service.name': 'wordpress' }),
      processors: [new SimpleLogRecordProcessor({ exporter: new Exporter({ url: `${up.url}/v1/logs` }) })]
    })
    const path = `/otlp-${name}`
    provider.getLogger('access').emit({ body: accessLine(path), severityText: 'INFO', attributes: { 'log.iostream': 'stdout', 'http.status_code': 404 } })
    await provider.forceFlush()
    await provider.shutdown()
    const r = await recordWith(accessLine(path))
    assert.deepEqual(labelsOf(r), { service_name: 'wordpress', namespace: NAMESPACE, pod: POD, container: 'wordpress', host: 'node-3', stream: 'stdout' })
    assert.equal(r.doc['http.status_code'], 404)
    assert.equal(r.doc.severity, 'INFO')
    assert.equal((await alertFor(path)).alertname, '404 Request')
  }
})

test('a Loki push client (winston-loki, protobuf+snappy and JSON): stream labels become the labels, and a 404 raises the alert', async () => {
  // winston-loki sends protobuf only when the snappy package loads (else it falls back to JSON).
  createRequire(import.meta.url)('snappy')
  for (const json of [false, true]) {
    const path = `/loki-${json ? 'json' : 'protobuf'}`
    // With a format of its own the transport sends the line exactly as formatted.
    const transport = new LokiTransport({ host: up.url, json, batching: false, gracefulShutdown: false, labels: { namespace: NAMESPACE, pod: POD, container: 'wordpress', job: 'wordpress' }, format: winston.format.printf(i => String(i.message)), onConnectionError: err => { throw err } })
    const logger = winston.createLogger({ transports: [transport] })
    logger.info(accessLine(path))
    const r = await recordWith(accessLine(path))
    assert.deepEqual(labelsOf(r), { job: 'wordpress', level: 'info', namespace: NAMESPACE, pod: POD, container: 'wordpress' })
    assert.equal((await alertFor(path)).alertname, '404 Request')
    logger.close()
  }
})
