/**
 * The record stage's raw-bytes prefilter for a whole rule set, as a test the consumer runs where
 * it walks a fetched records section (kafka/batch-reader.ts, ValueFilter): a record passes when
 * some log range of some rule finds one needle of each of its needle groups in the value, which
 * is exactly when RecordStage.process would look further at it. So a record that fails could
 * give no contribution, and never becomes a record object: records no rule can match cost the
 * rules replica what they cost a function's prefilter.
 *
 * Each needle is looked for in the section, not in each value: where it next occurs, at or after
 * the value looked at last, serves every value up to that occurrence, so a rare needle costs one
 * pass over the bytes whatever the number of records. An alternative one of whose groups is
 * known to be absent from the value (every needle's next occurrence lies past it) is dropped
 * before anything else of it is searched for.
 *
 * Every alternative is tested, and for a record that passes, which of the first 32 passed is
 * noted on the record object (`verdict`, under a symbol of the filter's own: cheaper than any
 * map from records): the record stage then searches its bytes for none of these needles again.
 *
 * Where nearly every record passes an alternative anyway (a partition of one pod, keyed by pod,
 * and a rule about that pod), its searches are wasted: an alternative that passed at least
 * ASSUME_SHARE of the last MEASURE records of a partition is taken as passed there for the next
 * ASSUMED records, unsearched, and then measured again. The needles are only ever a necessary
 * condition — the record stage's selector and filters decide exactly — so this changes no
 * result, only which records reach the record stage.
 */
import { caselessFinder, type Needle } from './logql/matchers.js'

/** Records of a partition an alternative's passes are counted over, and the share that makes it assumed. */
export const MEASURE = 512
export const ASSUME_SHARE = 0.97
/** Records of a partition an assumed alternative is not searched for, before it is measured again. */
export const ASSUMED = 16_384

interface PartitionStats {
  /** Bit a: alternative a is taken as passed (records left: `left`). */
  assumed: number
  left: number
  /** Records measured, and per alternative how many passed. */
  measured: number
  passed: Uint32Array
}

interface Finder {
  length: number
  find: (hay: Buffer, from: number) => number
}

/**
 * A range's needle groups without those another implies: a group is dropped when a group of one
 * needle contains one of its needles (` 404 ` makes `404` certain), so the bytes are searched
 * for fewer needles; the groups together still pass exactly the same values.
 */
export function withoutImplied (groups: number[][], needles: readonly Needle[]): number[][] {
  const contains = (a: Needle, b: Needle): boolean =>
    b.caseless ? a.text.toLowerCase().includes(b.text) : !a.caseless && a.text.includes(b.text)
  const out: number[][] = []
  groups.forEach((g, gi) => {
    const implied = groups.some((h, hi) => {
      if (h.length !== 1 || hi === gi) return false
      // Of two groups that imply each other (the same needle), the first is kept.
      if (g.length === 1 && contains(needles[g[0]], needles[h[0]]) && hi > gi) return false
      return g.some(i => contains(needles[h[0]], needles[i]))
    })
    if (!implied) out.push(g)
  })
  return out
}

export class RawValueFilter {
  readonly #finders: Finder[]
  /** Per alternative (a log range), its groups; a group is the indexes of its needles. */
  readonly #alternatives: number[][][]
  /** Per needle: where it occurs next in the section (-1: nowhere after; below the value: look again). */
  readonly #hits: Int32Array
  /** Bit a: alternative a passed, for the value tested last. */
  #last = 0
  readonly #verdict = Symbol('verdict')
  readonly #partitions = new Map<number, PartitionStats>()
  #stats: PartitionStats | undefined

  constructor (needles: readonly Needle[], alternatives: number[][][]) {
    this.#finders = needles.map(n => {
      if (n.caseless) return { length: n.text.length, find: caselessFinder(n.text) }
      const bytes = Buffer.from(n.text)
      return { length: bytes.length, find: (hay: Buffer, from: number) => hay.indexOf(bytes, from) }
    })
    this.#alternatives = alternatives
    this.#hits = new Int32Array(needles.length)
  }

  section (_bytes: Buffer, partition: number): void {
    this.#hits.fill(-2)
    let st = this.#partitions.get(partition)
    if (st === undefined) this.#partitions.set(partition, st = { assumed: 0, left: 0, measured: 0, passed: new Uint32Array(Math.min(32, this.#alternatives.length)) })
    this.#stats = st
  }

  test (bytes: Buffer, start: number, end: number): boolean {
    const alternatives = this.#alternatives
    const st = this.#stats
    const assumed = st !== undefined && st.left > 0 ? (st.left--, st.assumed) : 0
    let mask = assumed
    let any = assumed !== 0
    for (let a = 0; a < alternatives.length; a++) {
      if (a < 32 && (assumed & (1 << a)) !== 0) continue
      if (this.#knownAbsent(alternatives[a], start, end) || !this.#found(bytes, alternatives[a], start, end)) continue
      any = true
      // Past 32 alternatives, the record stage tests the rest itself: stop at the first pass.
      if (a >= 32) break
      mask |= 1 << a
    }
    this.#last = mask
    if (st !== undefined && assumed === 0) this.#measure(st, mask)
    return any
  }

  #measure (st: PartitionStats, mask: number): void {
    for (let a = 0; a < st.passed.length; a++) if ((mask & (1 << a)) !== 0) st.passed[a]++
    if (++st.measured < MEASURE) return
    st.assumed = 0
    for (let a = 0; a < st.passed.length; a++) if (st.passed[a] >= ASSUME_SHARE * st.measured) st.assumed |= 1 << a
    st.left = st.assumed === 0 ? 0 : ASSUMED
    st.measured = 0
    st.passed.fill(0)
  }

  accepted (record: object): void {
    (record as Record<symbol, number>)[this.#verdict] = this.#last
  }

  /**
   * For a record this filter accepted: bit a set when alternative a (a < 32)
   * passed, unset when it failed; undefined for any other record.
   */
  verdict (record: object): number | undefined {
    return (record as Record<symbol, number | undefined>)[this.#verdict]
  }

  /** Whether a group's needles are all known, without searching, not to be in [start, end). */
  #knownAbsent (groups: number[][], start: number, end: number): boolean {
    const hits = this.#hits
    for (let g = 0; g < groups.length; g++) {
      let absent = true
      for (const i of groups[g]) {
        const at = hits[i]
        if (at !== -1 && (at < start || at + this.#finders[i].length <= end)) { absent = false; break }
      }
      if (absent) return true
    }
    return false
  }

  #found (bytes: Buffer, groups: number[][], start: number, end: number): boolean {
    const hits = this.#hits
    for (let g = 0; g < groups.length; g++) {
      let any = false
      for (const i of groups[g]) {
        let at = hits[i]
        if (at !== -1 && at < start) hits[i] = at = this.#finders[i].find(bytes, start)
        if (at !== -1 && at + this.#finders[i].length <= end) { any = true; break }
      }
      if (!any) return false
    }
    return true
  }
}
