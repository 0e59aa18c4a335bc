/**
 * The whole notification policy, in order:
 *
 *   flush of a group:  inhibit → silence → wait → for each integration: dedup → queue (on disk)
 *   each queued one:   rate limit → retry → record      (delivery worker, per integration)
 *
 * A flush only decides and queues, so a slow or dead receiver never delays grouping; the
 * outbox between the halves is what makes a restart forget nothing.
 */
import type { Clock } from '../../shared/clock.js'
import type { Alert } from '../alert.js'
import type { InhibitRule } from '../inhibit.js'
import type { Integration } from '../receivers/integration.js'
import type { NotificationLog } from '../store/notification-log.js'
import type { Outbox } from '../store/outbox.js'
import { dedupStage } from './dedup-stage.js'
import { sendStep, wrap, type Deliver } from './delivery.js'
import { inhibitStage } from './inhibit-stage.js'
import { queueStage } from './queue-stage.js'
import { rateLimitStage, type RateLimiter } from './rate-limit-stage.js'
import { recordStage, type DeliveryRecord } from './record-stage.js'
import { retryStage, type Backoff } from './retry-stage.js'
import { silenceStage, type Silencer } from './silence-stage.js'
import { forEachIntegration, sequence, type Stage } from './stage.js'
import { waitStage } from './wait-stage.js'

export interface FlushPipelineDeps {
  inhibitRules: readonly InhibitRule[]
  allAlerts: () => Iterable<Alert>
  silencer: Silencer
  integrationsOf: (receiver: string) => readonly Integration[]
  nflog: NotificationLog
  outbox: Outbox
  /** Firing alerts of a group over the per-alertname limit (counted in its messages). */
  limitedIn?: (routePath: string, groupKey: string, now: number) => number
}

export function buildFlushPipeline (d: FlushPipelineDeps): Stage {
  return sequence(
    inhibitStage(d.inhibitRules, d.allAlerts),
    silenceStage(d.silencer),
    waitStage(),
    forEachIntegration(d.integrationsOf, sequence(
      dedupStage(d.nflog, d.outbox),
      queueStage(d.outbox, d.limitedIn)
    ))
  )
}

export interface DeliveryPipelineDeps {
  clock: Clock
  backoff: Backoff
  limiter: RateLimiter
  nflog: NotificationLog
  outbox: Outbox
  externalURL: () => string
  onRecord: (r: DeliveryRecord) => void
}

export function buildDeliveryPipeline (d: DeliveryPipelineDeps): Deliver {
  return wrap([
    recordStage(d.nflog, d.outbox, d.onRecord, () => d.clock.now()),
    retryStage({ clock: d.clock, backoff: d.backoff, latest: n => d.outbox.latest(n), limiter: d.limiter }),
    rateLimitStage(d.limiter, n => d.outbox.latest(n))
  ], sendStep(d.externalURL))
}

export type { Stage, FlushContext, FlushGroup, IntegrationContext } from './stage.js'
export type { Deliver, Delivery, DeliveryOutcome } from './delivery.js'
export type { DeliveryRecord } from './record-stage.js'
export { RateLimiter } from './rate-limit-stage.js'
export { DEFAULT_BACKOFF, type Backoff } from './retry-stage.js'
