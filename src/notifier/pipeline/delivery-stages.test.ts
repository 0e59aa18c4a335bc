import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../shared/clock.js'
import { silentLogger } from '../../shared/logger.js'
import { DeliveryError } from '../../shared/http-delivery.js'
import type { NotificationLogEntry } from '../decide.js'
import type { QueuedNotification } from '../store/outbox.js'
import { sendStep, wrap, type Delivery } from './delivery.js'
import { RateLimiter, rateLimitStage, waitForToken } from './rate-limit-stage.js'
import { recordStage } from './record-stage.js'
import { retryDecision, retryStage } from './retry-stage.js'
import { fakeIntegration, settle } from './test-support.js'

const SLACK = { key: 'u', intervalMs: 1000, burst: 1 }

function queued (id: number): QueuedNotification {
  return { id, integration: 'team/webhook/0', receiver: 'team', groupKey: 'g', groupLabels: {}, firing: [], resolved: [], reason: 'first notification', log: { at: id, firing: [], resolved: [] }, logRetentionMs: 1000, queuedAt: 0 }
}

function delivery (n: QueuedNotification, integration = fakeIntegration(), signal = new AbortController().signal): Delivery {
  return { n, integration, signal, logger: silentLogger(), attempts: 0 }
}

test('rate limit: waitForToken is 0 with a token, the rest of the interval without, and Retry-After closes the bucket', () => {
  assert.equal(waitForToken({ tokens: 1, updatedAt: 0, closedUntil: 0 }, SLACK, 0), 0)
  assert.equal(waitForToken({ tokens: 0, updatedAt: 0, closedUntil: 0 }, SLACK, 250), 750)
  assert.equal(waitForToken({ tokens: 1, updatedAt: 0, closedUntil: 5000 }, SLACK, 1000), 4000)
})

test('rate limit stage (fake clock): three sends to one Slack webhook go out a second apart, none dropped', async () => {
  const clock = new ManualClock(0)
  const sentAt: number[] = []
  const deliver = wrap([rateLimitStage(new RateLimiter(clock))], async d => { sentAt.push(clock.now()); return { outcome: 'delivered', n: d.n, attempts: 1 } })
  const integration = fakeIntegration({ rateLimits: [SLACK] })
  const all = Promise.all([1, 2, 3].map(async i => await deliver(delivery(queued(i), integration))))
  for (let t = 0; t < 10 && sentAt.length < 3; t++) { await settle(); clock.advance(500) }
  await all
  assert.deepEqual(sentAt, [0, 1000, 2000])
})

test('retry decision: 4xx is final, 5xx and network errors back off exponentially up to the cap, Retry-After wins', () => {
  const backoff = { initialMs: 100, maxMs: 1000 }
  assert.deepEqual(retryDecision(new DeliveryError('x: HTTP 400', { retryable: false }), 1, backoff), { retry: false, reason: 'x: HTTP 400' })
  assert.deepEqual([1, 2, 3, 4, 5, 9].map(n => (retryDecision(new Error('ECONNREFUSED'), n, backoff) as { afterMs: number }).afterMs), [100, 200, 400, 800, 1000, 1000])
  assert.equal((retryDecision(new DeliveryError('x: HTTP 429', { retryable: true, retryAfterMs: 3000 }), 1, backoff) as { afterMs: number }).afterMs, 3000)
})

test('retry stage (fake clock): retries until the receiver is back, sending the newest version of the notification', async () => {
  const clock = new ManualClock(0)
  const sent: number[] = []
  let failuresLeft = 3
  let latest = queued(1)
  const deliver = wrap([retryStage({ clock, backoff: { initialMs: 100, maxMs: 1000 }, latest: () => latest, limiter: new RateLimiter(clock) })], async d => {
    sent.push(d.n.id)
    if (failuresLeft-- > 0) throw new DeliveryError('HTTP 503', { retryable: true })
    return { outcome: 'delivered', n: d.n, attempts: sent.length }
  })
  const result = deliver(delivery(latest))
  await settle()
  latest = queued(2) // a newer decision for the same group, queued while the receiver was down
  for (const step of [100, 200, 400]) { clock.advance(step); await settle() }
  assert.deepEqual(await result, { outcome: 'delivered', n: latest, attempts: 4 })
  assert.deepEqual(sent, [1, 2, 2, 2])
})

test('retry stage: a 4xx refusal is not retried; an abort leaves the notification queued', async () => {
  const clock = new ManualClock(0)
  const stage = retryStage({ clock, backoff: { initialMs: 100, maxMs: 1000 }, latest: n => n, limiter: new RateLimiter(clock) })
  const refused = await wrap([stage], async () => { throw new DeliveryError('HTTP 404: channel_not_found', { retryable: false }) })(delivery(queued(1)))
  assert.deepEqual(refused, { outcome: 'failed', n: queued(1), attempts: 0, reason: 'HTTP 404: channel_not_found' })
  const abort = new AbortController()
  const pending = wrap([stage], async () => { throw new DeliveryError('HTTP 502', { retryable: true }) })(delivery(queued(1), fakeIntegration(), abort.signal))
  await settle()
  abort.abort()
  assert.deepEqual(await pending, { outcome: 'aborted' })
})

test('record stage: a delivered notification goes into the log and leaves the outbox; a refused one leaves as failed', async () => {
  const logged: [string, string, NotificationLogEntry, number][] = []
  const done: [number, string, string | undefined][] = []
  const records: string[] = []
  const stage = recordStage({ record: (i, g, e, exp) => { logged.push([i, g, e, exp]); return true } }, { done: (n, o, r) => { done.push([n.id, o, r]) } }, r => records.push(r.outcome), () => 0)
  await wrap([stage], sendStep(() => 'http://x'))(delivery(queued(7)))
  assert.deepEqual(logged, [['team/webhook/0', 'g', { at: 7, firing: new Set(), resolved: new Set() }, 1007]])
  await wrap([stage], async d => ({ outcome: 'failed', n: d.n, attempts: 1, reason: 'HTTP 400' }))(delivery(queued(8)))
  assert.deepEqual(done, [[7, 'delivered', undefined], [8, 'failed', 'HTTP 400']])
  assert.deepEqual(records, ['delivered', 'failed'])
})

test('rate limit stage: notifications that wait for the limit are aggregated, the newest for the group is sent, nothing dropped', async () => {
  const clock = new ManualClock(0)
  let latest = queued(1)
  const sent: number[] = []
  const limit = { key: 'receiver team/webhook/0', intervalMs: 10_000, burst: 1 }
  const deliver = wrap([rateLimitStage(new RateLimiter(clock), () => latest)], async d => { sent.push(d.n.id); return { outcome: 'delivered', n: d.n, attempts: 1 } })
  const integration = fakeIntegration({ rateLimits: [limit] })
  assert.deepEqual(await deliver(delivery(latest, integration)), { outcome: 'delivered', n: queued(1), attempts: 1 })
  // The next one waits for the bucket; meanwhile the group's news is replaced twice.
  latest = queued(2)
  const waiting = deliver(delivery(latest, integration))
  for (const id of [3, 4]) { clock.advance(4000); await settle(); latest = queued(id) }
  clock.advance(4000)
  assert.deepEqual(await waiting, { outcome: 'delivered', n: queued(4), attempts: 1 })
  assert.deepEqual(sent, [1, 4])
})
