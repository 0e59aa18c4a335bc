// The ingest APIs' limits and failures, through the one HTTP app factory (token, caps) with a
// real broker behind: bodies and record counts over their caps answer 413 naming the limit,
// items that can never be stored are refused alone (per item, or in OTLP's partialSuccess), a
// full disk (a real tmpfs) answers 503 so shippers retry, and the retry is stored.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { spawnSync } from 'node:child_process'
import type { FastifyInstance } from 'fastify'
import { compressionsAlgorithms } from '@platformatic/kafka'
import { Client } from '@elastic/elasticsearch'
import { createHttpApp } from '../src/api/http-app.js'
import { ingestRoutes } from '../src/ingest/routes.js'
import { ingestSchemas } from '../src/ingest/protos.js'
import { decodeBatches } from '../src/protocol/record-batch/index.js'
import { silentLogger } from '../src/shared/logger.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { tempDir } from './helpers/processes.js'
import type { RunningBroker } from '../src/broker/broker.js'

const MAX_BYTES = 64 * 1024
let broker: RunningBroker
let app: FastifyInstance

before(async () => {
  broker = await startTempBroker({ defaultPartitions: 2, maxMessageBytes: 4096 })
  app = createHttpApp({ logger: silentLogger(), token: 'sekrit' })
  await app.register(ingestRoutes, { core: broker.core, maxBytes: MAX_BYTES, maxRecords: 10 })
  await app.ready()
})
after(async () => { await app.close(); await broker.close() })

const auth = { authorization: 'Bearer sekrit' }
const bulkBody = (docs: unknown[]): string => docs.map(d => `{"create":{"_index":"x"}}\n${JSON.stringify(d)}\n`).join('')

test('every ingest route needs the token when one is set', async () => {
  for (const [method, url] of [['POST', '/_bulk'], ['POST', '/loki/api/v1/push'], ['POST', '/v1/logs'], ['GET', '/_cluster/health']] as const) {
    const res = await app.inject({ method, url, payload: method === 'POST' ? '{}' : undefined })
    assert.equal(res.statusCode, 401, `${method} ${url}`)
  }
})

test('bodies over the cap, before or after gzip/snappy, and requests over the record cap answer 413 naming the limit', async () => {
  const big = await app.inject({ method: 'POST', url: '/_bulk', headers: { ...auth, 'content-type': 'application/x-ndjson' }, payload: 'x'.repeat(MAX_BYTES + 1) })
  assert.equal(big.statusCode, 413)
  assert.match(big.json().error, /ingest limit of 65536 bytes/)
  const bomb = zlib.gzipSync(Buffer.from(bulkBody([{ log: 'y'.repeat(MAX_BYTES * 2) }])))
  const gz = await app.inject({ method: 'POST', url: '/_bulk', headers: { ...auth, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, payload: bomb })
  assert.equal(gz.statusCode, 413)
  assert.match(gz.json().error, /gzip body expands.*ingest\.maxBytes/)
  const type = ingestSchemas().lokiPushRequest
  const proto = Buffer.from(type.encode(type.fromObject({ streams: [{ labels: '{a="b"}', entries: [{ timestamp: { seconds: 1 }, line: 'z'.repeat(MAX_BYTES * 2) }] }] })).finish())
  const snappy = await app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { ...auth, 'content-type': 'application/x-protobuf' }, payload: compressionsAlgorithms.snappy.compressSync(proto) })
  assert.equal(snappy.statusCode, 413)
  assert.match(snappy.json().error, /snappy body expands.*ingest\.maxBytes/)
  const many = await app.inject({ method: 'POST', url: '/v1/logs', headers: { ...auth, 'content-type': 'application/json' }, payload: { resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 11 }, (_, i) => ({ body: { stringValue: `l${i}` } })) }] }] } })
  assert.equal(many.statusCode, 413)
  assert.match(many.json().error, /more than 10 records.*ingest\.maxRecords/)
})

test('an item that can never be stored is refused alone: _bulk per item, OTLP partialSuccess, the rest stored', async () => {
  const res = await app.inject({ method: 'POST', url: '/_bulk', headers: { ...auth, 'content-type': 'application/x-ndjson' }, payload: '{"index":{}}\n{"log":"ok one"}\n{"index":{}}\n[1,2]\n{"create":{}}\n{"log":"' + 'w'.repeat(5000) + '"}\n{"create":{}}\n{"log":"ok two"}\n' })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.equal(body.errors, true)
  assert.deepEqual(body.items.map((i: Record<string, { status: number }>) => Object.values(i)[0].status), [201, 400, 413, 201])
  const otlp = await app.inject({ method: 'POST', url: '/v1/logs', headers: { ...auth, 'content-type': 'application/json' }, payload: { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'fits' } }, { body: { stringValue: 'v'.repeat(5000) } }] }] }] } })
  assert.equal(otlp.statusCode, 200)
  assert.equal(otlp.json().partialSuccess.rejectedLogRecords, '1')
  assert.match(otlp.json().partialSuccess.errorMessage, /max\.message\.bytes/)
  const stored = broker.core.logs.getTopic('logs')!.partitions.reduce((n, p) => n + p.logEndOffset, 0)
  assert.equal(stored, 3)
})

test('a full disk answers 503 on every API, so shippers retry; the retry is stored once space returns', async () => {
  const mnt = tempDir('tidewatch-ingest-full-')
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { encoding: 'utf8' })
  assert.equal(r.status, 0, `this test fills a real disk: it needs 'mount -t tmpfs' (as root): ${r.stderr}`)
  const full = await startTempBroker({ dataDir: path.join(mnt, 'data'), defaultPartitions: 1, segmentBytes: 1024 * 1024 })
  const api = createHttpApp({ logger: silentLogger() })
  await api.register(ingestRoutes, { core: full.core, topic: 'full' })
  await api.ready()
  try {
    // The topic exists, then the disk fills up.
    assert.equal((await api.inject({ method: 'POST', url: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: bulkBody([{ log: 'first' }]) })).statusCode, 200)
    const filler = path.join(mnt, 'filler')
    spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { encoding: 'utf8' })
    const lines = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ log: `line ${i} ${'q'.repeat(900)}` }))
    const requests = [
      { url: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: bulkBody(lines(200)) },
      { url: '/loki/api/v1/push', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ streams: [{ stream: { pod: 'p' }, values: lines(200).map((l, i) => [String(1e18 + i), (l as { log: string }).log]) }] }) },
      { url: '/v1/logs', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: lines(200).map(l => ({ body: { stringValue: (l as { log: string }).log } })) }] }] }) }
    ]
    for (const req of requests) {
      const res = await api.inject({ method: 'POST', ...req })
      assert.equal(res.statusCode, 503, `${req.url}: ${res.body}`)
      assert.match(res.json().error, /cannot write to its disk.*retry later/)
    }
    fs.rmSync(filler)
    for (const req of requests) {
      const res = await api.inject({ method: 'POST', ...req })
      assert.ok(res.statusCode === 200 || res.statusCode === 204, `${req.url} after space returned: ${res.statusCode} ${res.body}`)
    }
    const log = full.core.logs.getTopic('full')!.partitions[0]
    assert.ok(log.logEndOffset >= 601, `stored ${log.logEndOffset}`)
  } finally {
    await api.close()
    await full.close()
    spawnSync('umount', ['-l', mnt])
  }
})

test('Basic auth with the token as password is accepted (the only kind Fluent Bit es/loki outputs, Promtail and Fluentd send): the Elasticsearch client with username/password stores its bulk, a wrong password is refused', async () => {
  const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const wrong = await app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { authorization: basic('fluent-bit', 'guess'), 'content-type': 'application/json' }, payload: { streams: [] } })
  assert.equal(wrong.statusCode, 401)
  const noPassword = await app.inject({ method: 'POST', url: '/loki/api/v1/push', headers: { authorization: `Basic ${Buffer.from('sekrit').toString('base64')}`, 'content-type': 'application/json' }, payload: { streams: [] } })
  assert.equal(noPassword.statusCode, 401, 'a user name alone is not the token')
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const good = new Client({ node: url, auth: { username: 'fluent-bit', password: 'sekrit' } })
  const bad = new Client({ node: url, auth: { username: 'fluent-bit', password: 'sekrit!' }, maxRetries: 0 })
  try {
    const line = `basic-auth-${Date.now()}`
    const res = await good.bulk({ operations: [{ create: { _index: 'logs' } }, { log: line }] })
    assert.equal(res.errors, false)
    const values = broker.core.logs.getTopic('logs')!.partitions.flatMap(p => decodeBatches(p.read(p.logStartOffset, 8 << 20).records ?? Buffer.alloc(0)).flatMap(b => b.records.map(r => r.value?.toString() ?? '')))
    assert.ok(values.some(v => v.includes(line)), 'the document is in the logs topic')
    await assert.rejects(bad.bulk({ operations: [{ create: { _index: 'logs' } }, { log: 'refused' }] }), (err: Error & { meta?: { statusCode?: number } }) => err.meta?.statusCode === 401)
  } finally {
    await good.close()
    await bad.close()
  }
})
