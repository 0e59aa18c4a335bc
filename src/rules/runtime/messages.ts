/**
 * What travels on a rules workload's internal topics.
 *
 * `<name>.contributions` (keyed by owner key, partitioned by ownerPartition): each record packs
 * what one input batch produced for one contributions partition, and the progress markers of the
 * input partitions the sender reads. Markers come after the contributions they vouch for (same
 * record, or a later one of the same partition), so an owner that has read a marker `input
 * partition p reached time ts` holds every contribution for it from p's records up to there. The
 * record's Kafka timestamp is the latest event time of its contributions, so ListOffsets by time
 * finds where a window's contributions start.
 *
 * Two formats, both read:
 *   version 1 (before aggregation): `{ t, c: [tuple…], m }`, one tuple per contribution;
 *   version 2: `{ v: 2, t, a: [aggregate…], r: [tuple…], m }`, a metric rule's contributions
 *   aggregated per series and source partition (aggregate.ts), new_pattern / new_term ones as
 *   tuples. Version 2 has no `c`, so an owner of version 1 counts such a record unreadable
 *   instead of applying its markers without its counts.
 * A record split in several (over MAX_PACKED_BYTES) is cut between contributions in batch order,
 * so every record of one cut has lower offsets than the next cut's, and each cut is aggregated on
 * its own: the owner's watermark check per record (OwnerStage.applyAggregates) stays exact.
 */
import { Aggregator, type Aggregate } from '../aggregate.js'
import { labelsKey, type LabelSet } from '../labels.js'
import type { Contribution } from '../record-stage.js'

/** One input partition's progress: the reader's time for it, and whether it had caught up (read everything there was). */
export interface Marker { partition: number, ts: number, idle: boolean }

export interface Packed { topic: string, contributions: Contribution[], aggregates: Aggregate[], markers: Marker[] }

/** [rule, expr, labels, ts, value, partition, offset, line?] — value as a string when not finite. */
type Tuple = [string, number, LabelSet, number, number | string, number, number, string?]
/** [rule, expr, labels, partition, offsets (first, then differences), event times (first, then differences), value | values]. */
type AggTuple = [string, number, LabelSet, number, number[], number[], number | (number | string)[]]
interface Wire { v?: number, t: string, c?: Tuple[], a?: AggTuple[], r?: Tuple[], m: [number, number, 0 | 1][] }

/** Contributions of one record past this many bytes are split over several records (the broker's message limit is 1 MiB). */
export const MAX_PACKED_BYTES = 256 * 1024

const num = (v: number): number | string => Number.isFinite(v) ? v : String(v)

function tuple (c: Contribution): Tuple {
  const t: Tuple = [c.rule, c.expr, c.labels, c.ts, num(c.value), c.source.partition, c.source.offset]
  if (c.line !== undefined) t.push(c.line)
  return t
}

function deltas (xs: number[]): number[] {
  const out = new Array<number>(xs.length)
  for (let i = 0; i < xs.length; i++) out[i] = i === 0 ? xs[0] : xs[i] - xs[i - 1]
  return out
}

function sums (xs: number[]): number[] {
  const out = new Array<number>(xs.length)
  for (let i = 0; i < xs.length; i++) out[i] = i === 0 ? xs[0] : out[i - 1] + xs[i]
  return out
}

function aggTuple (a: Aggregate): AggTuple {
  const values = typeof a.values === 'number' && Number.isFinite(a.values) ? a.values : (typeof a.values === 'number' ? a.offsets.map(() => a.values as number) : a.values).map(num)
  return [a.rule, a.expr, a.labels, a.partition, deltas(a.offsets), deltas(a.ts), values]
}

type Encoded = { value: string, maxTs: number }[]

/** The series key of a label set, once per label object (records of one pod share theirs). */
const keys = new WeakMap<LabelSet, string>()
function seriesKey (l: LabelSet): string {
  let k = keys.get(l)
  if (k === undefined) keys.set(l, k = labelsKey(l))
  return k
}

/** Packs one batch's contributions (in batch order) and markers into version 2 records of about MAX_PACKED_BYTES at most; markers ride on the last. */
export function encodePacked (topic: string, contributions: readonly Contribution[], markers: readonly Marker[], maxBytes = MAX_PACKED_BYTES): Encoded {
  const out: Encoded = []
  let cut = new Aggregator(seriesKey)
  let bytes = 0
  let maxTs = -Infinity
  const flush = (m: string): void => {
    const value = `{"v":2,"t":${JSON.stringify(topic)},"a":${JSON.stringify(cut.aggregates.map(aggTuple))},"r":${JSON.stringify(cut.records.map(tuple))},"m":${m}}`
    out.push({ value, maxTs: Number.isFinite(maxTs) && maxTs >= 0 ? maxTs : Date.now() })
    cut = new Aggregator(seriesKey)
    bytes = 0
    maxTs = -Infinity
  }
  for (const c of contributions) {
    // A cut between two contributions: everything before it has lower offsets than everything after.
    if (bytes > maxBytes) flush('[]')
    bytes += cut.add(c)
    if (c.ts > maxTs) maxTs = c.ts
  }
  for (const x of markers) maxTs = Math.max(maxTs, x.ts)
  flush(JSON.stringify(markers.map(x => [x.partition, x.ts, x.idle ? 1 : 0])))
  return out
}

/** Packs contributions one tuple each, as version 1 wrote them (for tests of reading old records). */
export function encodeVersion1 (topic: string, contributions: readonly Contribution[], markers: readonly Marker[]): string {
  return JSON.stringify({ t: topic, c: contributions.map(tuple), m: markers.map(x => [x.partition, x.ts, x.idle ? 1 : 0]) })
}

function fromTuple (topic: string, t: Tuple): Contribution {
  const c: Contribution = { rule: t[0], expr: t[1], labels: t[2], ts: t[3], value: typeof t[4] === 'number' ? t[4] : Number(t[4]), source: { topic, partition: t[5], offset: t[6] } }
  if (t[7] !== undefined) c.line = t[7]
  return c
}

function fromAggTuple (topic: string, t: AggTuple): Aggregate {
  if (!Array.isArray(t) || !Array.isArray(t[4]) || !Array.isArray(t[5]) || t[4].length !== t[5].length || (Array.isArray(t[6]) && t[6].length !== t[4].length)) throw new Error('not an aggregate')
  const values = typeof t[6] === 'number' ? t[6] : t[6].map(v => typeof v === 'number' ? v : Number(v))
  return { rule: t[0], expr: t[1], labels: t[2], topic, partition: t[3], offsets: sums(t[4]), ts: sums(t[5]), values }
}

/** The contents of one contributions record, either version; throws on a value that is not one (the caller skips it). */
export function decodePacked (value: Buffer | string): Packed {
  const w = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as Wire
  if (typeof w !== 'object' || w === null || !Array.isArray(w.m) || typeof w.t !== 'string') throw new Error('not a contributions record')
  const markers = w.m.map(([partition, ts, idle]) => ({ partition, ts, idle: idle === 1 }))
  if (w.v === 2 && Array.isArray(w.a) && Array.isArray(w.r)) {
    return { topic: w.t, contributions: w.r.map(t => fromTuple(w.t, t)), aggregates: w.a.map(t => fromAggTuple(w.t, t)), markers }
  }
  if (w.v !== undefined || !Array.isArray(w.c)) throw new Error('not a contributions record')
  return { topic: w.t, contributions: w.c.map(t => fromTuple(w.t, t)), aggregates: [], markers }
}

/** FNV-1a over the key's UTF-16 code units: a stable, fast hash every replica computes alike. */
export function hashKey (key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The contributions partition that owns an owner key. */
export function ownerPartition (ownerKey: string, partitions: number): number {
  return hashKey(ownerKey) % partitions
}

/** The internal topics and group of a rules workload. */
export function internalNames (workload: string): { contributions: string, state: string, owners: string } {
  return { contributions: `${workload}.contributions`, state: `${workload}.state`, owners: `${workload}.owners` }
}
