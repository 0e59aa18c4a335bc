// HTTP ingest against a real embedded broker, through a real fastify instance; what was stored
// is read back by a real Kafka client (kafkajs), so the batches are proper RecordBatches.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import Fastify, { type FastifyInstance } from 'fastify'
import { Kafka, logLevel } from 'kafkajs'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { registerLogStoreRoutes } from '../src/logstore/routes.js'
import { waitFor } from './helpers/wait.js'

const LIMIT = 64 * 1024
let broker: RunningBroker
let app: FastifyInstance

before(async () => {
  broker = await startTempBroker({ defaultPartitions: 3 })
  // The main API server's settings: a 1 MiB body limit that ingest overrides for its route.
  app = Fastify({ bodyLimit: 1024 * 1024 })
  registerLogStoreRoutes(app, { core: broker.core, ingestMaxBytes: LIMIT })
  await app.ready()
})

after(async () => {
  await app.close()
  await broker.close()
})

/** A record as Fluent Bit's http output sends it with `format json` (date as a double). */
function fluentBitRecord (pod: string, line: string, date: number): Record<string, unknown> {
  return { date, log: line, stream: 'stdout', kubernetes: { pod_name: pod, namespace_name: 'demo-project', container_name: 'wordpress', labels: { app: 'wordpress' } } }
}

async function consumeAll (topic: string, count: number): Promise<{ partition: number, offset: number, timestamp: number, value: string }[]> {
  const kafka = new Kafka({ clientId: 'logstore-ingest', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `check-${topic}`, maxWaitTimeInMs: 100 })
  const seen: { partition: number, offset: number, timestamp: number, value: string }[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ partition, message }) => { seen.push({ partition, offset: Number(message.offset), timestamp: Number(message.timestamp), value: message.value!.toString() }) } })
    await waitFor(() => seen.length >= count, { what: `${count} records consumed from ${topic}`, timeoutMs: 30_000 })
  } finally {
    await consumer.disconnect()
  }
  return seen
}

test('a JSON array (Fluent Bit http, format json) is stored one record per element; a pod keeps to one partition, in order', async () => {
  const t0 = 1_732_252_800.123456
  const body = [
    fluentBitRecord('wp-1', 'GET / 200', t0),
    fluentBitRecord('wp-2', 'GET /missing 404', t0 + 1),
    fluentBitRecord('wp-1', 'GET /about 200', t0 + 2)
  ]
  const res = await app.inject({ method: 'POST', url: '/api/v1/ingest/fb-array', payload: body })
  assert.equal(res.statusCode, 200, res.body)
  const result = res.json()
  assert.equal(result.accepted, 3)
  assert.equal(result.topic, 'fb-array')
  assert.equal(result.partitions.reduce((n: number, p: { count: number }) => n + p.count, 0), 3)
  const records = await consumeAll('fb-array', 3)
  const wp1 = records.filter(r => JSON.parse(r.value).kubernetes.pod_name === 'wp-1')
  assert.equal(new Set(wp1.map(r => r.partition)).size, 1, 'one pod, one partition')
  assert.deepEqual(wp1.sort((a, b) => a.offset - b.offset).map(r => JSON.parse(r.value).log), ['GET / 200', 'GET /about 200'])
  const missing = records.find(r => r.value.includes('404'))!
  assert.deepEqual(JSON.parse(missing.value), body[1], 'value is the record serialized as JSON')
  assert.equal(missing.timestamp, Math.floor((t0 + 1) * 1000), 'Kafka timestamp is the record date')
})

test('NDJSON (application/x-ndjson, and json_lines labelled application/json) with ISO @timestamp, blank lines and CRLF', async () => {
  const lines = [
    JSON.stringify({ '@timestamp': '2024-11-22T05:20:00.250Z', log: 'one' }),
    '',
    JSON.stringify({ '@timestamp': '2024-11-22 05:20:01.5', log: 'two' }),
    JSON.stringify({ time: '2024-11-22T05:20:02.000000001Z', log: 'three' })
  ]
  for (const [topic, type, text] of [['nd-new', 'application/x-ndjson', lines.join('\n') + '\n'], ['nd-old', 'application/json', lines.join('\r\n')]]) {
    const res = await app.inject({ method: 'POST', url: `/api/v1/ingest/${topic}`, headers: { 'content-type': type }, payload: text })
    assert.equal(res.statusCode, 200, `${type}: ${res.body}`)
    assert.equal(res.json().accepted, 3)
    const records = (await consumeAll(topic, 3)).sort((a, b) => a.timestamp - b.timestamp)
    assert.deepEqual(records.map(r => JSON.parse(r.value).log), ['one', 'two', 'three'])
    assert.deepEqual(records.map(r => r.timestamp), [Date.parse('2024-11-22T05:20:00.250Z'), Date.parse('2024-11-22T05:20:01.500Z'), Date.parse('2024-11-22T05:20:02.000Z')])
  }
})

test('a single JSON object without a time of its own is stamped with the time of ingest', async () => {
  const before = Date.now()
  const res = await app.inject({ method: 'POST', url: '/api/v1/ingest/single', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{"log":"hello","level":"info"}' })
  assert.equal(res.statusCode, 200, res.body)
  assert.equal(res.json().accepted, 1)
  const [r] = await consumeAll('single', 1)
  assert.ok(r.timestamp >= before && r.timestamp <= Date.now(), `timestamp ${r.timestamp} is the ingest time`)
  assert.deepEqual(JSON.parse(r.value), { log: 'hello', level: 'info' })
})

test('malformed input is a 400 that names the line and column, or the record', async () => {
  const post = async (payload: string, type = 'application/json', topic = 'bad'): Promise<{ status: number, body: { error: string, field?: string } }> => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/ingest/${topic}`, headers: { 'content-type': type }, payload })
    return { status: res.statusCode, body: res.json() }
  }
  const array = await post('[\n  {"log": "ok"},\n  {"log": "broken",}\n]')
  assert.equal(array.status, 400)
  assert.equal(array.body.field, 'body')
  assert.match(array.body.error, /invalid JSON at line 3, column 20/)
  const nd = await post('{"log":"a"}\n{"log" "b"}\n', 'application/x-ndjson')
  assert.equal(nd.status, 400)
  assert.match(nd.body.error, /line 2, column 8/)
  const notObject = await post('[{"log":"a"},\n 42]')
  assert.equal(notObject.status, 400)
  assert.match(notObject.body.error, /record 1 of the array \(line 2\) is a number; each record must be a JSON object/)
  assert.match((await post('   ')).body.error, /body is empty/)
  const text = await post('hello', 'text/plain')
  assert.equal(text.status, 415)
  assert.match(text.body.error, /application\/x-ndjson/)
  const topic = await post('{"log":"a"}', 'application/json', 'no%20spaces')
  assert.equal(topic.status, 400)
  assert.equal(topic.body.field, 'topic')
  assert.equal(broker.core.logs.getTopic('bad'), undefined, 'nothing was created for rejected requests')
})

test('oversized bodies are a 413 with a message: plain, gzip that expands too far, and one record above max.message.bytes', async () => {
  const big = JSON.stringify([{ log: 'x'.repeat(LIMIT) }])
  const plain = await app.inject({ method: 'POST', url: '/api/v1/ingest/big', headers: { 'content-type': 'application/json' }, payload: big })
  assert.equal(plain.statusCode, 413)
  assert.match(plain.json().error, new RegExp(`ingest limit of ${LIMIT} bytes`))

  const bomb = zlib.gzipSync(Buffer.from(big))
  assert.ok(bomb.length < LIMIT)
  const gz = await app.inject({ method: 'POST', url: '/api/v1/ingest/big', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: bomb })
  assert.equal(gz.statusCode, 413)
  assert.match(gz.json().error, /gzip body expands to more than/)

  const small = zlib.gzipSync(Buffer.from(JSON.stringify([{ log: 'compressed' }])))
  const ok = await app.inject({ method: 'POST', url: '/api/v1/ingest/gz', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: small })
  assert.equal(ok.statusCode, 200, ok.body)

  assert.equal(broker.core.logs.createTopic('tiny-batches', 1, { 'max.message.bytes': '2000' }).errorCode, 0)
  const records = [{ log: 'a' }, { log: 'b'.repeat(3000) }]
  const tooBig = await app.inject({ method: 'POST', url: '/api/v1/ingest/tiny-batches', payload: records })
  assert.equal(tooBig.statusCode, 413)
  assert.match(tooBig.json().error, /record 1 is \d+ bytes as a record batch; topic 'tiny-batches' accepts at most 2000/)
  assert.equal(broker.core.logs.getTopic('tiny-batches')!.partitions[0].logEndOffset, 0, 'nothing of a rejected request is stored')
  // Many small records are split into batches that each fit.
  const many = Array.from({ length: 100 }, (_, i) => ({ log: `line ${i} ${'y'.repeat(50)}` }))
  const split = await app.inject({ method: 'POST', url: '/api/v1/ingest/tiny-batches', payload: many })
  assert.equal(split.statusCode, 200, split.body)
  assert.deepEqual(split.json().partitions, [{ partition: 0, baseOffset: 0, lastOffset: 99, count: 100 }])
})

test('8 MiB of {} lines is refused after the record limit, not turned into millions of records; nothing is stored', async () => {
  const server = Fastify()
  registerLogStoreRoutes(server, { core: broker.core })
  await server.ready()
  try {
    const body = '{}\n'.repeat(Math.floor(8 * 1024 * 1024 / 3) - 1)
    for (const type of ['application/x-ndjson', 'application/json']) {
      const res = await server.inject({ method: 'POST', url: '/api/v1/ingest/flood', headers: { 'content-type': type }, payload: body })
      assert.equal(res.statusCode, 413, type)
      assert.match(res.json().error, /more than 100000 records, the ingest limit per request \(ingestMaxRecords\)/)
    }
    const array = await server.inject({ method: 'POST', url: '/api/v1/ingest/flood', headers: { 'content-type': 'application/json' }, payload: '[' + Array(100_001).fill('{}').join(',') + ']' })
    assert.equal(array.statusCode, 413)
    assert.equal(broker.core.logs.getTopic('flood'), undefined, 'nothing was stored, no topic created')
    // At the limit, the request is stored whole.
    const atLimit = await server.inject({ method: 'POST', url: '/api/v1/ingest/flood', headers: { 'content-type': 'application/x-ndjson' }, payload: '{"n":1}\n'.repeat(100_000) })
    assert.equal(atLimit.statusCode, 200, atLimit.body)
    assert.equal(atLimit.json().accepted, 100_000)
  } finally {
    await server.close()
  }
})

test('over real HTTP on 127.0.0.1: ingest works and an oversized body is refused with 413', async () => {
  const server = Fastify()
  registerLogStoreRoutes(server, { core: broker.core, ingestMaxBytes: 1024 })
  await server.listen({ host: '127.0.0.1', port: 0 })
  try {
    const address = server.server.address() as { port: number }
    const url = `http://127.0.0.1:${address.port}/api/v1/ingest/http-real`
    const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"log":"a"}\n{"log":"b"}\n' })
    assert.equal(ok.status, 200)
    assert.equal((await ok.json() as { accepted: number }).accepted, 2)
    const tooBig = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `{"log":"${'z'.repeat(2000)}"}\n` })
    assert.equal(tooBig.status, 413)
    assert.match((await tooBig.json() as { error: string }).error, /ingest limit of 1024 bytes/)
  } finally {
    await server.close()
  }
})

test('the API server\'s token hook covers these routes too (the plugin does not escape it)', async () => {
  const guarded = Fastify()
  // What src/api/server.ts does when a token is set.
  guarded.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization !== 'Bearer s3cret') await reply.code(401).send({ error: 'missing or wrong token' })
  })
  registerLogStoreRoutes(guarded, { core: broker.core })
  try {
    for (const [method, url] of [['POST', '/api/v1/ingest/guarded'], ['GET', '/api/v1/search?topic=fb-array'], ['GET', '/api/v1/topics'], ['GET', '/api/v1/topics/fb-array/partitions/0/offsets/0/context']] as const) {
      assert.equal((await guarded.inject({ method, url, payload: method === 'POST' ? [{ log: 'x' }] : undefined })).statusCode, 401, url)
    }
    const ok = await guarded.inject({ method: 'POST', url: '/api/v1/ingest/guarded', headers: { authorization: 'Bearer s3cret' }, payload: [{ log: 'x' }] })
    assert.equal(ok.statusCode, 200)
  } finally {
    await guarded.close()
  }
})

test('without topic auto-creation, ingest into an unknown topic is a 404', async () => {
  const strict = await startTempBroker({ autoCreateTopics: false })
  const strictApp = Fastify()
  registerLogStoreRoutes(strictApp, { core: strict.core })
  try {
    const res = await strictApp.inject({ method: 'POST', url: '/api/v1/ingest/nope', payload: [{ log: 'a' }] })
    assert.equal(res.statusCode, 404)
    assert.match(res.json().error, /does not exist and the broker does not auto-create topics/)
  } finally {
    await strictApp.close()
    await strict.close()
  }
})
