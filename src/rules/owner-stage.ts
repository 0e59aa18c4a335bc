/**
 * Stage two of the engine, run where a rule's contributions meet (one owner per owner key):
 * contributions are applied in any order across source partitions, each source partition's in
 * offset order; one at or below the highest offset already applied for its (owner key, range,
 * source partition) is a redelivery and is ignored, so a count stays exact when a consumer
 * re-reads after a crash or rebalance (at-least-once delivery in, exactly-once counting out).
 * Windows are kept per series; evaluate(T) evaluates each rule's whole expression at event
 * time T and drives its alerts. All state is plain data: snapshot() / restore().
 */
import { valueAt, type Aggregate } from './aggregate.js'
import { nextAlertDeadline, stepAlerts, type AlertChange, type AlertState } from './alerts.js'
import type { CompiledRule } from './compile.js'
import { asSamples, evaluate, EvalError, type Sample } from './evaluate.js'
import { labelsKey, type LabelSet } from './labels.js'
import { COMPARISONS, type RangeFn } from './logql/ast.js'
import { learn, newNovelty, type NoveltyState } from './novelty.js'
import { decodeRuleState, encodeRuleState, type OwnerSnapshot } from './owner-snapshot.js'
import { ownerKeyOf } from './partition.js'
import type { Contribution } from './record-stage.js'
import type { RuleSet } from './rule-set.js'
import { Window } from './window.js'

export type { OwnerSnapshot }

export interface Series { labels: LabelSet, window: Window }

export interface KeyState {
  /** Highest offset applied, by `range/topic/partition`. */
  watermarks: Map<string, number>
  series: Map<number, Map<string, Series>>
}

export interface RuleState {
  keys: Map<string, KeyState>
  alerts: Map<string, AlertState>
  novelty?: NoveltyState
  /** new_pattern / new_term alerts learned since the last evaluation. */
  pending: AlertChange[]
  lastError?: string
  /** Series held, over all keys and ranges (for the limit). */
  series: number
  /** Contributions refused because the rule held maxSeriesPerRule series. */
  overLimit: number
}

export interface ApplyStats { applied: number, duplicates: number, late: number, unknownRule: number, overLimit: number }

/** Series one rule may hold in one owner by default (a | json over high-cardinality fields could otherwise grow without bound). */
export const DEFAULT_MAX_SERIES_PER_RULE = 100_000

export interface OwnerOptions {
  /** Whether this owner holds a key; a rule that needs one place (absent_over_time, topk, patterns) is evaluated only by the owner of its rule key. Default: every key. */
  owns?: (ownerKey: string) => boolean
  /** Series a rule may hold; a contribution for a new series past it is counted, not kept. Default 100,000. */
  maxSeriesPerRule?: number
}

export class OwnerStage {
  readonly rules: RuleSet
  readonly #state = new Map<string, RuleState>()
  readonly #owns: (key: string) => boolean
  readonly #maxSeries: number
  /** The last evaluation time; evaluation never goes back. */
  #time = -Infinity

  constructor (rules: RuleSet, o: OwnerOptions = {}) {
    this.rules = rules
    this.#owns = o.owns ?? (() => true)
    this.#maxSeries = o.maxSeriesPerRule ?? DEFAULT_MAX_SERIES_PER_RULE
    for (const r of rules.rules) this.#state.set(r.id, this.#fresh(r))
  }

  get time (): number { return this.#time }

  #fresh (r: CompiledRule): RuleState {
    return { keys: new Map(), alerts: new Map(), novelty: r.kind === 'metric' ? undefined : newNovelty(r), pending: [], series: 0, overLimit: 0 }
  }

  state (id: string): RuleState | undefined { return this.#state.get(id) }

  apply (contributions: Iterable<Contribution>): ApplyStats {
    const stats: ApplyStats = { applied: 0, duplicates: 0, late: 0, unknownRule: 0, overLimit: 0 }
    for (const c of contributions) {
      const rule = this.rules.get(c.rule)
      const rs = this.#state.get(c.rule)
      if (rule === undefined || rs === undefined) { stats.unknownRule++; continue }
      const sk = labelsKey(c.labels)
      const ks = this.#keyState(rule, rs, sk, c.labels)
      const mark = `${c.expr}/${c.source.topic}/${c.source.partition}`
      const applied = ks.watermarks.get(mark)
      if (applied !== undefined && c.source.offset <= applied) { stats.duplicates++; continue }
      ks.watermarks.set(mark, c.source.offset)
      if (rs.novelty !== undefined) {
        const alert = learn(rule, rs.novelty, c)
        if (alert !== null) rs.pending.push(alert)
        stats.applied++
        continue
      }
      const range = rule.ranges[c.expr]
      if (range === undefined) { stats.unknownRule++; continue }
      // No later evaluation can include it: its window has passed.
      if (c.ts + range.offsetMs + range.rangeMs <= this.#time) { stats.late++; continue }
      const s = this.#seriesFor(rs, ks, c.expr, range.fn, sk, c.labels)
      if (s === undefined) { stats.overLimit++; rs.overLimit++; continue }
      s.window.add(c.ts, c.value, c.source)
      stats.applied++
    }
    return stats
  }

  /**
   * Applies the aggregates of one contributions record: each record they stand for counts as a
   * contribution of its own would. Every record is checked against the watermark its (owner key,
   * range, source partition) had before this call, not one raised by another aggregate of the
   * same call: aggregates of several series under one key interleave in offset order, which one
   * by one would have raised the watermark in offset order. So all aggregates of a key from one
   * batch must come in one call (one record), and the result is the per-record one however a
   * redelivery batched them.
   */
  applyAggregates (aggregates: Iterable<Aggregate>): ApplyStats {
    const stats: ApplyStats = { applied: 0, duplicates: 0, late: 0, unknownRule: 0, overLimit: 0 }
    const before = new Map<KeyState, Map<string, number>>()
    for (const a of aggregates) {
      const n = a.offsets.length
      const rule = this.rules.get(a.rule)
      const rs = this.#state.get(a.rule)
      const range = rule?.ranges[a.expr]
      if (rule === undefined || rs === undefined || range === undefined || rs.novelty !== undefined) { stats.unknownRule += n; continue }
      const sk = labelsKey(a.labels)
      const ks = this.#keyState(rule, rs, sk, a.labels)
      const mark = `${a.expr}/${a.topic}/${a.partition}`
      let was = before.get(ks)
      if (was === undefined) before.set(ks, was = new Map())
      let wm = was.get(mark)
      if (wm === undefined) was.set(mark, wm = ks.watermarks.get(mark) ?? -Infinity)
      let i = 0
      while (i < n && a.offsets[i] <= wm) i++
      stats.duplicates += i
      if (i === n) continue
      const now = ks.watermarks.get(mark)
      if (now === undefined || a.offsets[n - 1] > now) ks.watermarks.set(mark, a.offsets[n - 1])
      let s: Series | undefined
      const reach = range.offsetMs + range.rangeMs
      for (; i < n; i++) {
        const ts = a.ts[i]
        if (ts + reach <= this.#time) { stats.late++; continue }
        s ??= this.#seriesFor(rs, ks, a.expr, range.fn, sk, a.labels)
        if (s === undefined) { stats.overLimit++; rs.overLimit++; continue }
        s.window.add(ts, valueAt(a, i), { topic: a.topic, partition: a.partition, offset: a.offsets[i] })
        stats.applied++
      }
    }
    return stats
  }

  #keyState (rule: CompiledRule, rs: RuleState, sk: string, labels: LabelSet): KeyState {
    // The commonest partition is the series itself: its key is the series key.
    const key = 'without' in rule.partition && rule.partition.without.length === 0 ? rule.id + sk : ownerKeyOf(rule.id, rule.partition, labels)
    let ks = rs.keys.get(key)
    if (ks === undefined) rs.keys.set(key, ks = { watermarks: new Map(), series: new Map() })
    return ks
  }

  /** The series, created if the rule has room for it (undefined: it has not). */
  #seriesFor (rs: RuleState, ks: KeyState, expr: number, fn: RangeFn, sk: string, labels: LabelSet): Series | undefined {
    let byKey = ks.series.get(expr)
    if (byKey === undefined) ks.series.set(expr, byKey = new Map())
    let s = byKey.get(sk)
    if (s === undefined) {
      if (rs.series >= this.#maxSeries) return undefined
      byKey.set(sk, s = { labels, window: new Window(fn) })
      rs.series++
    }
    return s
  }

  /** Evaluates every rule at event time T (never earlier than the last T) and returns what changed. */
  evaluate (T: number): AlertChange[] {
    const at = Math.max(T, this.#time)
    this.#time = at
    const changes: AlertChange[] = []
    for (const rule of this.rules.rules) {
      const rs = this.#state.get(rule.id)!
      if (rs.novelty !== undefined) {
        rs.novelty.learningFrom ??= at
        changes.push(...rs.pending)
        rs.pending = []
        continue
      }
      if (!this.#evaluates(rule)) continue
      for (const range of rule.ranges) {
        for (const ks of rs.keys.values()) for (const s of ks.series.get(range.index)?.values() ?? []) s.window.prune(at - range.offsetMs - range.rangeMs)
      }
      let samples
      try {
        samples = asSamples(evaluate(rule.metric!, at, index => this.#seriesOf(rs, index)))
        rs.lastError = undefined
      } catch (err) {
        if (!(err instanceof EvalError)) throw err
        rs.lastError = err.message
        continue
      }
      const step = stepAlerts(rule, rs.alerts, samples, at)
      rs.alerts = step.next
      changes.push(...step.changes)
      this.#forgetEmpty(rs)
    }
    return changes
  }

  /** Whether this owner evaluates rule `id` (one needing one place for everything is evaluated only by its rule key's owner). */
  evaluatesRule (id: string): boolean {
    const rule = this.rules.get(id)
    return rule !== undefined && this.#evaluates(rule)
  }

  /** A rule that needs one place for everything (partition by ()) is the business of its rule key's owner. */
  #evaluates (rule: CompiledRule): boolean {
    return !('by' in rule.partition && rule.partition.by.length === 0) || this.#owns(this.rules.ruleKey(rule.id))
  }

  /** A rule's expression at T, without touching its alerts (for a console's "last value", and tests); T ≥ time. */
  valueAt (id: string, T: number): Sample[] {
    const rule = this.rules.get(id)
    const rs = this.#state.get(id)
    if (rule?.metric === undefined || rs === undefined || !this.#evaluates(rule)) return []
    return asSamples(evaluate(rule.metric, T, index => this.#seriesOf(rs, index)))
  }

  /**
   * What a rule measures at T: for `e > 10` (a comparison with a number, without bool) the
   * samples of `e`, so a console can show how far from its threshold a quiet rule is; for any
   * other expression its result, as valueAt.
   */
  measuredAt (id: string, T: number): Sample[] {
    const rule = this.rules.get(id)
    const rs = this.#state.get(id)
    if (rule?.metric === undefined || rs === undefined || !this.#evaluates(rule)) return []
    let e = rule.metric
    if (e.kind === 'binary' && COMPARISONS.has(e.op) && e.bool !== true) e = e.right.kind === 'number' ? e.left : e.left.kind === 'number' ? e.right : e
    try {
      return asSamples(evaluate(e, T, index => this.#seriesOf(rs, index)))
    } catch (err) {
      if (err instanceof EvalError) return []
      throw err
    }
  }

  * #seriesOf (rs: RuleState, index: number): Generator<Series> {
    for (const ks of rs.keys.values()) {
      const m = ks.series.get(index)
      if (m !== undefined) yield * m.values()
    }
  }

  #forgetEmpty (rs: RuleState): void {
    for (const [key, ks] of rs.keys) {
      for (const [index, m] of ks.series) {
        for (const [sk, s] of m) if (s.window.size === 0) { m.delete(sk); rs.series-- }
        if (m.size === 0) ks.series.delete(index)
      }
      // A key with no samples left forgets its watermarks too: a redelivered contribution
      // of it would be older than every window (late), as its own samples were.
      if (ks.series.size === 0) rs.keys.delete(key)
    }
  }

  /** The next event time after T at which an evaluation could give a different result, or undefined. */
  nextChange (T: number): number | undefined {
    let next: number | undefined
    const consider = (t: number | undefined): void => { if (t !== undefined && t > T && (next === undefined || t < next)) next = t }
    for (const rule of this.rules.rules) {
      const rs = this.#state.get(rule.id)!
      consider(nextAlertDeadline(rule, rs.alerts, T))
      for (const range of rule.ranges) {
        for (const s of this.#seriesOf(rs, range.index)) {
          // A sample leaves the window at ts + offset + range, and enters it (with an offset) at ts + offset.
          const leaving = s.window.after(T - range.offsetMs - range.rangeMs)
          if (leaving !== undefined) consider(leaving + range.offsetMs + range.rangeMs)
          const entering = s.window.after(T - range.offsetMs)
          if (entering !== undefined) consider(entering + range.offsetMs)
        }
      }
    }
    return next
  }

  /** Alerts now pending or firing (for a runtime that resends them), with their rule. */
  activeAlerts (): { rule: CompiledRule, alert: AlertState }[] {
    return this.rules.rules.flatMap(rule => [...this.#state.get(rule.id)!.alerts.values()].map(alert => ({ rule, alert })))
  }

  /** The state of the keys `keep` selects (all by default), as plain data. */
  snapshot (keep: (ownerKey: string) => boolean = () => true): OwnerSnapshot {
    const rules: OwnerSnapshot['rules'] = {}
    for (const rule of this.rules.rules) rules[rule.id] = encodeRuleState(rule, this.#state.get(rule.id)!, keep)
    return { version: 1, time: Number.isFinite(this.#time) ? this.#time : null, rules }
  }

  /** Adds the keys of a snapshot (from this owner or others); state of rules whose expression changed is dropped. */
  restore (snap: OwnerSnapshot): void {
    if (snap.version !== 1) throw new Error(`unknown rules snapshot version ${String(snap.version)}`)
    if (snap.time !== null) this.#time = Math.max(this.#time, snap.time)
    for (const rule of this.rules.rules) {
      const saved = snap.rules[rule.id]
      if (saved === undefined || saved.fingerprint !== rule.fingerprint) continue
      decodeRuleState(rule, saved, this.#state.get(rule.id)!)
    }
  }

  /** Forgets the keys `drop` selects (after handing them to another owner). */
  release (drop: (ownerKey: string) => boolean): void {
    for (const rule of this.rules.rules) {
      const rs = this.#state.get(rule.id)!
      for (const [key, ks] of [...rs.keys]) {
        if (!drop(key)) continue
        for (const m of ks.series.values()) rs.series -= m.size
        rs.keys.delete(key)
      }
      for (const [k, a] of [...rs.alerts]) if (drop(ownerKeyOf(rule.id, rule.partition, a.series))) rs.alerts.delete(k)
      if (rs.novelty !== undefined && drop(this.rules.ruleKey(rule.id))) this.#state.set(rule.id, this.#fresh(rule))
    }
  }
}
