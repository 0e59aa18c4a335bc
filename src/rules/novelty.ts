/**
 * new_pattern and new_term rules: alert once for each line whose Drain template (or each value
 * of a field) was not seen during the learning period or before. Learning starts with the
 * rule's first line; what was learned is part of the owner's snapshot, so a restart neither
 * forgets it (no flood of "new" terms, ElastAlert's best-known complaint) nor relearns it.
 */
import { alertLabels, annotationsOf, type AlertChange } from './alerts.js'
import type { CompiledRule } from './compile.js'
import { Drain, maskLine, type DrainSnapshot } from './drain.js'
import { labelSet } from './labels.js'
import type { Contribution } from './record-stage.js'

/** Terms remembered per new_term rule; past it, new terms are counted, not learned or alerted. */
export const MAX_TERMS = 100_000

export interface NoveltyState {
  learningFrom: number | null
  drain?: Drain
  terms?: Set<string>
  /** new_term: terms not remembered because the rule holds MAX_TERMS already. */
  overflow: number
}

export interface NoveltySnapshot { learningFrom: number | null, drain?: DrainSnapshot, terms?: string[], overflow: number }

export function newNovelty (rule: CompiledRule): NoveltyState {
  return rule.kind === 'new_pattern' ? { learningFrom: null, drain: new Drain(), overflow: 0 } : { learningFrom: null, terms: new Set(), overflow: 0 }
}

/** Learns from one contribution; the alert when it is new after the learning period. */
export function learn (rule: CompiledRule, s: NoveltyState, c: Contribution): AlertChange | null {
  s.learningFrom ??= c.ts
  const learning = c.ts < s.learningFrom + rule.learningMs
  let series
  if (s.drain !== undefined) {
    const { cluster, created } = s.drain.add(maskLine(c.line ?? ''))
    if (!created || learning) return null
    series = labelSet([...Object.entries(c.labels), ['pattern', cluster.tokens.join(' ')]])
  } else {
    const term = c.line ?? ''
    if (s.terms!.has(term)) return null
    if (s.terms!.size >= MAX_TERMS) { s.overflow++; return null }
    s.terms!.add(term)
    if (learning) return null
    series = labelSet([...Object.entries(c.labels), [rule.termField!, term]])
  }
  return {
    rule: rule.id,
    alert: rule.alert,
    state: 'firing',
    labels: alertLabels(rule, series, 1),
    annotations: annotationsOf(rule, series, 1),
    value: 1,
    at: c.ts,
    activeAt: c.ts,
    firedAt: c.ts,
    source: c.source
  }
}

export function noveltySnapshot (s: NoveltyState): NoveltySnapshot {
  return { learningFrom: s.learningFrom, drain: s.drain?.snapshot(), terms: s.terms === undefined ? undefined : [...s.terms], overflow: s.overflow }
}

export function restoreNovelty (rule: CompiledRule, snap: NoveltySnapshot): NoveltyState {
  const s = newNovelty(rule)
  s.learningFrom = snap.learningFrom
  s.overflow = snap.overflow
  if (s.drain !== undefined && snap.drain !== undefined) s.drain = Drain.restore(snap.drain)
  if (s.terms !== undefined && snap.terms !== undefined) s.terms = new Set(snap.terms)
  return s
}
