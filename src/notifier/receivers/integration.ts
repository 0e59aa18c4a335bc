/**
 * A receiver integration: one entry of a receiver's `webhook_configs`, `slack_configs`, … as a
 * runtime object that can send one notification. It only sends and classifies failures
 * (DeliveryError, retryable or not); rate limits, retries and the log are the pipeline's.
 */
import type { QueuedNotification } from '../store/outbox.js'
import type { RateLimit } from '../../shared/rate-limiter.js'

export type { RateLimit }

export interface SendContext {
  readonly signal: AbortSignal
  /** The notifier's own URL, for links back to it (the webhook payload's externalURL). */
  readonly externalURL: string
}

export interface Integration {
  /** `receiver/type/index`, e.g. `team-x/slack/0`: the notification log's key, as in Alertmanager. */
  readonly key: string
  readonly receiver: string
  readonly type: string
  readonly sendResolved: boolean
  /** Limits every message must fit: the destination's own (Slack: 1/s per webhook), then the receiver's configured one. */
  readonly rateLimits?: readonly RateLimit[]
  /** For logs and errors: the type and the destination's origin, never the full URL. */
  readonly describe: string
  send: (n: QueuedNotification, ctx: SendContext) => Promise<void>
}

export function integrationKey (receiver: string, type: string, index: number): string {
  return `${receiver}/${type}/${index}`
}
