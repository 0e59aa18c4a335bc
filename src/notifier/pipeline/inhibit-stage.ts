/**
 * Drops the alerts an inhibit rule mutes. The sources are all alerts the notifier holds (not
 * just this group's), firing at the flush's time, silenced ones included, as in Alertmanager.
 */
import type { Alert } from '../alert.js'
import { inhibitionIndex, type InhibitRule } from '../inhibit.js'
import type { Stage } from './stage.js'

export function inhibitStage (rules: readonly InhibitRule[], allAlerts: () => Iterable<Alert>): Stage {
  return (ctx, alerts) => {
    if (rules.length === 0) return alerts
    const inhibited = inhibitionIndex(rules, allAlerts(), ctx.now)
    const kept = alerts.filter(a => !inhibited(a.labels).inhibited)
    if (kept.length < alerts.length) ctx.trace.push(`inhibit: ${alerts.length - kept.length} muted`)
    return kept
  }
}
