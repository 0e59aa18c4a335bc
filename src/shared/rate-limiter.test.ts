import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from './clock.js'
import { RateLimiter, waitForToken } from './rate-limiter.js'

const slack = { key: 'slack hook', intervalMs: 1000, burst: 1 }
const never = new AbortController().signal

/** Lets the limiter's awaits run after the clock moved. */
async function settle (): Promise<void> { for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve)) }

test('one message per interval per key, in the order asked, whatever the senders sharing the key; other keys are not held', async () => {
  const clock = new ManualClock(0)
  const limiter = new RateLimiter(clock)
  const sent: { who: string, at: number }[] = []
  const send = async (who: string, limit = slack): Promise<void> => { if (await limiter.take(limit, never)) sent.push({ who, at: clock.now() }) }
  const all = Promise.all([send('a'), send('b'), send('c'), send('other', { ...slack, key: 'other hook' })])
  for (let t = 0; t < 2500; t += 50) { await settle(); clock.advance(50) }
  await all
  assert.deepEqual(sent.filter(s => s.who !== 'other').map(s => s.at), [0, 1000, 2000])
  assert.deepEqual(sent.find(s => s.who === 'other')?.at, 0)
})

test('a destination\'s Retry-After closes its bucket for every sender until then; a burst allows that many at once', () => {
  assert.equal(waitForToken({ tokens: 1, updatedAt: 0, closedUntil: 3000 }, slack, 500), 2500)
  assert.equal(waitForToken({ tokens: 0, updatedAt: 0, closedUntil: 0 }, slack, 250), 750)
  assert.equal(waitForToken({ tokens: 0.5, updatedAt: 0, closedUntil: 0 }, { ...slack, burst: 3 }, 600), 0)
  const clock = new ManualClock(0)
  const limiter = new RateLimiter(clock)
  limiter.closeUntil(slack, 5000)
  let at = -1
  void limiter.take(slack, never).then(() => { at = clock.now() })
  return (async () => {
    for (let t = 0; t < 6000; t += 100) { await settle(); clock.advance(100) }
    await settle()
    assert.equal(at, 5000)
  })()
})
