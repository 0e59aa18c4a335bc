/**
 * The samples of one series, for range functions at any evaluation time: samples with the same
 * event time (to the millisecond) share a bucket holding what every range function needs
 * (count, sum, min, max, first, last and, where a quantile or deviation needs them, the
 * values), so a burst costs one bucket per millisecond, not one per record. A window at time T
 * covers (T − offset − range, T − offset], as Loki's range vectors do.
 */
import type { RangeFn } from './logql/ast.js'

/** The record a sample came from. Its order (topic, partition, offset) breaks ties in time. */
export interface Source { topic: string, partition: number, offset: number }

export function compareSources (a: Source, b: Source): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.offset - b.offset
}

export interface Bucket {
  ts: number
  count: number
  sum: number
  min: number
  max: number
  first: number
  firstSrc: Source
  last: number
  lastSrc: Source
  values?: number[]
}

const NEEDS_VALUES = new Set<RangeFn>(['quantile_over_time', 'stddev_over_time', 'stdvar_over_time'])

export class Window {
  /** Sorted by ts; entries before `start` are pruned and compacted away lazily. */
  buckets: Bucket[] = []
  start = 0
  readonly keepValues: boolean

  constructor (fn: RangeFn) { this.keepValues = NEEDS_VALUES.has(fn) }

  get size (): number { return this.buckets.length - this.start }

  add (ts: number, value: number, src: Source): void {
    const b = this.buckets
    // Mostly appends: records arrive roughly in time order.
    let i = b.length
    if (i > this.start && b[i - 1].ts >= ts) i = this.#search(ts)
    const at = b[i]
    if (at !== undefined && at.ts === ts && i >= this.start) {
      at.count++
      at.sum += value
      if (value < at.min || Number.isNaN(at.min)) at.min = value
      if (value > at.max || Number.isNaN(at.max)) at.max = value
      if (compareSources(src, at.firstSrc) < 0) { at.first = value; at.firstSrc = src }
      if (compareSources(src, at.lastSrc) > 0) { at.last = value; at.lastSrc = src }
      at.values?.push(value)
      return
    }
    const bucket: Bucket = { ts, count: 1, sum: value, min: value, max: value, first: value, firstSrc: src, last: value, lastSrc: src }
    if (this.keepValues) bucket.values = [value]
    b.splice(i, 0, bucket)
  }

  /** Index of the first bucket with ts ≥ `ts` (from `start`). */
  #search (ts: number): number {
    let lo = this.start
    let hi = this.buckets.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.buckets[mid].ts < ts) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Drops buckets at or before `ts`: no later window can include them. */
  prune (ts: number): void {
    while (this.start < this.buckets.length && this.buckets[this.start].ts <= ts) this.start++
    if (this.start > 64 && this.start * 2 > this.buckets.length) {
      this.buckets = this.buckets.slice(this.start)
      this.start = 0
    }
  }

  /** The buckets with lo < ts ≤ hi: buckets[from, to). */
  bounds (lo: number, hi: number): { from: number, to: number } {
    const from = this.#search(lo + 1)
    // Mostly the window's newest buckets: look back from the end before searching.
    let to = this.buckets.length
    if (to > from && this.buckets[to - 1].ts > hi) to = this.#search(hi + 1)
    return { from, to: Math.max(from, to) }
  }

  /** Earliest bucket time, or undefined when empty. */
  earliest (): number | undefined { return this.buckets[this.start]?.ts }

  /** First bucket time after `ts`, or undefined. */
  after (ts: number): number | undefined { return this.buckets[this.#search(ts + 1)]?.ts }
}

/**
 * The value of `fn` over buckets[from, to) of one window, or undefined when they hold no sample.
 * Only what `fn` needs is gathered: absent_over_time looks at the last bucket alone, a count at
 * the counts (a busy series has a bucket per millisecond of its window).
 */
export function rangeValue (fn: RangeFn, buckets: readonly Bucket[], from: number, to: number, rangeSeconds: number, param: number | undefined, unwrapped: boolean): { value: number, src: Source } | undefined {
  if (to <= from) return undefined
  const first = buckets[from]
  const last = buckets[to - 1]
  const src = last.lastSrc
  const at = (value: number): { value: number, src: Source } => ({ value, src })
  switch (fn) {
    case 'absent_over_time': return at(1)
    case 'first_over_time': return at(first.first)
    case 'last_over_time': return at(last.last)
    case 'count_over_time': case 'rate': {
      if (fn === 'rate' && unwrapped) break
      let count = 0
      for (let i = from; i < to; i++) count += buckets[i].count
      return at(fn === 'rate' ? count / rangeSeconds : count)
    }
  }
  let count = 0
  let sum = 0
  let min = NaN
  let max = NaN
  const values: number[] = []
  for (let i = from; i < to; i++) {
    const b = buckets[i]
    count += b.count
    sum += b.sum
    if (b.min < min || Number.isNaN(min)) min = b.min
    if (b.max > max || Number.isNaN(max)) max = b.max
    if (b.values !== undefined) values.push(...b.values)
  }
  switch (fn) {
    // (An unwrapped rate: the sum per second.)
    case 'rate': return at(sum / rangeSeconds)
    case 'bytes_over_time': case 'sum_over_time': return at(sum)
    case 'bytes_rate': return at(sum / rangeSeconds)
    case 'avg_over_time': return at(sum / count)
    case 'min_over_time': return at(min)
    case 'max_over_time': return at(max)
    case 'quantile_over_time': return at(quantile(param ?? 0.5, values))
    case 'stdvar_over_time': return at(variance(values))
    case 'stddev_over_time': return at(Math.sqrt(variance(values)))
  }
}

/** φ-quantile with linear interpolation between the closest ranks, as Prometheus and Loki compute it. */
export function quantile (q: number, values: number[]): number {
  if (values.length === 0) return NaN
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  const sorted = [...values].sort((a, b) => a - b)
  const rank = q * (sorted.length - 1)
  const lower = Math.max(0, Math.floor(rank))
  const upper = Math.min(sorted.length - 1, lower + 1)
  const weight = rank - Math.floor(rank)
  return sorted[lower] * (1 - weight) + sorted[upper] * weight
}

/** Population variance (Welford's method, as Loki's stdvar_over_time). */
export function variance (values: number[]): number {
  let mean = 0
  let aux = 0
  let n = 0
  for (const v of values) {
    n++
    const delta = v - mean
    mean += delta / n
    aux += delta * (v - mean)
  }
  return aux / n
}
