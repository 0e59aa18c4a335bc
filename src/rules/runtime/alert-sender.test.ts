import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOutput } from '../../functions/outputs/index.js'
import type { KafkaClient } from '../../kafka/client.js'
import { ManualClock } from '../../shared/clock.js'
import { silentLogger } from '../../shared/logger.js'
import { secretUrl } from '../../shared/secret.js'
import type { AlertChange } from '../alerts.js'
import { AlertSender, RESEND_MS } from './alert-sender.js'
import { mergeSummaries, type RuleSummary } from './summary.js'

// A local server in Alertmanager's place: answers each POST /api/v2/alerts as `answer` says.
async function alertmanager (answer: (n: number) => number): Promise<{ url: string, posts: unknown[][], close: () => Promise<void> }> {
  const posts: unknown[][] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', d => { body += d })
    req.on('end', () => { posts.push(JSON.parse(body)); const s = answer(posts.length); res.writeHead(s).end(s >= 400 ? 'no' : '') })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts, close: async () => await new Promise(resolve => server.close(() => resolve())) }
}

const T = Date.parse('2026-01-01T00:00:00.000Z')
const change = (state: AlertChange['state'], rule = 'g/A'): AlertChange => ({ rule, alert: 'A', state, labels: { alertname: 'A', pod: 'p' }, annotations: { value: '3' }, value: 3, at: T + 1000, activeAt: T, firedAt: T, ...(state === 'resolved' ? { endsAt: T + 1000 } : {}), source: { topic: 'logs', partition: 2, offset: 41 } })

test('alerts go out through the alertmanager output as Prometheus sends them, retried while Alertmanager answers 503', async () => {
  const am = await alertmanager(n => n === 1 ? 503 : 200)
  const clock = new ManualClock(T + 5000)
  try {
    const out = createOutput({ name: 'alertmanager', type: 'alertmanager', url: secretUrl(am.url), headers: {}, retry: { attempts: 3, initialBackoffMs: 1, maxBackoffMs: 1 } }, { kafka: null as unknown as KafkaClient, write: () => {} })
    const sender = new AlertSender({ deliver: async a => await out.deliver(a), publicUrl: 'http://console:8080/', clock, logger: silentLogger() })
    sender.push([change('pending'), change('firing'), change('resolved'), change('firing', 'g/NewPattern')], rule => rule === 'g/NewPattern')
    assert.equal(sender.pending, 3, 'pending changes are not sent')
    await sender.flush(() => false, async () => {})
    assert.equal(am.posts.length, 2, 'the 503 was retried')
    const [firing, resolved, novel] = am.posts[1] as Record<string, unknown>[]
    assert.equal(firing.startsAt, new Date(T).toISOString())
    assert.equal(firing.endsAt, new Date(T + 5000 + 4 * RESEND_MS).toISOString(), 'firing: valid for four resend periods')
    assert.equal(firing.generatorURL, 'http://console:8080/context?topic=logs&partition=2&offset=41', 'links to the record behind the change')
    assert.equal(resolved.endsAt, new Date(T + 1000).toISOString())
    assert.equal(novel.endsAt, undefined, 'a new pattern is left to Alertmanager\'s resolve_timeout')
    assert.equal(sender.pending, 0)
    assert.equal(sender.sent, 3)

    sender.resend([{ state: 'firing', series: {}, labels: { alertname: 'A' }, annotations: {}, value: 1, activeAt: T, firedAt: T + 10 }, { state: 'pending', series: {}, labels: { alertname: 'B' }, annotations: {}, value: 1, activeAt: T }])
    await sender.flush(() => false, async () => {})
    assert.deepEqual((am.posts[2] as { labels: unknown, startsAt: string }[]).map(a => [a.labels, a.startsAt]), [[{ alertname: 'A' }, new Date(T + 10).toISOString()]], 'resends carry the time it fired; pending ones are not sent')
  } finally { await am.close() }
})

test('alerts Alertmanager refuses for good (400) are dropped, not retried forever; a stop ends the retries', async () => {
  const am = await alertmanager(n => n === 1 ? 400 : 503)
  try {
    const out = createOutput({ name: 'alertmanager', type: 'alertmanager', url: secretUrl(am.url), headers: {}, retry: { attempts: 3, initialBackoffMs: 1, maxBackoffMs: 1 } }, { kafka: null as unknown as KafkaClient, write: () => {} })
    const sender = new AlertSender({ deliver: async a => await out.deliver(a), clock: new ManualClock(T), logger: silentLogger() })
    sender.push([change('firing')], () => false)
    await sender.flush(() => false, async () => {})
    assert.equal(sender.pending, 0)
    assert.match(sender.lastError?.message ?? '', /HTTP 400/)
    sender.push([change('resolved')], () => false)
    let sleeps = 0
    await sender.flush(() => sleeps >= 3, async () => { sleeps++ })
    assert.equal(sender.pending, 1, 'kept for the next flush (the owner does not snapshot meanwhile)')
    assert.equal(am.posts.length, 4)
  } finally { await am.close() }
})

test('summaries of several owners merge: the strongest state, the highest value, every alert', () => {
  const base: RuleSummary = { id: 'g/A', group: 'g', alert: 'A', kind: 'metric', expr: 'x > 1', state: 'inactive', value: null, evaluatedAt: null, alerts: [], recent: [] }
  const merged = mergeSummaries([
    [{ ...base, state: 'pending', value: 2, evaluatedAt: '2026-01-01T00:00:01.000Z', alerts: [{ labels: { pod: 'a' }, state: 'pending', value: 2, activeAt: '2026-01-01T00:00:00.000Z' }] }],
    [{ ...base, state: 'firing', value: 5, evaluatedAt: '2026-01-01T00:00:02.000Z', alerts: [{ labels: { pod: 'b' }, state: 'firing', value: 5, activeAt: '2026-01-01T00:00:00.000Z' }], recent: [{ state: 'firing', labels: { pod: 'b' }, value: 5, at: '2026-01-01T00:00:02.000Z' }] }],
    [base]
  ])
  assert.equal(merged.length, 1)
  assert.deepEqual([merged[0].state, merged[0].value, merged[0].evaluatedAt, merged[0].alerts.length, merged[0].recent.length], ['firing', 5, '2026-01-01T00:00:02.000Z', 2, 1])
})
