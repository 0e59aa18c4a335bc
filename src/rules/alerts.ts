/**
 * The alert state machine of one alerting rule, as Prometheus' ruler runs it, as a pure step:
 * given the alerts so far, the expression's result at T and the rule, the alerts after T and
 * what changed. inactive → pending (the result holds) → firing (held for `for`) → resolved (no
 * longer in the result, or after keep_firing_for); a pending alert whose series goes away
 * becomes inactive again without ever notifying.
 */
import type { Template } from '../shared/template/render.js'
import { expandAlertTemplate } from './alert-templates.js'
import { labelSet, labelsKey, type LabelSet } from './labels.js'
import type { Sample } from './evaluate.js'
import type { Source } from './window.js'

export type AlertStateName = 'pending' | 'firing'

export interface AlertState {
  state: AlertStateName
  /** The expression's series, before the rule's labels. */
  series: LabelSet
  labels: LabelSet
  annotations: Record<string, string>
  value: number
  activeAt: number
  firedAt?: number
  /** The first evaluation that no longer had the series, while keep_firing_for holds it firing. */
  keepFiringSince?: number
  /** The latest record behind the value when the state last changed. */
  source?: Source
}

export interface AlertChange {
  rule: string
  alert: string
  state: 'pending' | 'firing' | 'resolved' | 'inactive'
  labels: LabelSet
  annotations: Record<string, string>
  value: number
  /** Evaluation time of the change (event time, ms). */
  at: number
  activeAt: number
  /** When it started firing (firing and resolved changes). */
  firedAt?: number
  /** For resolved alerts: when it stopped (equal to `at`). */
  endsAt?: number
  source?: Source
}

/** An alert as Alertmanager's POST /api/v2/alerts takes it. */
export interface PostableAlert { labels: Record<string, string>, annotations: Record<string, string>, startsAt: string, endsAt?: string, generatorURL?: string }

/**
 * The change as Alertmanager takes it, as Prometheus sends it: firing and resolved alerts only
 * (pending and inactive are not notified), startsAt the time it fired, endsAt when it resolved;
 * the link to the record behind it is the runtime's to build (it knows the console's address).
 */
export function toPostable (c: AlertChange, generatorURL?: (source: Source) => string): PostableAlert | null {
  if (c.state !== 'firing' && c.state !== 'resolved') return null
  return {
    labels: { ...c.labels },
    annotations: { ...c.annotations },
    startsAt: new Date(c.firedAt ?? c.at).toISOString(),
    ...(c.endsAt !== undefined ? { endsAt: new Date(c.endsAt).toISOString() } : {}),
    ...(c.source !== undefined && generatorURL !== undefined ? { generatorURL: generatorURL(c.source) } : {})
  }
}

export interface AlertingRule {
  id: string
  alert: string
  forMs: number
  keepFiringForMs: number
  labels: ReadonlyMap<string, Template>
  annotations: ReadonlyMap<string, Template>
}

/** The alert's labels: the series', then the rule's (templated), then alertname. */
export function alertLabels (rule: AlertingRule, series: LabelSet, value: number): LabelSet {
  const out = new Map(Object.entries(series))
  for (const [name, t] of rule.labels) {
    const v = expandAlertTemplate(t, { labels: series, value })
    if (v === '') out.delete(name)
    else out.set(name, v)
  }
  out.set('alertname', rule.alert)
  return labelSet(out)
}

export function annotationsOf (rule: AlertingRule, series: LabelSet, value: number): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, t] of rule.annotations) Object.defineProperty(out, name, { value: expandAlertTemplate(t, { labels: series, value }), enumerable: true, writable: true })
  return out
}

function change (rule: AlertingRule, a: AlertState, state: AlertChange['state'], at: number): AlertChange {
  return {
    rule: rule.id,
    alert: rule.alert,
    state,
    labels: a.labels,
    annotations: a.annotations,
    value: a.value,
    at,
    activeAt: a.activeAt,
    ...(a.firedAt !== undefined ? { firedAt: a.firedAt } : {}),
    ...(state === 'resolved' ? { endsAt: at } : {}),
    ...(a.source !== undefined ? { source: a.source } : {})
  }
}

/** One evaluation at T: the alerts after it (by key) and the changes, in a stable order. */
export function stepAlerts (rule: AlertingRule, prev: ReadonlyMap<string, AlertState>, results: readonly Sample[], T: number): { next: Map<string, AlertState>, changes: AlertChange[] } {
  const next = new Map<string, AlertState>()
  const changes: AlertChange[] = []
  for (const s of results) {
    const labels = alertLabels(rule, s.labels, s.value)
    const key = labelsKey(labels)
    // Two series with the same labels after the rule's: the first one counts, as Prometheus refuses the rest.
    if (next.has(key)) continue
    const before = prev.get(key)
    const annotations = annotationsOf(rule, s.labels, s.value)
    if (before === undefined) {
      const a: AlertState = { state: 'pending', series: s.labels, labels, annotations, value: s.value, activeAt: T, source: s.src }
      if (rule.forMs === 0) { a.state = 'firing'; a.firedAt = T }
      changes.push(change(rule, a, a.state, T))
      next.set(key, a)
      continue
    }
    const a: AlertState = { ...before, annotations, value: s.value, keepFiringSince: undefined }
    if (a.state === 'pending' && T - a.activeAt >= rule.forMs) {
      a.state = 'firing'
      a.firedAt = T
      a.source = s.src ?? a.source
      changes.push(change(rule, a, 'firing', T))
    }
    next.set(key, a)
  }
  for (const [key, a] of prev) {
    if (next.has(key)) continue
    if (a.state === 'pending') { changes.push(change(rule, a, 'inactive', T)); continue }
    const since = a.keepFiringSince ?? T
    if (T - since < rule.keepFiringForMs) { next.set(key, { ...a, keepFiringSince: since }); continue }
    changes.push(change(rule, a, 'resolved', T))
  }
  return { next, changes }
}

/** When a pending alert turns firing (or a kept alert resolves) without new results: the next time to evaluate. */
export function nextAlertDeadline (rule: AlertingRule, alerts: ReadonlyMap<string, AlertState>, after: number): number | undefined {
  let next: number | undefined
  for (const a of alerts.values()) {
    const at = a.state === 'pending' ? a.activeAt + rule.forMs : a.keepFiringSince !== undefined ? a.keepFiringSince + rule.keepFiringForMs : undefined
    if (at !== undefined && at > after && (next === undefined || at < next)) next = at
  }
  return next
}
