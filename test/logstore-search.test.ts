// Search through the HTTP API against a real embedded broker: records arrive by HTTP ingest and
// by a real Kafka producer (kafkajs); expectations are computed from the input independently.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance } from 'fastify'
import { Kafka, logLevel } from 'kafkajs'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { registerLogStoreRoutes } from '../src/logstore/routes.js'

const T0 = Date.parse('2024-11-22T05:00:00Z')
const N = 120
let broker: RunningBroker
let app: FastifyInstance

interface Line { type: string, partition: number, offset: number, timestamp: number, value: string }
interface Summary { type: 'summary', matched: number, scannedRecords: number, truncated: boolean, reason: string | null, scannedDownTo: number | null }

// Four pods in two namespaces, one record a second; every 10th is a 404, every 15th an exception.
const input = Array.from({ length: N }, (_, i) => {
  const status = i % 10 === 3 ? 404 : 200
  const log = i % 15 === 7 ? `java.lang.NullPointerException at line ${i}` : `10.0.0.${i % 7} - - "GET /page/${i} HTTP/1.1" ${status} ${100 + i}`
  return {
    date: (T0 + i * 1000) / 1000,
    log,
    status,
    kubernetes: { pod_name: `wp-${i % 4}`, namespace_name: i % 2 === 0 ? 'demo-project' : 'prod', labels: { 'app.kubernetes.io/name': i % 4 === 0 ? 'wordpress' : 'mysql' } }
  }
})
const newestFirst = (rows: typeof input): string[] => [...rows].sort((a, b) => b.date - a.date).map(r => r.log)

before(async () => {
  broker = await startTempBroker({ defaultPartitions: 3 })
  app = Fastify()
  registerLogStoreRoutes(app, { core: broker.core })
  await app.ready()
  // Several requests, as a shipper flushing every few seconds would send them.
  for (let i = 0; i < N; i += 25) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/ingest/logs', payload: input.slice(i, i + 25) })
    assert.equal(res.statusCode, 200, res.body)
  }
})

after(async () => {
  await app.close()
  await broker.close()
})

async function search (qs: string, on = app): Promise<{ status: number, records: Line[], summary: Summary, body: string }> {
  const res = await on.inject({ method: 'GET', url: `/api/v1/search?${qs}` })
  if (res.statusCode !== 200) return { status: res.statusCode, records: [], summary: undefined as unknown as Summary, body: res.body }
  assert.match(String(res.headers['content-type']), /^application\/x-ndjson/)
  const lines = res.body.trimEnd().split('\n').map(l => JSON.parse(l))
  const summary = lines.pop()
  assert.equal(summary.type, 'summary', 'the last line is the summary')
  return { status: 200, records: lines, summary, body: res.body }
}
const logs = (records: Line[]): string[] => records.map(r => JSON.parse(r.value).log)

test('text search is a case-insensitive substring, newest first across all partitions', async () => {
  const { records, summary } = await search('topic=logs&q=nullpointerEXCEPTION&limit=1000')
  assert.deepEqual(logs(records), newestFirst(input.filter(r => r.log.includes('NullPointerException'))))
  assert.equal(summary.matched, records.length)
  assert.equal(summary.truncated, false)
  assert.equal(summary.scannedRecords, N)
  const all = await search('topic=logs&limit=1000')
  assert.deepEqual(logs(all.records), newestFirst(input))
  assert.ok(new Set(all.records.map(r => r.partition)).size > 1, 'records come from several partitions')
  for (let i = 1; i < all.records.length; i++) assert.ok(all.records[i - 1].timestamp > all.records[i].timestamp)
  // Quotes are escaped inside the stored JSON; the text matches either way.
  assert.equal((await search(`topic=logs&q=${encodeURIComponent('"GET /page/13 ')}`)).records.length, 1)
})

test('regex search (RE2 syntax, (?i) flag); invalid patterns are refused with 400 and RE2\'s reason', async () => {
  // The regex runs over the value as stored: in JSON, the line's quotes are escaped (\").
  const { records } = await search(`topic=logs&regex=${encodeURIComponent('GET /page/\\d+ HTTP/1\\.1\\\\" 404 ')}&limit=1000`)
  assert.deepEqual(logs(records), newestFirst(input.filter(r => r.status === 404)))
  const ci = await search(`topic=logs&regex=${encodeURIComponent('(?i)nullpointer')}&limit=1000`)
  assert.equal(ci.records.length, input.filter(r => r.log.includes('NullPointer')).length)
  for (const [pattern, why] of [['(unclosed', /invalid regex: missing closing \)/], ['(a)\\1', /invalid regex: invalid escape/], ['(?=a)', /invalid regex: invalid or unsupported Perl syntax/], ['x'.repeat(600), /limit is 512/]] as const) {
    const res = await search(`topic=logs&regex=${encodeURIComponent(pattern)}`)
    assert.equal(res.status, 400, pattern)
    assert.equal(JSON.parse(res.body).field, 'regex')
    assert.match(JSON.parse(res.body).error, why)
  }
  // Bounded repetition of a group is fine: (\d{1,3}\.){3}
  assert.equal((await search(`topic=logs&regex=${encodeURIComponent('(\\d{1,3}\\.){3}\\d')}&limit=1000`)).records.length, N - input.filter(r => r.log.includes('Exception')).length)
})

test('field equality on dotted paths (label keys with dots too), numbers by their text, all filters combined', async () => {
  const demo = await search('topic=logs&field=kubernetes.namespace_name=demo-project&limit=1000')
  assert.deepEqual(logs(demo.records), newestFirst(input.filter(r => r.kubernetes.namespace_name === 'demo-project')))
  const both = await search(`topic=logs&field=kubernetes.namespace_name=demo-project&field=${encodeURIComponent('kubernetes.labels.app.kubernetes.io/name=wordpress')}&field=status=404&limit=1000`)
  assert.deepEqual(logs(both.records), newestFirst(input.filter(r => r.kubernetes.namespace_name === 'demo-project' && r.kubernetes.pod_name === 'wp-0' && r.status === 404)))
  const combined = await search(`topic=logs&q=get&regex=${encodeURIComponent(' 404 ')}&field=kubernetes.pod_name=wp-3&limit=1000`)
  assert.deepEqual(logs(combined.records), newestFirst(input.filter(r => r.kubernetes.pod_name === 'wp-3' && r.status === 404)))
  assert.equal((await search('topic=logs&field=nonsense')).status, 400)
})

test('time range: inclusive bounds as ISO 8601 or epoch ms, and a scan that starts from the time index', async () => {
  const from = T0 + 30_000
  const to = T0 + 59_000
  const iso = await search(`topic=logs&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=1000`)
  const expected = newestFirst(input.filter(r => r.date * 1000 >= from && r.date * 1000 <= to))
  assert.equal(expected.length, 30)
  assert.deepEqual(logs(iso.records), expected)
  const ms = await search(`topic=logs&from=${from}&to=${to}&limit=1000`)
  assert.deepEqual(logs(ms.records), expected)
  // Only the last 10 seconds: the time index keeps the scan short.
  const recent = await search(`topic=logs&from=${T0 + 110_000}&limit=1000`)
  assert.equal(recent.records.length, 10)
  assert.ok(recent.summary.scannedRecords < N / 2, `scanned ${recent.summary.scannedRecords} of ${N}`)
  const bad = await search(`topic=logs&from=${to}&to=${from}`)
  assert.equal(bad.status, 400)
  assert.equal(JSON.parse(bad.body).field, 'from')
  assert.equal(JSON.parse((await search('topic=logs&from=yesterday')).body).field, 'from')
})

test('limit: default 100, at most 1000; reaching it is reported as truncated by limit', async () => {
  const five = await search('topic=logs&q=get&limit=5')
  assert.deepEqual(logs(five.records), newestFirst(input.filter(r => r.log.includes('GET'))).slice(0, 5))
  assert.equal(five.summary.truncated, true)
  assert.equal(five.summary.reason, 'limit')
  assert.equal((await search('topic=logs')).records.length, 100)
  for (const limit of ['0', '1001', 'ten']) {
    const res = await search(`topic=logs&limit=${limit}`)
    assert.equal(res.status, 400)
    assert.equal(JSON.parse(res.body).field, 'limit')
  }
})

test('a scan budget stops the search with a summary: truncated, why, and how far back it looked', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => ({ date: (T0 + i * 100) / 1000, log: `entry ${i}`, kubernetes: { pod_name: `p-${i % 5}` } }))
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ingest/many', payload: many })).statusCode, 200)
  const small = Fastify()
  registerLogStoreRoutes(small, { core: broker.core, searchBudget: { maxScanRecords: 1000 } })
  try {
    const res = await search('topic=many&limit=1000', small)
    assert.equal(res.summary.truncated, true)
    assert.equal(res.summary.reason, 'max-scan-records')
    assert.ok(res.summary.scannedRecords >= 1000 && res.summary.scannedRecords < 3000, `scanned ${res.summary.scannedRecords}`)
    assert.ok(res.summary.scannedDownTo !== null, JSON.stringify(res.summary))
    assert.ok(res.records.length > 300, `${res.records.length} records`)
    // What came back is exactly the newest records, complete down to scannedDownTo.
    const newest = [...many].reverse().map(r => r.log)
    assert.deepEqual(logs(res.records), newest.slice(0, res.records.length))
    assert.ok(res.records.every(r => r.timestamp >= res.summary.scannedDownTo!))
    assert.equal(res.records.length, many.filter(r => r.date * 1000 >= res.summary.scannedDownTo!).length)
  } finally {
    await small.close()
  }
})

test('a nested-quantifier regex over long records is answered in full, and other requests are answered meanwhile', async () => {
  // `(a+)+$` and `.*.*.*x` backtrack exponentially / cubically in JavaScript's engine on lines
  // without a match; on RE2 they are linear, and the search still yields between slices.
  const long = Array.from({ length: 40 }, (_, i) => ({ log: `${'a'.repeat(8000)} ${i}` }))
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ingest/slow', payload: long })).statusCode, 200)
  for (const pattern of ['(a+)+$', '.*.*.*x', '(a|aa)*b']) {
    const searching = search(`topic=slow&regex=${encodeURIComponent(pattern)}&limit=1000`)
    const listing = app.inject({ method: 'GET', url: '/api/v1/topics' })
    const [res, topics] = await Promise.all([searching, listing])
    assert.equal(topics.statusCode, 200)
    assert.equal(res.status, 200, pattern)
    assert.equal(res.records.length, 0, pattern)
    assert.equal(res.summary.truncated, false, pattern)
    assert.equal(res.summary.scannedRecords, long.length, pattern)
  }
  const some = await search(`topic=slow&regex=${encodeURIComponent('(a+)+ 3\\d"')}&limit=1000`)
  assert.equal(some.records.length, 10, 'lines ending in 30..39')
})

test('unknown and missing topics; the topic list shows partitions and offsets', async () => {
  const unknown = await search('topic=nope')
  assert.equal(unknown.status, 404)
  assert.deepEqual(JSON.parse(unknown.body), { error: "topic 'nope' does not exist", field: 'topic' })
  assert.equal(JSON.parse((await search('q=x')).body).field, 'topic')
  const topics = (await app.inject({ method: 'GET', url: '/api/v1/topics' })).json() as { topics: { name: string, partitions: { partition: number, logStartOffset: number, logEndOffset: number, records: number }[] }[] }
  const logsTopic = topics.topics.find(t => t.name === 'logs')!
  assert.equal(logsTopic.partitions.length, 3)
  assert.equal(logsTopic.partitions.reduce((n, p) => n + p.records, 0), N)
  assert.ok(logsTopic.partitions.every(p => p.logStartOffset === 0 && p.logEndOffset === p.records))
})

test('records from a Kafka producer are searchable too, streamed as NDJSON over real HTTP', async () => {
  const kafka = new Kafka({ clientId: 'logstore-search', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic: 'fluent-bit',
    messages: [1, 2, 3].map(i => ({ value: JSON.stringify({ '@timestamp': T0 / 1000 + i, log: `kafka line ${i}` }), timestamp: String(T0 + i * 1000) }))
  })
  await producer.disconnect()
  const server = Fastify()
  registerLogStoreRoutes(server, { core: broker.core })
  await server.listen({ host: '127.0.0.1', port: 0 })
  try {
    const { port } = server.server.address() as { port: number }
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/search?topic=fluent-bit&q=kafka%20line`)
    assert.equal(res.status, 200)
    const lines = (await res.text()).trimEnd().split('\n').map(l => JSON.parse(l))
    assert.deepEqual(lines.slice(0, -1).map(l => JSON.parse(l.value).log), ['kafka line 3', 'kafka line 2', 'kafka line 1'])
    assert.deepEqual(lines[0].timestamp, T0 + 3000)
    assert.equal(lines.at(-1).type, 'summary')
  } finally {
    await server.close()
  }
})
