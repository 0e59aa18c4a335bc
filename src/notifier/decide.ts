/**
 * Should an aggregation group notify its receiver now, and why? One pure function combining
 * Alertmanager's two throttles:
 *
 * - the dispatcher's flush timer: a new group first flushes after group_wait (at once if an
 *   alert was already older than group_wait when it arrived), then every group_interval;
 * - the dedup stage, which compares the group's firing and resolved alerts with the notification
 *   log entry of the last notification to this receiver (per receiver integration and group key):
 *   notify when alerts were added, when alerts resolved (only with send_resolved, except that the
 *   last firing alert resolving is always logged), or when repeat_interval has passed.
 *
 * Silenced and inhibited alerts must be removed before calling (Alertmanager mutes before dedup).
 */
import { isResolved, type Alert } from './alert.js'

/** What the notification log remembers of the last notification to a receiver for a group. */
export interface NotificationLogEntry {
  /** When it was sent. */
  readonly at: number
  /** Fingerprints of the alerts that were firing then, and of those that were resolved. */
  readonly firing: ReadonlySet<string>
  readonly resolved: ReadonlySet<string>
}

export interface GroupClock {
  readonly createdAt: number
  /** The last flush (whether or not it notified); undefined before the first. */
  readonly lastFlushAt?: number
}

export interface DecideInput {
  readonly now: number
  readonly group: GroupClock
  /** The group's unmuted alerts, firing and resolved. */
  readonly alerts: readonly Alert[]
  readonly groupWaitMs: number
  readonly groupIntervalMs: number
  readonly repeatIntervalMs: number
  readonly sendResolved: boolean
  readonly lastNotified?: NotificationLogEntry
}

/** Alertmanager's notification reasons (its webhook's `notification_reason`). */
export type NotifyReason = 'first notification' | 'new alerts added' | 'some alerts resolved' | 'all alerts resolved' | 'repeat interval elapsed'

export type HoldReason =
  | 'waiting for group_wait'
  | 'waiting for group_interval'
  | 'no alerts'
  | 'never notified and nothing firing'
  | 'fired and resolved between notifications'
  | 'resolved, but send_resolved is off'
  | 'unchanged since last notification'

export interface NotifyDecision {
  /** Send a message to the receiver now. */
  notify: boolean
  reason: NotifyReason | HoldReason
  /** The reason with the numbers behind it, for logs and the console. */
  detail: string
  /** A flush happened: the caller sets lastFlushAt = now, and may then drop `expired`. */
  flushed: boolean
  /** Firing alerts to put in the message. */
  firing: Alert[]
  /** Resolved alerts to put in the message (none without send_resolved). */
  resolved: Alert[]
  /**
   * The entry to write to the notification log once the message is delivered (or at once when
   * nothing is to be sent but the log must forget firing alerts); undefined: leave it as is.
   */
  log?: NotificationLogEntry
  /** Fingerprints of resolved alerts the group can drop after a successful flush. */
  expired: string[]
  /** When to ask again. */
  nextCheckAt: number
}

export function decide (input: DecideInput): NotifyDecision {
  const timing = flushTiming(input)
  if (!timing.due) return { notify: false, reason: timing.reason, detail: timing.detail, flushed: false, firing: [], resolved: [], expired: [], nextCheckAt: timing.nextCheckAt }
  return dedup(input)
}

export type FlushTiming =
  | { due: true }
  | { due: false, reason: 'waiting for group_wait' | 'waiting for group_interval', detail: string, nextCheckAt: number }

/**
 * The dispatcher's half of `decide`: is the group's flush due now, and if not, when? Used alone
 * by the dispatcher to set its timers and by the pipeline's wait stage.
 */
export function flushTiming (input: Pick<DecideInput, 'now' | 'group' | 'alerts' | 'groupWaitMs' | 'groupIntervalMs'>): FlushTiming {
  const { now, group, groupWaitMs, groupIntervalMs } = input
  if (group.lastFlushAt === undefined) {
    const due = group.createdAt + groupWaitMs
    // An alert that had already been firing for group_wait when it arrived is not held back.
    const late = input.alerts.some(a => a.startsAt + groupWaitMs < a.updatedAt)
    if (now < due && !late) return { due: false, reason: 'waiting for group_wait', detail: `first flush at ${iso(due)} (group_wait ${groupWaitMs} ms)`, nextCheckAt: due }
  } else if (now < group.lastFlushAt + groupIntervalMs) {
    const due = group.lastFlushAt + groupIntervalMs
    return { due: false, reason: 'waiting for group_interval', detail: `next flush at ${iso(due)} (group_interval ${groupIntervalMs} ms)`, nextCheckAt: due }
  }
  return { due: true }
}

/**
 * The dedup stage's half of `decide`, for a group whose flush is due now: compares the group's
 * alerts with the notification-log entry of the last notification to this receiver integration.
 */
export function dedup (input: Omit<DecideInput, 'group'>): NotifyDecision {
  const { now, alerts, sendResolved, lastNotified: last, repeatIntervalMs } = input
  const firing = alerts.filter(a => !isResolved(a, now))
  const resolved = alerts.filter(a => isResolved(a, now))
  const log: NotificationLogEntry = { at: now, firing: new Set(firing.map(a => a.fingerprint)), resolved: new Set(resolved.map(a => a.fingerprint)) }
  const base = { flushed: true, expired: resolved.map(a => a.fingerprint), nextCheckAt: now + input.groupIntervalMs }
  const send = (reason: NotifyReason, detail: string): NotifyDecision =>
    ({ ...base, notify: true, reason, detail, firing, resolved: sendResolved ? resolved : [], log })
  const hold = (reason: HoldReason, detail: string, record = false): NotifyDecision =>
    ({ ...base, notify: false, reason, detail, firing: [], resolved: [], log: record ? log : undefined })

  if (alerts.length === 0) return hold('no alerts', 'the group has no unmuted alerts')
  if (last === undefined) {
    if (firing.length === 0) return hold('never notified and nothing firing', `${resolved.length} resolved alert(s) the receiver never heard of`)
    return send('first notification', `${firing.length} firing alert(s)`)
  }
  const added = firing.filter(a => !last.firing.has(a.fingerprint))
  if (added.length > 0) {
    return last.firing.size === 0
      ? send('first notification', `${firing.length} firing alert(s); none were firing at the last notification`)
      : send('new alerts added', `${added.length} of ${firing.length} firing alert(s) not in the last notification`)
  }
  if (firing.length === 0) {
    if (last.firing.size === 0) return hold('fired and resolved between notifications', 'nothing was firing at the last notification and nothing is now')
    // Logged even without send_resolved, so the next firing alert counts as new.
    if (!sendResolved) return hold('resolved, but send_resolved is off', `all ${last.firing.size} notified alert(s) resolved; logged, not sent`, true)
    return send('all alerts resolved', `all ${last.firing.size} notified alert(s) resolved`)
  }
  const newlyResolved = resolved.filter(a => !last.resolved.has(a.fingerprint))
  if (sendResolved && newlyResolved.length > 0) return send('some alerts resolved', `${newlyResolved.length} alert(s) resolved since the last notification`)
  if (last.at < now - repeatIntervalMs) return send('repeat interval elapsed', `last notified ${iso(last.at)}, repeat_interval ${repeatIntervalMs} ms`)
  return hold('unchanged since last notification', `repeat at ${iso(last.at + repeatIntervalMs)} or later`)
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
