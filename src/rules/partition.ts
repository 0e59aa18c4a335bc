/**
 * Where a rule's partial results must meet. Each series of an expression's output depends on a
 * set of input series; the owner key of a contribution names the group those inputs belong to,
 * so a runtime that repartitions contributions by owner key (an internal topic keyed by it)
 * brings every input of an output series to one owner, and owners never need each other.
 *
 * A partition is described by the labels whose values decide it: `by` a list (only those
 * labels), or `without` a list (all labels but those; `without []` is the series itself). Rules:
 *   fn(range)                 → the series (without [])
 *   agg by (G) (e)            → by (G ∩ labels(e's partition))
 *   agg without (X) (e)       → e's partition minus X
 *   a op b (vectors)          → a's ∩ b's (∩ on(…) / minus ignoring(…))
 *   absent_over_time, topk    → by () for the whole vector: one owner sees everything
 * and an expression with nothing to key on ends up `by ()`: the rule alone is the key.
 *
 * Also here: which labels the record stage may drop before sending a contribution (`sum by
 * (G)` over a count or sum needs only G: summing per series and then by G gives the same).
 */
import type { Grouping, MetricExpr } from './logql/ast.js'
import { labelsKey, omit, pick, type LabelSet } from './labels.js'

export type Partition = { by: string[] } | { without: string[] }

const SERIES: Partition = { without: [] }

function intersect (a: Partition, b: Partition): Partition {
  if ('by' in a && 'by' in b) return { by: a.by.filter(l => b.by.includes(l)) }
  if ('by' in a && 'without' in b) return { by: a.by.filter(l => !b.without.includes(l)) }
  if ('without' in a && 'by' in b) return intersect(b, a)
  return { without: [...new Set([...(a as { without: string[] }).without, ...(b as { without: string[] }).without])].sort() }
}

function grouped (g: Grouping | undefined): Partition {
  if (g === undefined) return { by: [] }
  return g.without ? { without: [...g.labels].sort() } : { by: [...g.labels].sort() }
}

export function partitionOf (e: MetricExpr): Partition {
  switch (e.kind) {
    case 'number': return SERIES
    case 'range':
      if (e.fn === 'absent_over_time') return { by: [] }
      if (e.grouping !== undefined) return grouped(e.grouping)
      // unwrap without grouping drops the unwrapped label from the series.
      return e.unwrap !== undefined ? { without: [e.unwrap.label] } : SERIES
    case 'vagg': return intersect(grouped(e.grouping), partitionOf(e.inner))
    case 'binary': {
      const l = partitionOf(e.left)
      const r = partitionOf(e.right)
      const both = e.left.kind === 'number' ? r : e.right.kind === 'number' ? l : intersect(l, r)
      if (e.matching === undefined) return both
      return intersect(both, e.matching.on ? { by: [...e.matching.labels].sort() } : { without: [...e.matching.labels].sort() })
    }
  }
}

/** The owner key of a set of labels under a partition: the rule, then the deciding labels. */
export function ownerKeyOf (rule: string, p: Partition, labels: LabelSet): string {
  return rule + labelsKey('by' in p ? pick(labels, p.by) : omit(labels, p.without))
}

/** What the record stage keeps of a range's labels. */
export type Projection = { by: string[] } | { without: string[] }

const ADDITIVE = new Set(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'sum_over_time'])

/** Per range index, the labels its contributions need (range grouping, unwrap, and sum-by pushdown). */
export function projectionsOf (e: MetricExpr): Map<number, Projection[]> {
  const out = new Map<number, Projection[]>()
  const walk = (n: MetricExpr, parent: Projection | null): void => {
    if (n.kind === 'range') {
      const own: Projection[] = []
      if (n.grouping !== undefined) own.push(n.grouping.without ? { without: [...n.grouping.labels, ...(n.unwrap ? [n.unwrap.label] : [])] } : { by: n.grouping.labels })
      else if (n.unwrap !== undefined) own.push({ without: [n.unwrap.label] })
      if (parent !== null && ADDITIVE.has(n.fn)) own.push(parent)
      out.set(n.index, own)
    } else if (n.kind === 'vagg') {
      const pushable = n.op === 'sum' && n.grouping !== undefined
      walk(n.inner, pushable ? (n.grouping!.without ? { without: n.grouping!.labels } : { by: n.grouping!.labels }) : n.op === 'sum' ? { by: [] } : null)
    } else if (n.kind === 'binary') {
      walk(n.left, null)
      walk(n.right, null)
    }
  }
  walk(e, null)
  return out
}

/**
 * The projections as one function from labels (any record, own properties only) to the kept
 * label set, sorted, empty values dropped. Each step filters by name, so together they keep a
 * name every step keeps; with a `by` step only its names need looking at.
 */
export function projector (steps: readonly Projection[]): (labels: Readonly<Record<string, string>> | ReadonlyMap<string, string>) => LabelSet {
  const keeps = (name: string): boolean => steps.every(s => 'by' in s ? s.by.includes(name) : !s.without.includes(name))
  const by = steps.find((s): s is { by: string[] } => 'by' in s)
  const only = by === undefined ? undefined : [...new Set(by.by)].filter(keeps).sort()
  const dropped = new Set(steps.flatMap(s => 'without' in s ? s.without : []))
  const set = (out: Record<string, string>, k: string, v: string | undefined): void => {
    if (v === undefined || v === '') return
    // `__proto__` is a label name like any other; plain assignment would not make it one.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true })
    else out[k] = v
  }
  return labels => {
    const out: Record<string, string> = {}
    if (labels instanceof Map) {
      if (only !== undefined) for (const k of only) set(out, k, labels.get(k))
      else for (const k of [...labels.keys()].sort()) { if (!dropped.has(k)) set(out, k, labels.get(k)) }
      return out
    }
    const rec = labels as Record<string, string>
    if (only !== undefined) for (const k of only) set(out, k, Object.hasOwn(rec, k) ? rec[k] : undefined)
    else for (const k of Object.keys(rec).sort()) { if (!dropped.has(k)) set(out, k, rec[k]) }
    return out
  }
}
