/**
 * Inhibition, as Alertmanager's inhibit_rules define it: an alert matching a rule's target
 * matchers is muted while some firing alert matches the source matchers and has the same values
 * for every `equal` label (a label an alert lacks counts as empty). An alert that matches both
 * sides cannot be muted by another alert that also matches both sides, so a rule never lets a set
 * of alerts silence each other.
 */
import { isResolved, type Alert } from './alert.js'
import type { LabelSet } from './labels.js'
import { matchesLabels, type Matcher } from './matchers.js'

export interface InhibitRule {
  readonly sourceMatchers: readonly Matcher[]
  readonly targetMatchers: readonly Matcher[]
  readonly equal: readonly string[]
}

export type Inhibition =
  | { inhibited: false }
  | { inhibited: true, ruleIndex: number, by: string }

/**
 * Is an alert with `labels` inhibited at `now`, given every alert the notifier holds? Returns the
 * first rule that applies and the fingerprint of the source alert, for `status.inhibitedBy`.
 * Resolved alerts are never sources; silenced ones still are (as in Alertmanager).
 */
export function inhibition (labels: LabelSet, rules: readonly InhibitRule[], alerts: Iterable<Alert>, now: number): Inhibition {
  const candidates = [...alerts].filter(a => !isResolved(a, now))
  for (const [ruleIndex, rule] of rules.entries()) {
    if (!matchesLabels(rule.targetMatchers, labels)) continue
    const targetIsAlsoSource = matchesLabels(rule.sourceMatchers, labels)
    for (const source of candidates) {
      if (!matchesLabels(rule.sourceMatchers, source.labels)) continue
      if (!rule.equal.every(name => (source.labels[name] ?? '') === (labels[name] ?? ''))) continue
      if (targetIsAlsoSource && matchesLabels(rule.targetMatchers, source.labels)) continue
      return { inhibited: true, ruleIndex, by: source.fingerprint }
    }
  }
  return { inhibited: false }
}

export function isInhibited (labels: LabelSet, rules: readonly InhibitRule[], alerts: Iterable<Alert>, now: number): boolean {
  return inhibition(labels, rules, alerts, now).inhibited
}

/**
 * `inhibition` for many alerts at once: the sources of each rule are found once and indexed by
 * their `equal` label values, so checking a storm of n alerts costs O(n · rules), not O(n²).
 * Same answers as `inhibition` (the first rule that applies; some qualifying source).
 */
export function inhibitionIndex (rules: readonly InhibitRule[], alerts: Iterable<Alert>, now: number): (labels: LabelSet) => Inhibition {
  const firing = [...alerts].filter(a => !isResolved(a, now))
  const perRule = rules.map(rule => {
    // Sources that also match the target side cannot mute an alert that matches both sides.
    const any = new Map<string, string>()
    const sourceOnly = new Map<string, string>()
    for (const a of firing) {
      if (!matchesLabels(rule.sourceMatchers, a.labels)) continue
      const key = equalKey(rule, a.labels)
      if (!any.has(key)) any.set(key, a.fingerprint)
      if (!matchesLabels(rule.targetMatchers, a.labels) && !sourceOnly.has(key)) sourceOnly.set(key, a.fingerprint)
    }
    return { rule, any, sourceOnly }
  })
  return labels => {
    for (const [ruleIndex, { rule, any, sourceOnly }] of perRule.entries()) {
      if (any.size === 0 || !matchesLabels(rule.targetMatchers, labels)) continue
      const key = equalKey(rule, labels)
      const by = matchesLabels(rule.sourceMatchers, labels) ? sourceOnly.get(key) : any.get(key)
      if (by !== undefined) return { inhibited: true, ruleIndex, by }
    }
    return { inhibited: false }
  }
}

function equalKey (rule: InhibitRule, labels: LabelSet): string {
  return JSON.stringify(rule.equal.map(name => labels[name] ?? ''))
}
