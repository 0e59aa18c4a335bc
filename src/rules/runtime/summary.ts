/**
 * What a rules workload reports about its rules (the console's rules view, /api/v1/rules): per
 * rule its state over every series (firing if any alert fires, else pending if any is pending,
 * else inactive), the last value it measured, the alerts pending or firing now and the latest
 * firing/resolved changes. Each replica summarises the partitions it owns; the supervisor
 * merges the replicas' summaries, since a rule's series may be spread over several owners.
 */
import type { AlertChange } from '../alerts.js'
import type { RuleSet } from '../rule-set.js'
import type { OwnerPartition } from './owner-partition.js'

export type RuleStateName = 'inactive' | 'pending' | 'firing'

export interface RuleAlertSummary { labels: Record<string, string>, state: 'pending' | 'firing', value: number, activeAt: string, firedAt?: string }
export interface RuleChangeSummary { state: 'firing' | 'resolved', labels: Record<string, string>, value: number, at: string }

export interface RuleSummary {
  id: string
  group: string
  alert: string
  kind: 'metric' | 'new_pattern' | 'new_term'
  expr: string
  state: RuleStateName
  /** The highest value the rule measured at its last evaluation (the left side of a threshold), null before any. */
  value: number | null
  /** The event time of the last evaluation. */
  evaluatedAt: string | null
  alerts: RuleAlertSummary[]
  recent: RuleChangeSummary[]
}

/** Alerts and changes shown per rule at most. */
export const SUMMARY_ALERTS = 50
const SUMMARY_RECENT = 20
const RANK: Record<RuleStateName, number> = { inactive: 0, pending: 1, firing: 2 }

const iso = (ms: number): string => new Date(ms).toISOString()
// JSON has no NaN or infinities: a value that is not finite is reported as null.
const finite = (v: number): number | null => Number.isFinite(v) ? v : null

function change (c: AlertChange): RuleChangeSummary {
  return { state: c.state as 'firing' | 'resolved', labels: { ...c.labels }, value: finite(c.value) ?? 0, at: iso(c.at) }
}

/** One replica's view of its rules, over the partitions it owns. */
export function summarize (rules: RuleSet, parts: readonly OwnerPartition[]): RuleSummary[] {
  const out = rules.rules.map((r): RuleSummary => ({ id: r.id, group: r.group, alert: r.alert, kind: r.kind, expr: r.expr, state: 'inactive', value: null, evaluatedAt: null, alerts: [], recent: [] }))
  const byId = new Map(out.map(s => [s.id, s]))
  for (const part of parts) {
    const T = part.stage.time
    for (const { rule, alert } of part.stage.activeAlerts()) {
      const s = byId.get(rule.id)!
      if (RANK[alert.state] > RANK[s.state]) s.state = alert.state
      if (s.alerts.length < SUMMARY_ALERTS) s.alerts.push({ labels: { ...alert.labels }, state: alert.state, value: finite(alert.value) ?? 0, activeAt: iso(alert.activeAt), ...(alert.firedAt !== undefined ? { firedAt: iso(alert.firedAt) } : {}) })
    }
    for (const c of part.recent) byId.get(c.rule)?.recent.push(change(c))
    if (!Number.isFinite(T)) continue
    for (const s of out) {
      if (s.kind !== 'metric' || !part.stage.evaluatesRule(s.id)) continue
      s.evaluatedAt = s.evaluatedAt === null || iso(T) > s.evaluatedAt ? iso(T) : s.evaluatedAt
      for (const sample of part.stage.measuredAt(s.id, T)) {
        const v = finite(sample.value)
        if (v !== null && (s.value === null || v > s.value)) s.value = v
      }
    }
  }
  for (const s of out) s.recent = s.recent.sort((a, b) => a.at < b.at ? -1 : 1).slice(-SUMMARY_RECENT)
  return out
}

/** Several replicas' summaries of the same rules as one. */
export function mergeSummaries (lists: readonly RuleSummary[][]): RuleSummary[] {
  const merged = new Map<string, RuleSummary>()
  for (const list of lists) {
    for (const s of list) {
      const m = merged.get(s.id)
      if (m === undefined) { merged.set(s.id, { ...s, alerts: [...s.alerts], recent: [...s.recent] }); continue }
      if (RANK[s.state] > RANK[m.state]) m.state = s.state
      if (s.value !== null && (m.value === null || s.value > m.value)) m.value = s.value
      if (s.evaluatedAt !== null && (m.evaluatedAt === null || s.evaluatedAt > m.evaluatedAt)) m.evaluatedAt = s.evaluatedAt
      m.alerts.push(...s.alerts.slice(0, Math.max(0, SUMMARY_ALERTS - m.alerts.length)))
      m.recent = [...m.recent, ...s.recent].sort((a, b) => a.at < b.at ? -1 : 1).slice(-SUMMARY_RECENT)
    }
  }
  return [...merged.values()]
}
