/**
 * Writes the outcome of a delivery: a delivered notification goes into the notification log
 * (what dedup compares against from now on) and leaves the outbox; a refused one leaves the
 * outbox as failed, with the receiver's reason. Nothing is written when the notifier is closing:
 * the notification stays queued, to be sent after the restart.
 */
import type { NotificationLog } from '../store/notification-log.js'
import type { Outbox } from '../store/outbox.js'
import type { DeliveryStage } from './delivery.js'

export interface DeliveryRecord { at: number, integration: string, groupKey: string, outcome: 'delivered' | 'failed', attempts: number, reason?: string }

export function recordStage (nflog: Pick<NotificationLog, 'record'>, outbox: Pick<Outbox, 'done'>, onRecord: (r: DeliveryRecord) => void, now: () => number): DeliveryStage {
  return next => async d => {
    const result = await next(d)
    if (result.outcome === 'delivered') {
      const { n } = result
      nflog.record(n.integration, n.groupKey, { at: n.log.at, firing: new Set(n.log.firing), resolved: new Set(n.log.resolved) }, n.log.at + n.logRetentionMs)
      outbox.done(n, 'delivered')
      onRecord({ at: now(), integration: n.integration, groupKey: n.groupKey, outcome: 'delivered', attempts: result.attempts })
    } else if (result.outcome === 'failed') {
      outbox.done(result.n, 'failed', result.reason)
      d.logger.error({ integration: d.integration.describe, groupKey: result.n.groupKey, err: result.reason }, 'notification refused by the receiver; not retried')
      onRecord({ at: now(), integration: result.n.integration, groupKey: result.n.groupKey, outcome: 'failed', attempts: result.attempts, reason: result.reason })
    }
    return result
  }
}
