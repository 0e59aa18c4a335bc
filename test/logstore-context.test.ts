// Context of one record through the HTTP API against a real embedded broker: exact neighbours in
// offset order, the same-pod filter, both ends of a partition, past the end, and records that
// retention has deleted.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance } from 'fastify'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { registerLogStoreRoutes } from '../src/logstore/routes.js'

const N = 50
const PODS = ['web-a', 'web-b', 'web-c']
let broker: RunningBroker
let app: FastifyInstance

interface Rec { offset: number, timestamp: number, value: string }
interface Context { before: Rec[], anchor: Rec, after: Rec[], pod: { pod: string } | null, reachedStart: boolean, reachedEnd: boolean, truncated: boolean, logStartOffset: number, logEndOffset: number }

before(async () => {
  broker = await startTempBroker()
  app = Fastify()
  registerLogStoreRoutes(app, { core: broker.core })
  await app.ready()
  assert.equal(broker.core.logs.createTopic('ctx', 1, {}).errorCode, 0)
  // Three pods interleaved in one partition, in several requests: offset i is pod PODS[i % 3].
  const records = Array.from({ length: N }, (_, i) => ({ log: `line ${i}`, kubernetes: { pod_name: PODS[i % 3], namespace_name: 'demo-project' } }))
  for (let i = 0; i < N; i += 20) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/ingest/ctx', payload: records.slice(i, i + 20) })
    assert.equal(res.statusCode, 200, res.body)
  }
})

after(async () => {
  await app.close()
  await broker.close()
})

async function context (path: string): Promise<{ status: number, body: Context & { error?: string, field?: string } }> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/topics/${path}` })
  return { status: res.statusCode, body: res.json() }
}
const offsets = (rs: Rec[]): number[] => rs.map(r => r.offset)
const range = (from: number, to: number, step = 1): number[] => { const out = []; for (let i = from; i <= to; i += step) out.push(i); return out }

test('the N records before and after, in exact offset order; 20 each by default', async () => {
  const { status, body } = await context('ctx/partitions/0/offsets/25/context?before=5&after=5')
  assert.equal(status, 200)
  assert.equal(body.anchor.offset, 25)
  assert.equal(JSON.parse(body.anchor.value).log, 'line 25')
  assert.deepEqual(offsets(body.before), range(20, 24))
  assert.deepEqual(offsets(body.after), range(26, 30))
  assert.deepEqual(body.before.map(r => JSON.parse(r.value).log), range(20, 24).map(i => `line ${i}`))
  assert.equal(body.reachedStart, false)
  assert.equal(body.reachedEnd, false)
  const defaults = (await context('ctx/partitions/0/offsets/25/context')).body
  assert.deepEqual(offsets(defaults.before), range(5, 24))
  assert.deepEqual(offsets(defaults.after), range(26, 45))
})

test('samePod keeps only the anchor pod\'s records and reads past the others until N are found or an end is reached', async () => {
  const { body } = await context('ctx/partitions/0/offsets/25/context?before=5&after=5&samePod=true')
  assert.equal(body.pod?.pod, 'web-b')
  assert.deepEqual(offsets(body.before), [10, 13, 16, 19, 22])
  assert.deepEqual(offsets(body.after), [28, 31, 34, 37, 40])
  const nearEnd = (await context('ctx/partitions/0/offsets/43/context?before=3&after=5&samePod=true')).body
  assert.deepEqual(offsets(nearEnd.after), [46, 49])
  assert.equal(nearEnd.reachedEnd, true)
  const nearStart = (await context('ctx/partitions/0/offsets/4/context?before=5&after=0&samePod=true')).body
  assert.deepEqual(offsets(nearStart.before), [1])
  assert.equal(nearStart.reachedStart, true)
  assert.deepEqual(nearStart.after, [])
})

test('first and last offsets: an empty side that says it reached the end of the partition', async () => {
  const first = (await context('ctx/partitions/0/offsets/0/context?before=3&after=3')).body
  assert.deepEqual(first.before, [])
  assert.equal(first.reachedStart, true)
  assert.deepEqual(offsets(first.after), [1, 2, 3])
  const last = (await context(`ctx/partitions/0/offsets/${N - 1}/context?before=3&after=3`)).body
  assert.deepEqual(offsets(last.before), [46, 47, 48])
  assert.deepEqual(last.after, [])
  assert.equal(last.reachedEnd, true)
  assert.equal(last.logEndOffset, N)
})

test('beyond the end, unknown partitions and topics are 404s; bad parameters are 400s naming the parameter', async () => {
  const beyond = await context(`ctx/partitions/0/offsets/${N}/context`)
  assert.equal(beyond.status, 404)
  assert.equal(beyond.body.field, 'offset')
  assert.match(beyond.body.error!, /offset 50 of ctx\/0 is beyond the end of the partition: the last record is at 49/)
  assert.equal((await context('ctx/partitions/7/offsets/0/context')).status, 404)
  assert.equal((await context('nope/partitions/0/offsets/0/context')).status, 404)
  for (const [q, field] of [['before=201', 'before'], ['after=-1', 'after'], ['samePod=maybe', 'samePod']]) {
    const res = await context(`ctx/partitions/0/offsets/1/context?${q}`)
    assert.equal(res.status, 400, q)
    assert.equal(res.body.field, field)
  }
  assert.equal((await context('ctx/partitions/0/offsets/x1/context')).body.field, 'offset')
  const noPod = await app.inject({ method: 'POST', url: '/api/v1/ingest/ctx', payload: { log: 'no kubernetes here' } })
  const offset = noPod.json().partitions[0].baseOffset
  const res = await context(`ctx/partitions/0/offsets/${offset}/context?samePod=true`)
  assert.equal(res.status, 400)
  assert.match(res.body.error!, /has no kubernetes.pod_name/)
})

test('records deleted by retention are a 410 naming the new start; context stops at the new start', async () => {
  // Small segments of old records, so retention (7 days) deletes the sealed ones at once.
  assert.equal(broker.core.logs.createTopic('old', 1, { 'segment.bytes': '1024' }).errorCode, 0)
  const old = Date.parse('2020-01-01T00:00:00Z')
  for (let i = 0; i < 40; i += 10) {
    const batch = Array.from({ length: 10 }, (_, j) => ({ date: (old + (i + j) * 1000) / 1000, log: `old line ${i + j} ${'.'.repeat(40)}` }))
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ingest/old', payload: batch })).statusCode, 200)
  }
  const log = broker.core.logs.getTopic('old')!.partitions[0]
  broker.core.logs.applyRetention(Date.now())
  const start = log.logStartOffset
  assert.ok(start > 0 && start < 40, `retention moved the start to ${start}`)
  const gone = await context('old/partitions/0/offsets/0/context')
  assert.equal(gone.status, 410)
  assert.equal(gone.body.field, 'offset')
  assert.match(gone.body.error!, new RegExp(`deleted by retention: the partition now starts at offset ${start}`))
  const atStart = (await context(`old/partitions/0/offsets/${start + 2}/context?before=5&after=3`)).body
  assert.deepEqual(offsets(atStart.before), [start, start + 1])
  assert.equal(atStart.reachedStart, true)
  assert.equal(atStart.logStartOffset, start)
  assert.deepEqual(offsets(atStart.after), [start + 3, start + 4, start + 5])
})
