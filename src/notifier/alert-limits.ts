/**
 * Storm control for alerts themselves: at most `max` firing alerts per alertname are held one by
 * one (Alertmanager's `--alerts.per-alertname-limit`). Alertmanager drops the rest; here they are
 * counted instead, per aggregation group, and every notification of the group says how many
 * more there are (webhook `truncatedAlerts`, Slack/e-mail "… and 1,234 more"). Alerts already
 * held keep being updated (heartbeats, resolution) whatever the limit.
 *
 * The decision is `limitDecision`, pure; the class keeps the counts.
 */
import { isResolved, type Alert } from './alert.js'

export type LimitDecision =
  | { hold: true, reason: 'no limit' | 'already held' | 'resolved' | 'under the limit' }
  | { hold: false, reason: 'over the per-alertname limit', detail: string }

/** Should a posted alert be held one by one? */
export function limitDecision (o: { max: number, held: boolean, resolved: boolean, activeWithName: number, alertname: string }): LimitDecision {
  if (o.max <= 0) return { hold: true, reason: 'no limit' }
  if (o.held) return { hold: true, reason: 'already held' }
  if (o.resolved) return { hold: true, reason: 'resolved' }
  if (o.activeWithName < o.max) return { hold: true, reason: 'under the limit' }
  return { hold: false, reason: 'over the per-alertname limit', detail: `${o.activeWithName} firing '${o.alertname}' alerts held (limit ${o.max}); counted, not held` }
}

export class AlertnameLimits {
  readonly max: number
  /** Fingerprints of held alerts per alertname (resolved ones are pruned when the count matters). */
  readonly #held = new Map<string, Map<string, Alert>>()
  /** Alerts over the limit: per group id, fingerprint → endsAt. */
  readonly #limited = new Map<string, Map<string, number>>()
  readonly #limitedGroups = new Map<string, string[]>()

  constructor (max: number) { this.max = max }

  decide (alert: Alert, held: boolean, now: number): LimitDecision {
    const name = alert.labels.alertname ?? ''
    const wasLimited = this.#limitedGroups.has(alert.fingerprint)
    return limitDecision({ max: this.max, held, resolved: isResolved(alert, now) && !wasLimited, activeWithName: this.#active(name, now), alertname: name })
  }

  /** Records an alert the notifier holds. */
  hold (alert: Alert): void {
    if (this.max <= 0) return
    const name = alert.labels.alertname ?? ''
    let set = this.#held.get(name)
    if (set === undefined) { set = new Map(); this.#held.set(name, set) }
    set.set(alert.fingerprint, alert)
    this.#forget(alert.fingerprint)
  }

  /** Counts an alert over the limit in the groups (`routePath\0groupKey`) it belongs to; a resolved one stops counting. */
  count (alert: Alert, groupIds: readonly string[]): void {
    this.#forget(alert.fingerprint)
    this.#limitedGroups.set(alert.fingerprint, [...groupIds])
    for (const id of groupIds) {
      let m = this.#limited.get(id)
      if (m === undefined) { m = new Map(); this.#limited.set(id, m) }
      m.set(alert.fingerprint, alert.endsAt)
    }
  }

  /** Firing alerts over the limit in one group at `now`. */
  limitedIn (groupId: string, now: number): number {
    const m = this.#limited.get(groupId)
    if (m === undefined) return 0
    let n = 0
    for (const [fp, endsAt] of m) {
      if (endsAt > now) n++
      else this.#forget(fp)
    }
    return n
  }

  /** Every firing alert over the limit, for the status API. */
  get limitedTotal (): number { return this.#limitedGroups.size }

  /** Drops what the notifier no longer holds and limited alerts that resolved. */
  gc (now: number, stillHeld: (fingerprint: string) => boolean): void {
    for (const [name, set] of this.#held) {
      for (const fp of set.keys()) if (!stillHeld(fp)) set.delete(fp)
      if (set.size === 0) this.#held.delete(name)
    }
    for (const id of this.#limited.keys()) this.limitedIn(id, now)
  }

  #active (name: string, now: number): number {
    const set = this.#held.get(name)
    if (set === undefined) return 0
    if (set.size < this.max) return set.size
    let n = 0
    for (const a of set.values()) if (!isResolved(a, now)) n++
    return n
  }

  #forget (fingerprint: string): void {
    const groups = this.#limitedGroups.get(fingerprint)
    if (groups === undefined) return
    this.#limitedGroups.delete(fingerprint)
    for (const id of groups) {
      const m = this.#limited.get(id)
      m?.delete(fingerprint)
      if (m?.size === 0) this.#limited.delete(id)
    }
  }
}
