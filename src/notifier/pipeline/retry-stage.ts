/**
 * Repeats a failed delivery until it succeeds, with capped exponential backoff: network errors,
 * HTTP 5xx, 408 and 429 are retried (429 and 503 after the Retry-After the receiver asked for);
 * any other refusal is final and reported with its reason. Unlike Alertmanager, which gives up at
 * the next group_interval, retrying does not stop: the notification is on disk and stays owed.
 *
 * Between attempts a newer notification for the same group may have been queued; the next
 * attempt sends that one (the receiver gets the group's current state, once).
 */
import type { Clock } from '../../shared/clock.js'
import { DeliveryError, retryDecision, type Backoff } from '../../shared/http-delivery.js'
import type { QueuedNotification } from '../store/outbox.js'
import type { DeliveryStage } from './delivery.js'
import type { RateLimiter } from './rate-limit-stage.js'
import { sleep } from '../../shared/sleep.js'

export type { Backoff, RetryDecision } from '../../shared/http-delivery.js'
export { retryDecision }

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 }

export interface RetryOptions {
  clock: Clock
  backoff: Backoff
  /** The pending version of a notification (undefined once withdrawn or finished elsewhere). */
  latest: (n: QueuedNotification) => QueuedNotification | undefined
  limiter: RateLimiter
}

export function retryStage (o: RetryOptions): DeliveryStage {
  return next => async d => {
    let lastReason = ''
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(d)
      } catch (err) {
        if (d.signal.aborted) return { outcome: 'aborted' }
        const decision = retryDecision(err, attempt, o.backoff)
        if (!decision.retry) return { outcome: 'failed', n: d.n, attempts: d.attempts, reason: decision.reason }
        // The same error on every attempt of a long outage is logged once.
        if (decision.reason !== lastReason) d.logger.warn({ integration: d.integration.describe, groupKey: d.n.groupKey, attempt, retryInMs: decision.afterMs, err: decision.reason }, 'notification not delivered; will retry')
        lastReason = decision.reason
        if (err instanceof DeliveryError && err.retryAfterMs !== null) {
          for (const limit of d.integration.rateLimits ?? []) o.limiter.closeUntil(limit, o.clock.now() + decision.afterMs)
        }
        if (!await sleep(o.clock, decision.afterMs, d.signal)) return { outcome: 'aborted' }
        const latest = o.latest(d.n)
        if (latest === undefined) return { outcome: 'withdrawn' }
        d.n = latest
      }
    }
  }
}
