/**
 * The delivery half of the pipeline: what happens to a queued notification. Delivery stages wrap
 * the integration's send, like middleware: record(retry(rateLimit(send))) — the record stage sees
 * the final outcome, the retry stage repeats failed attempts, and every attempt, first or
 * repeated, waits for the rate limit.
 */
import type { Logger } from '../../shared/logger.js'
import type { Integration } from '../receivers/integration.js'
import type { QueuedNotification } from '../store/outbox.js'

export interface Delivery {
  /** The version being sent; the retry stage may swap in a newer one for the same group. */
  n: QueuedNotification
  readonly integration: Integration
  readonly signal: AbortSignal
  readonly logger: Logger
  attempts: number
}

export type DeliveryOutcome =
  | { outcome: 'delivered', n: QueuedNotification, attempts: number }
  | { outcome: 'failed', n: QueuedNotification, attempts: number, reason: string }
  /** The notifier is closing: the notification stays queued for the next start. */
  | { outcome: 'aborted' }
  /** Nothing left to send: a newer decision withdrew it. */
  | { outcome: 'withdrawn' }

export type Deliver = (d: Delivery) => Promise<DeliveryOutcome>
export type DeliveryStage = (next: Deliver) => Deliver

/** The innermost step: one attempt through the integration; throws on failure. */
export function sendStep (externalURL: () => string): Deliver {
  return async d => {
    d.attempts++
    await d.integration.send(d.n, { signal: d.signal, externalURL: externalURL() })
    return { outcome: 'delivered', n: d.n, attempts: d.attempts }
  }
}

/** Chains delivery stages, outermost first, around `send`. */
export function wrap (stages: readonly DeliveryStage[], send: Deliver): Deliver {
  return stages.reduceRight<Deliver>((next, stage) => stage(next), send)
}
