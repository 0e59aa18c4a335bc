/**
 * Per-destination rate limits: a token bucket per key (Slack: about one message per second per
 * webhook, with short bursts). A message over the limit waits for its turn; nothing is dropped.
 * A receiver's own "slow down" (HTTP 429 with Retry-After) closes the bucket until then, for
 * every integration sharing the destination.
 */
import type { Clock } from '../../shared/clock.js'
import type { RateLimit } from '../receivers/integration.js'
import type { QueuedNotification } from '../store/outbox.js'
import type { DeliveryStage } from './delivery.js'
import { sleep } from './sleep.js'

interface Bucket { tokens: number, updatedAt: number, closedUntil: number }

/** How long a send must wait under `limit`, given its bucket; pure. */
export function waitForToken (bucket: Bucket, limit: RateLimit, now: number): number {
  const refilled = Math.min(limit.burst, bucket.tokens + (now - bucket.updatedAt) / limit.intervalMs)
  const byTokens = refilled >= 1 ? 0 : Math.ceil((1 - refilled) * limit.intervalMs)
  return Math.max(byTokens, bucket.closedUntil - now, 0)
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>()
  readonly #clock: Clock

  constructor (clock: Clock) { this.#clock = clock }

  /** Resolves when a message may be sent under `limit` (false if aborted first), and takes its token. */
  async take (limit: RateLimit, signal: AbortSignal): Promise<boolean> {
    return await this.takeAll([limit], signal)
  }

  /**
   * Waits until every one of `limits` has a token, then takes one from each at once (a message
   * counts against the destination's limit and the receiver's own, if both are set).
   */
  async takeAll (limits: readonly RateLimit[], signal: AbortSignal): Promise<boolean> {
    for (;;) {
      const now = this.#clock.now()
      const wait = Math.max(0, ...limits.map(l => waitForToken(this.#bucket(l, now), l, now)))
      if (wait === 0) {
        for (const l of limits) {
          const bucket = this.#bucket(l, now)
          bucket.tokens = Math.min(l.burst, bucket.tokens + (now - bucket.updatedAt) / l.intervalMs) - 1
          bucket.updatedAt = now
        }
        return true
      }
      if (!await sleep(this.#clock, wait, signal)) return false
    }
  }

  /** The destination asked for a pause (Retry-After): nothing is sent to it before `until`. */
  closeUntil (limit: RateLimit, until: number): void {
    const bucket = this.#bucket(limit, this.#clock.now())
    bucket.closedUntil = Math.max(bucket.closedUntil, until)
  }

  #bucket (limit: RateLimit, now: number): Bucket {
    let b = this.#buckets.get(limit.key)
    if (b === undefined) { b = { tokens: limit.burst, updatedAt: now, closedUntil: 0 }; this.#buckets.set(limit.key, b) }
    return b
  }
}

/**
 * Waits for the integration's rate limit before each attempt. A notification that waited may
 * have been replaced meanwhile by a newer one for the same group (the outbox keeps one per
 * group): the newer one is sent instead, so news that piles up during the wait is aggregated
 * into one message, not sent as a backlog. Nothing is dropped.
 */
export function rateLimitStage (limiter: RateLimiter, latest: (n: QueuedNotification) => QueuedNotification | undefined = n => n): DeliveryStage {
  return next => async d => {
    const limits = d.integration.rateLimits ?? []
    if (limits.length === 0) return await next(d)
    if (!await limiter.takeAll(limits, d.signal)) return { outcome: 'aborted' }
    const current = latest(d.n)
    if (current === undefined) return { outcome: 'withdrawn' }
    d.n = current
    return await next(d)
  }
}
