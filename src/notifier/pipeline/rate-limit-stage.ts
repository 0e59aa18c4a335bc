/**
 * Per-destination rate limits: a token bucket per key (Slack: about one message per second per
 * webhook, with short bursts). A message over the limit waits for its turn; nothing is dropped.
 * A receiver's own "slow down" (HTTP 429 with Retry-After) closes the bucket until then, for
 * every integration sharing the destination.
 */
import type { QueuedNotification } from '../store/outbox.js'
import type { DeliveryStage } from './delivery.js'
import type { RateLimiter } from '../../shared/rate-limiter.js'

export { RateLimiter, waitForToken } from '../../shared/rate-limiter.js'

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
