/**
 * An input batch's contributions of one series, together: what the owner needs to apply them
 * (each record's event time and value) and to deduplicate them (each record's offset), in one
 * object instead of one per record. Offsets are kept per record, not as a range, because a
 * redelivery may batch the records differently: the owner then applies exactly the records above
 * its watermark, whichever aggregate they travel in, and every record still counts once.
 *
 * Only metric contributions are aggregated; new_pattern / new_term contributions carry a line
 * each and stay per record.
 */
import type { LabelSet } from './labels.js'
import type { Contribution } from './record-stage.js'

export interface Aggregate {
  rule: string
  expr: number
  labels: LabelSet
  topic: string
  partition: number
  /** Source offsets, increasing (the records' order in their partition). */
  offsets: number[]
  /** Event time of each record (ms). */
  ts: number[]
  /** Each record's value, or one number when every record has it (1 for a count). */
  values: number[] | number
}

export const valueAt = (a: Aggregate, i: number): number => typeof a.values === 'number' ? a.values : a.values[i]

/**
 * Aggregates a run of contributions, one aggregate per (rule, range, series labels, source
 * partition), in order of first appearance. The run must be in offset order within each source
 * partition (as a batch is). Per-record contributions (with a line) stay in `records`.
 */
export class Aggregator {
  readonly aggregates: Aggregate[] = []
  readonly records: Contribution[] = []
  readonly #byKey = new Map<string, Aggregate>()
  readonly #byLabels = new Map<LabelSet, Aggregate[]>()

  constructor (readonly seriesKey: (labels: LabelSet) => string) {}

  /** Adds one contribution; returns about how many bytes it adds to the encoded run. */
  add (c: Contribution): number {
    if (c.line !== undefined) { this.records.push(c); return 64 + c.line.length + labelBytes(c.labels) }
    let bytes = c.value === 1 ? 16 : 40
    // Records of one pod share one frozen label set (record-stage.ts): found by identity first.
    const shared = Object.isFrozen(c.labels)
    let same = shared ? this.#byLabels.get(c.labels) : undefined
    let a: Aggregate | undefined
    if (same !== undefined) {
      for (const x of same) if (x.expr === c.expr && x.partition === c.source.partition && x.rule === c.rule && x.topic === c.source.topic) { a = x; break }
    }
    if (a === undefined) {
      const k = `${c.expr}\u0000${c.source.partition}\u0000${c.rule}\u0000${c.source.topic}\u0000${this.seriesKey(c.labels)}`
      a = this.#byKey.get(k)
      if (a === undefined) {
        this.#byKey.set(k, a = { rule: c.rule, expr: c.expr, labels: c.labels, topic: c.source.topic, partition: c.source.partition, offsets: [], ts: [], values: c.value })
        this.aggregates.push(a)
        bytes += 32 + c.rule.length + labelBytes(c.labels)
      }
      if (shared) {
        if (same === undefined) this.#byLabels.set(c.labels, same = [])
        same.push(a)
      }
    }
    if (typeof a.values === 'number' && a.offsets.length > 0 && !Object.is(a.values, c.value)) {
      a.values = new Array<number>(a.offsets.length).fill(a.values)
    }
    a.offsets.push(c.source.offset)
    a.ts.push(c.ts)
    if (typeof a.values !== 'number') a.values.push(c.value)
    return bytes
  }
}

function labelBytes (l: LabelSet): number {
  let n = 8
  for (const k in l) n += k.length + l[k].length + 6
  return n
}

/** The per-record contributions an aggregate stands for (for tests and tools). */
export function expand (a: Aggregate): Contribution[] {
  return a.offsets.map((offset, i) => ({ rule: a.rule, expr: a.expr, labels: a.labels, ts: a.ts[i], value: valueAt(a, i), source: { topic: a.topic, partition: a.partition, offset } }))
}
