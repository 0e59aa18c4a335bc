/**
 * Sorts alerts into aggregation groups and flushes each group on its own timer, as
 * Alertmanager's dispatcher does:
 *
 * - a group is keyed by route (its path in the config) and group key; it is created by its
 *   first alert and first flushes after group_wait — at once if an alert arrives that was
 *   already older than group_wait, while the group has not flushed yet;
 * - after that it flushes every group_interval, whether or not anything changed (the pipeline's
 *   dedup stage decides whether a flush notifies);
 * - after a flush, resolved alerts that did not change meanwhile leave the group; a group left
 *   empty keeps ticking until the next maintenance pass removes it, so an alert arriving in the
 *   meantime waits for the group's next tick, not a new group_wait.
 *
 * The timers are the only clock-driven part, on an injectable Clock; when to flush is
 * `flushTiming`'s decision (decide.ts).
 *
 * After a restart the notifier re-inserts the alerts it stored with when each was first seen: a
 * group comes back with its original creation time, so its group_wait is not started over (one
 * whose group_wait had passed flushes at once, and the notification log decides whether that
 * is news).
 */
import type { Clock, TimerHandle } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'
import { isResolved, type Alert } from './alert.js'
import { flushTiming } from './decide.js'
import type { LabelSet } from './labels.js'
import { routeAlert, type Route } from './route.js'
import type { FlushGroup } from './pipeline/index.js'

/** Flushes a group's alerts through the pipeline; a rejection keeps resolved alerts for the next flush. */
export type FlushFn = (group: FlushGroup, alerts: readonly Alert[], now: number) => Promise<void>

export interface GroupView {
  routePath: string
  receiver: string
  groupKey: string
  groupLabels: LabelSet
  alerts: Alert[]
  createdAt: number
  lastFlushAt?: number
}

interface AggregationGroup {
  readonly id: string
  readonly route: Route
  readonly groupKey: string
  readonly groupLabels: LabelSet
  readonly alerts: Map<string, Alert>
  readonly createdAt: number
  lastFlushAt?: number
  timer?: TimerHandle
  /** When the timer was set to fire. */
  dueAt?: number
  flushing: boolean
}

export interface DispatcherOptions {
  route: Route
  clock: Clock
  flush: FlushFn
  logger: Logger
  /** How often empty groups are removed (Alertmanager: 30s). */
  maintenanceIntervalMs?: number
}

export class Dispatcher {
  readonly #groups = new Map<string, AggregationGroup>()
  readonly #o: Required<DispatcherOptions>
  readonly #inFlight = new Set<Promise<void>>()
  #maintenance?: TimerHandle
  #closed = false

  constructor (o: DispatcherOptions) {
    this.#o = { maintenanceIntervalMs: 30_000, ...o }
    this.#scheduleMaintenance()
  }

  /**
   * Puts an alert (already merged with what was held) into every group it routes to. `seenAt`
   * (default now) is when it was first received: a group it creates counts group_wait from then.
   */
  insert (alert: Alert, seenAt?: number): void {
    if (this.#closed) return
    const now = this.#o.clock.now()
    for (const d of routeAlert(this.#o.route, alert.labels)) {
      const id = `${d.route.path}\u0000${d.groupKey}`
      let g = this.#groups.get(id)
      const created = g === undefined
      if (g === undefined) {
        g = { id, route: d.route, groupKey: d.groupKey, groupLabels: d.groupLabels, alerts: new Map(), createdAt: Math.min(seenAt ?? now, now), flushing: false }
        this.#groups.set(id, g)
      }
      g.alerts.set(alert.fingerprint, alert)
      if (created || g.lastFlushAt === undefined) this.#schedule(g, now)
    }
  }

  groups (): GroupView[] {
    return [...this.#groups.values()].map(g => ({
      routePath: g.route.path,
      receiver: g.route.options.receiver,
      groupKey: g.groupKey,
      groupLabels: g.groupLabels,
      alerts: [...g.alerts.values()],
      createdAt: g.createdAt,
      lastFlushAt: g.lastFlushAt
    }))
  }

  /** Stops every timer and waits for flushes under way. */
  async close (): Promise<void> {
    this.#closed = true
    for (const g of this.#groups.values()) if (g.timer !== undefined) this.#o.clock.clearTimeout(g.timer)
    if (this.#maintenance !== undefined) this.#o.clock.clearTimeout(this.#maintenance)
    await Promise.allSettled([...this.#inFlight])
  }

  /** (Re)sets a not-yet-flushed group's first flush from flushTiming. */
  #schedule (g: AggregationGroup, now: number): void {
    const { groupWaitMs, groupIntervalMs } = g.route.options
    const timing = flushTiming({ now, group: { createdAt: g.createdAt }, alerts: [...g.alerts.values()], groupWaitMs, groupIntervalMs })
    const delay = timing.due ? 0 : timing.nextCheckAt - now
    // An unchanged first-flush time keeps its timer (a storm inserts thousands of alerts).
    if (g.timer !== undefined && !timing.due) return
    if (g.timer !== undefined) this.#o.clock.clearTimeout(g.timer)
    g.dueAt = now + delay
    g.timer = this.#o.clock.setTimeout(() => this.#tick(g), delay)
  }

  #tick (g: AggregationGroup): void {
    g.timer = undefined
    if (this.#closed || this.#groups.get(g.id) !== g) return
    // Timers run on a monotonic clock and may fire a millisecond before the wall clock reaches
    // their time; the flush is judged at its due time then, or the wait stage would hold it.
    const now = Math.max(this.#o.clock.now(), g.dueAt ?? 0)
    const previousFlushAt = g.lastFlushAt
    g.lastFlushAt = now
    g.dueAt = now + g.route.options.groupIntervalMs
    g.timer = this.#o.clock.setTimeout(() => this.#tick(g), g.route.options.groupIntervalMs)
    if (g.alerts.size === 0) return
    if (g.flushing) {
      this.#o.logger.warn({ groupKey: g.groupKey }, 'previous flush still running; skipping this one')
      return
    }
    const alerts = [...g.alerts.values()]
    const flushGroup: FlushGroup = { routePath: g.route.path, groupKey: g.groupKey, groupLabels: g.groupLabels, options: g.route.options, clock: { createdAt: g.createdAt, lastFlushAt: previousFlushAt } }
    g.flushing = true
    const run = this.#o.flush(flushGroup, alerts, now).then(() => {
      // Resolved alerts leave the group once flushed, unless re-posted since.
      for (const a of alerts) if (isResolved(a, now) && g.alerts.get(a.fingerprint) === a) g.alerts.delete(a.fingerprint)
    }, err => {
      this.#o.logger.error({ err, groupKey: g.groupKey }, 'flush failed; resolved alerts are kept for the next one')
    }).finally(() => {
      g.flushing = false
      this.#inFlight.delete(run)
    })
    this.#inFlight.add(run)
  }

  #scheduleMaintenance (): void {
    this.#maintenance = this.#o.clock.setTimeout(() => {
      if (this.#closed) return
      for (const [id, g] of this.#groups) {
        if (g.alerts.size === 0 && !g.flushing) {
          if (g.timer !== undefined) this.#o.clock.clearTimeout(g.timer)
          this.#groups.delete(id)
        }
      }
      this.#scheduleMaintenance()
    }, this.#o.maintenanceIntervalMs)
  }
}
