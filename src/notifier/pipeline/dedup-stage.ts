/**
 * Decides, per receiver integration, whether the group's (unmuted) alerts need a notification
 * now, with `dedup` from decide.ts. "Last notified" is the notification still waiting in the
 * outbox for this group if there is one (it will be delivered, so deciding against the log
 * alone would queue the same news twice), else the notification log.
 */
import { dedup, type NotificationLogEntry } from '../decide.js'
import type { NotificationLog } from '../store/notification-log.js'
import type { Outbox } from '../store/outbox.js'
import type { IntegrationContext, Stage } from './stage.js'

export function dedupStage (nflog: NotificationLog, outbox: Pick<Outbox, 'latest'>): Stage<IntegrationContext> {
  return (ctx, alerts) => {
    const { integration, group, now } = ctx
    const pending = outbox.latest({ integration: integration.key, groupKey: group.groupKey })
    const last: NotificationLogEntry | undefined = pending !== undefined
      ? { at: pending.log.at, firing: new Set(pending.log.firing), resolved: new Set(pending.log.resolved) }
      : nflog.get(integration.key, group.groupKey, now)
    const d = dedup({ now, alerts, ...group.options, sendResolved: integration.sendResolved, lastNotified: last })
    ctx.decision = d
    ctx.trace.push(`dedup ${integration.key}: ${d.notify ? 'notify' : 'hold'}, ${d.reason} (${d.detail})`)
    if (d.notify) return [...d.firing, ...d.resolved]
    // Nothing to send, but the log must forget firing alerts (so the next one counts as new).
    if (d.log !== undefined) nflog.record(integration.key, group.groupKey, d.log, now + logRetention(group.options.repeatIntervalMs))
    return []
  }
}

/** How long a log entry is kept: twice repeat_interval, as Alertmanager does. */
export function logRetention (repeatIntervalMs: number): number {
  return 2 * repeatIntervalMs
}
