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
