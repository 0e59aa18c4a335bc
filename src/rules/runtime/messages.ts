/**
 * What travels on a rules workload's internal topics.
 *
 * `<name>.contributions` (keyed by owner key, partitioned by ownerPartition): each record packs
 * the contributions one input batch produced for one contributions partition, and the progress
 * markers of the input partitions the sender reads: `{ t, c: [...], m: [...] }`. Markers come
 * after the contributions they vouch for (same record, or a later one of the same partition), so
 * an owner that has read a marker `input partition p reached time ts` holds every contribution
 * for it from p's records up to there. The record's Kafka timestamp is the latest event time of
 * its contributions, so ListOffsets by time finds where a window's contributions start.
 */
import type { Contribution } from '../record-stage.js'
import type { LabelSet } from '../labels.js'

/** One input partition's progress: the reader's time for it, and whether it had caught up (read everything there was). */
export interface Marker { partition: number, ts: number, idle: boolean }

export interface Packed { topic: string, contributions: Contribution[], markers: Marker[] }

/** [rule, expr, labels, ts, value, partition, offset, line?] — value as a string when not finite. */
type Tuple = [string, number, LabelSet, number, number | string, number, number, string?]
interface Wire { t: string, c: Tuple[], m: [number, number, 0 | 1][] }

/** Contributions of one record past this many bytes are split over several records (the broker's message limit is 1 MiB). */
export const MAX_PACKED_BYTES = 256 * 1024

const num = (v: number): number | string => Number.isFinite(v) ? v : String(v)

function tuple (c: Contribution): Tuple {
  const t: Tuple = [c.rule, c.expr, c.labels, c.ts, num(c.value), c.source.partition, c.source.offset]
  if (c.line !== undefined) t.push(c.line)
  return t
}

/** Packs contributions and markers into record values of at most about MAX_PACKED_BYTES each; markers ride on the last. */
export function encodePacked (topic: string, contributions: readonly Contribution[], markers: readonly Marker[]): { value: string, maxTs: number }[] {
  const out: { value: string, maxTs: number }[] = []
  const m = markers.map(x => [x.partition, x.ts, x.idle ? 1 : 0] as [number, number, 0 | 1])
  let c: string[] = []
  let bytes = 0
  let maxTs = -Infinity
  const flush = (withMarkers: boolean): void => {
    const wire = `{"t":${JSON.stringify(topic)},"c":[${c.join(',')}],"m":${withMarkers ? JSON.stringify(m) : '[]'}}`
    if (withMarkers) for (const x of markers) maxTs = Math.max(maxTs, x.ts)
    out.push({ value: wire, maxTs: Number.isFinite(maxTs) && maxTs >= 0 ? maxTs : Date.now() })
    c = []
    bytes = 0
    maxTs = -Infinity
  }
  for (const x of contributions) {
    const s = JSON.stringify(tuple(x))
    if (bytes + s.length > MAX_PACKED_BYTES && c.length > 0) flush(false)
    c.push(s)
    bytes += s.length + 1
    if (x.ts > maxTs) maxTs = x.ts
  }
  flush(true)
  return out
}

/** The contents of one contributions record; throws on a value that is not one (the caller skips it). */
export function decodePacked (value: Buffer | string): Packed {
  const w = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as Wire
  if (typeof w !== 'object' || w === null || !Array.isArray(w.c) || !Array.isArray(w.m) || typeof w.t !== 'string') throw new Error('not a contributions record')
  const contributions = w.c.map((t): Contribution => {
    const c: Contribution = { rule: t[0], expr: t[1], labels: t[2], ts: t[3], value: typeof t[4] === 'number' ? t[4] : Number(t[4]), source: { topic: w.t, partition: t[5], offset: t[6] } }
    if (t[7] !== undefined) c.line = t[7]
    return c
  })
  return { topic: w.t, contributions, markers: w.m.map(([partition, ts, idle]) => ({ partition, ts, idle: idle === 1 })) }
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
