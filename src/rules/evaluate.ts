/**
 * Evaluating a metric expression at one time T over the windows an owner holds, with Loki's
 * semantics for vector aggregations (by/without, topk/bottomk keeping the input labels) and
 * binary operators (one-to-one matching on all labels or on()/ignoring(), the result labels
 * reduced accordingly; comparisons filter unless `bool`; division and modulo by zero give NaN).
 * Each output sample carries the source of the latest record behind it, for the alert's link.
 */
import type { BinaryExpr, BinaryOp, MetricExpr, RangeExpr, VectorAggExpr } from './logql/ast.js'
import { COMPARISONS } from './logql/ast.js'
import { labelsKey, omit, pick, type LabelSet } from './labels.js'
import { compareSources, rangeValue, variance, type Source, type Window } from './window.js'

export interface Sample { labels: LabelSet, value: number, src?: Source }
export type Value = { vector: Sample[] } | { scalar: number }

/** The series of one range index: labels and window, as the owner holds them. */
export type SeriesOf = (index: number) => Iterable<{ labels: LabelSet, window: Window }>

export class EvalError extends Error {}

export function evaluate (e: MetricExpr, T: number, series: SeriesOf): Value {
  switch (e.kind) {
    case 'number': return { scalar: e.value }
    case 'range': return { vector: rangeVector(e, T, series) }
    case 'vagg': return { vector: aggregate(e, vectorOf(evaluate(e.inner, T, series))) }
    case 'binary': return binary(e, evaluate(e.left, T, series), evaluate(e.right, T, series))
  }
}

function vectorOf (v: Value): Sample[] {
  if ('vector' in v) return v.vector
  throw new EvalError('expected a vector')
}

/** Labels of absent_over_time's result: the selector's equality matchers, as in Loki. */
export function absentLabels (e: RangeExpr): LabelSet {
  const eq = new Map<string, string>()
  const other = new Set<string>()
  for (const m of e.query.selector) {
    if (m.op === '=' && !eq.has(m.name)) eq.set(m.name, m.value)
    else other.add(m.name)
  }
  for (const name of other) eq.delete(name)
  return Object.fromEntries([...eq].sort())
}

function rangeVector (e: RangeExpr, T: number, series: SeriesOf): Sample[] {
  const hi = T - e.offsetMs
  const lo = hi - e.rangeMs
  const out: Sample[] = []
  let latest: Source | undefined
  for (const { labels, window } of series(e.index)) {
    const { from, to } = window.bounds(lo, hi)
    const r = rangeValue(e.fn, window.buckets, from, to, e.rangeMs / 1000, e.param, e.unwrap !== undefined)
    if (r === undefined) continue
    if (e.fn === 'absent_over_time') { latest = r.src; break }
    out.push({ labels, value: r.value, src: r.src })
  }
  if (e.fn === 'absent_over_time') return latest === undefined ? [{ labels: absentLabels(e), value: 1 }] : []
  return out
}

function later (a: Source | undefined, b: Source | undefined): Source | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return compareSources(a, b) >= 0 ? a : b
}

function groupLabels (e: VectorAggExpr, labels: LabelSet): LabelSet {
  if (e.grouping === undefined) return {}
  return e.grouping.without ? omit(labels, e.grouping.labels) : pick(labels, e.grouping.labels)
}

function aggregate (e: VectorAggExpr, input: Sample[]): Sample[] {
  const groups = new Map<string, { labels: LabelSet, members: Sample[] }>()
  for (const s of input) {
    const labels = groupLabels(e, s.labels)
    const key = labelsKey(labels)
    let g = groups.get(key)
    if (g === undefined) groups.set(key, g = { labels, members: [] })
    g.members.push(s)
  }
  const out: Sample[] = []
  for (const { labels, members } of groups.values()) {
    const values = members.map(m => m.value)
    const src = members.reduce<Source | undefined>((a, m) => later(a, m.src), undefined)
    switch (e.op) {
      case 'topk': case 'bottomk': {
        const sorted = [...members].sort((a, b) => e.op === 'topk' ? b.value - a.value : a.value - b.value)
        out.push(...sorted.slice(0, e.param))
        continue
      }
      case 'sum': out.push({ labels, value: values.reduce((a, v) => a + v, 0), src }); break
      case 'avg': out.push({ labels, value: values.reduce((a, v) => a + v, 0) / values.length, src }); break
      case 'count': out.push({ labels, value: values.length, src }); break
      case 'min': out.push({ labels, value: values.reduce((a, v) => v < a || Number.isNaN(a) ? v : a), src }); break
      case 'max': out.push({ labels, value: values.reduce((a, v) => v > a || Number.isNaN(a) ? v : a), src }); break
      case 'stdvar': out.push({ labels, value: variance(values), src }); break
      case 'stddev': out.push({ labels, value: Math.sqrt(variance(values)), src }); break
    }
  }
  return out
}

function apply (op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+': return a + b
    case '-': return a - b
    case '*': return a * b
    case '/': return b === 0 ? NaN : a / b
    case '%': return b === 0 ? NaN : a % b
    case '^': return Math.pow(a, b)
    case '==': return a === b ? 1 : 0
    case '!=': return a !== b ? 1 : 0
    case '>': return a > b ? 1 : 0
    case '>=': return a >= b ? 1 : 0
    case '<': return a < b ? 1 : 0
    case '<=': return a <= b ? 1 : 0
  }
}

/** One side's value against the other's: null when a comparison filters the sample out. */
function combine (e: BinaryExpr, keep: number, a: number, b: number): number | null {
  const r = apply(e.op, a, b)
  if (!COMPARISONS.has(e.op) || e.bool) return r
  return r === 1 ? keep : null
}

function binary (e: BinaryExpr, left: Value, right: Value): Value {
  if ('scalar' in left && 'scalar' in right) return { scalar: apply(e.op, left.scalar, right.scalar) }
  if ('scalar' in right || 'scalar' in left) {
    const vector = 'vector' in left ? left.vector : (right as { vector: Sample[] }).vector
    const scalar = 'scalar' in left ? left.scalar : (right as { scalar: number }).scalar
    const out: Sample[] = []
    for (const s of vector) {
      const v = 'vector' in left ? combine(e, s.value, s.value, scalar) : combine(e, s.value, scalar, s.value)
      if (v !== null) out.push({ labels: s.labels, value: v, src: s.src })
    }
    return { vector: out }
  }
  const m = e.matching
  const signature = (labels: LabelSet): string => labelsKey(m === undefined ? labels : m.on ? pick(labels, m.labels) : omit(labels, m.labels))
  const rights = new Map<string, Sample>()
  for (const s of right.vector) {
    const sig = signature(s.labels)
    if (rights.has(sig)) throw new EvalError(`found duplicate series on the right hand-side of '${e.op}'; many-to-many matching is not allowed: matching labels must be unique on one side`)
    rights.set(sig, s)
  }
  const matched = new Set<string>()
  const out: Sample[] = []
  for (const l of left.vector) {
    const sig = signature(l.labels)
    const r = rights.get(sig)
    if (r === undefined) continue
    if (matched.has(sig)) throw new EvalError(`multiple matches for labels on the left of '${e.op}': many-to-one matching (group_left) is not supported`)
    matched.add(sig)
    const v = combine(e, l.value, l.value, r.value)
    if (v === null) continue
    const labels = m === undefined ? l.labels : m.on ? pick(l.labels, m.labels) : omit(l.labels, m.labels)
    out.push({ labels, value: v, src: later(l.src, r.src) })
  }
  return { vector: out }
}

/** A vector result as alerts see it: labels, value, source; a scalar result is one unlabelled sample. */
export function asSamples (v: Value): Sample[] {
  return 'vector' in v ? v.vector : [{ labels: {}, value: v.scalar }]
}
