/**
 * Puts the notification the dedup stage decided on into the outbox, on disk, replacing one
 * still pending for the same group. From here on it survives a restart; the delivery stages
 * (rate limit, retry, record) take it from the outbox.
 */
import type { NotifyReason } from '../decide.js'
import type { Outbox } from '../store/outbox.js'
import { logRetention } from './dedup-stage.js'
import type { IntegrationContext, Stage } from './stage.js'

export function queueStage (outbox: Pick<Outbox, 'put'>, limitedIn: (routePath: string, groupKey: string, now: number) => number = () => 0): Stage<IntegrationContext> {
  return (ctx, alerts) => {
    const d = ctx.decision
    if (d === undefined || !d.notify || d.log === undefined) throw new Error('queue stage: no notify decision; the dedup stage must run first')
    const queued = outbox.put({
      integration: ctx.integration.key,
      receiver: ctx.integration.receiver,
      groupKey: ctx.group.groupKey,
      groupLabels: ctx.group.groupLabels,
      firing: d.firing,
      resolved: d.resolved,
      reason: d.reason as NotifyReason,
      limitedAlerts: limitedIn(ctx.group.routePath, ctx.group.groupKey, ctx.now),
      log: { at: d.log.at, firing: [...d.log.firing], resolved: [...d.log.resolved] },
      logRetentionMs: logRetention(ctx.group.options.repeatIntervalMs),
      queuedAt: ctx.now
    })
    ctx.trace.push(`queue ${ctx.integration.key}: #${queued.id}`)
    return alerts
  }
}
