// The notifier's read model: what the API and the console show, computed from its state.
// - alertStatuses: every held, unresolved alert with whether and by what it is muted (the
//   routes' receivers, the silences and inhibit rules in force), as GET /api/v2/alerts lists it.
// - deliveryStatus: per alert group, which integrations its receiver has and the newest outcome
//   of each (delivered / failed, attempts, when). Alertmanager's v2 API has no such view; the
//   console serves it. Integration keys are `receiver/type/index`: names only, never a URL.
import type { Notifier } from './notifier.js'
import type { Alert } from './alert.js'
import type { NotifierConfig } from './config.js'
import { isResolved } from './alert.js'
import { inhibitionIndex } from './inhibit.js'
import { matchRoutes } from './route.js'
import { integrationKey } from './receivers/integration.js'

/** An alert as the API lists it, with whether and by what it is muted. */
export interface AlertStatus {
  alert: Alert
  receivers: string[]
  silencedBy: string[]
  inhibitedBy: string[]
}

/** Every held alert not yet resolved at `now`, with its receivers and what mutes it. */
export function alertStatuses (held: Iterable<Alert>, config: NotifierConfig, silencedBy: (labels: Record<string, string>, now: number) => string[], now: number): AlertStatus[] {
  const live = [...held].filter(a => !isResolved(a, now))
  const inhibited = inhibitionIndex(config.inhibitRules, live, now)
  return live.map(alert => {
    const inh = inhibited(alert.labels)
    return {
      alert,
      receivers: [...new Set(matchRoutes(config.route, alert.labels).map(r => r.options.receiver))],
      silencedBy: silencedBy(alert.labels, now),
      inhibitedBy: inh.inhibited ? [inh.by] : []
    }
  })
}

/** The parts of the notifier this view reads (a narrow type keeps tests free of a real notifier). */
export type DeliverySource = Pick<Notifier, 'groups' | 'deliveries' | 'pendingNotifications' | 'config'>

export interface IntegrationDelivery {
  integration: string
  /** Newest outcome for this group; null while nothing was sent (group_wait, or deduplicated). */
  last: { at: string, outcome: 'delivered' | 'failed', attempts: number, reason: string | null } | null
}

export interface GroupDelivery {
  receiver: string
  groupLabels: Record<string, string>
  /** Fingerprints of the group's alerts, so the console can place each alert in its group. */
  fingerprints: string[]
  /** When the group was last flushed to its receiver; null while it waits for group_wait. */
  lastFlushAt: string | null
  integrations: IntegrationDelivery[]
}

export interface DeliveryStatus {
  /** Notifications queued on disk and not yet delivered (retrying, rate-limited, or in flight). */
  pending: number
  groups: GroupDelivery[]
}

export function deliveryStatus (n: DeliverySource): DeliveryStatus {
  // Newest record per (integration, group): later records overwrite earlier ones.
  const newest = new Map<string, (typeof n.deliveries)[number]>()
  for (const d of n.deliveries) newest.set(`${d.integration}\u0000${d.groupKey}`, d)
  const groups = n.groups().map(g => {
    const receiver = n.config.receivers.get(g.receiver)
    const integrations = (receiver?.integrations ?? []).map(i => {
      const key = integrationKey(g.receiver, i.type, i.index)
      const d = newest.get(`${key}\u0000${g.groupKey}`)
      return {
        integration: key,
        last: d === undefined ? null : { at: new Date(d.at).toISOString(), outcome: d.outcome, attempts: d.attempts, reason: d.reason ?? null }
      }
    })
    return {
      receiver: g.receiver,
      groupLabels: { ...g.groupLabels },
      fingerprints: g.alerts.map(a => a.fingerprint),
      lastFlushAt: g.lastFlushAt === undefined ? null : new Date(g.lastFlushAt).toISOString(),
      integrations
    }
  })
  return { pending: n.pendingNotifications, groups }
}
