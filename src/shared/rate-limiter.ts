/**
 * Rate limits per destination: a token bucket per key (Slack: about one message per second per
 * webhook, with short bursts). A send over the limit waits for its turn; nothing is dropped. A
 * destination's own "slow down" (HTTP 429 with Retry-After) closes the bucket until then, for
 * every sender sharing the destination. Used by the notifier's receivers and functions' outputs.
 */
import type { Clock } from './clock.js'
import { sleep } from './sleep.js'

export interface RateLimit {
  /** Senders with the same key share one limit (for Slack, a hash of the webhook URL). */
  readonly key: string
  /** At most one message per this many ms on average… */
  readonly intervalMs: number
  /** …with bursts of up to this many. */
  readonly burst: number
}

export interface Bucket { tokens: number, updatedAt: number, closedUntil: number }

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

