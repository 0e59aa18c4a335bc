/**
 * The owner's state as plain, JSON-safe data, per rule and owner key: watermarks, windows
 * (buckets), alerts and learned patterns/terms. A runtime writes it somewhere durable and
 * restores it after a restart, whole or only the keys it now owns.
 */
import type { AlertState } from './alerts.js'
import type { CompiledRule } from './compile.js'
import { labelsKey, type LabelSet } from './labels.js'
import { noveltySnapshot, restoreNovelty, type NoveltySnapshot } from './novelty.js'
import type { KeyState, RuleState } from './owner-stage.js'
import { ownerKeyOf } from './partition.js'
import { Window, type Bucket, type Source } from './window.js'

/** Numbers as JSON can hold them: non-finite values (an unwrapped "Inf") as strings. */
type Num = number | string
const enc = (n: number): Num => Number.isFinite(n) ? n : String(n)
const dec = (n: Num): number => typeof n === 'number' ? n : Number(n)

type SourceTuple = [string, number, number]
const src = (s: Source): SourceTuple => [s.topic, s.partition, s.offset]
const unsrc = (t: SourceTuple): Source => ({ topic: t[0], partition: t[1], offset: t[2] })

/** [ts, count, sum, min, max, first, firstSource, last, lastSource, values?] */
type BucketTuple = [number, number, Num, Num, Num, Num, SourceTuple, Num, SourceTuple, Num[]?]

export interface KeySnapshot {
  watermarks: [string, number][]
  series: { expr: number, labels: LabelSet, buckets: BucketTuple[] }[]
}

export interface AlertSnapshot extends Omit<AlertState, 'value' | 'source'> { value: Num, source?: SourceTuple }

export interface RuleSnapshot {
  fingerprint: string
  keys: Record<string, KeySnapshot>
  alerts: AlertSnapshot[]
  novelty?: NoveltySnapshot
}

export interface OwnerSnapshot { version: 1, time: number | null, rules: Record<string, RuleSnapshot> }

function encodeBucket (b: Bucket): BucketTuple {
  const t: BucketTuple = [b.ts, b.count, enc(b.sum), enc(b.min), enc(b.max), enc(b.first), src(b.firstSrc), enc(b.last), src(b.lastSrc)]
  if (b.values !== undefined) t.push(b.values.map(enc))
  return t
}

function decodeBucket (t: BucketTuple): Bucket {
  const b: Bucket = { ts: t[0], count: t[1], sum: dec(t[2]), min: dec(t[3]), max: dec(t[4]), first: dec(t[5]), firstSrc: unsrc(t[6]), last: dec(t[7]), lastSrc: unsrc(t[8]) }
  if (t[9] !== undefined) b.values = t[9].map(dec)
  return b
}

export function encodeRuleState (rule: CompiledRule, rs: RuleState, keep: (key: string) => boolean): RuleSnapshot {
  const keys: Record<string, KeySnapshot> = {}
  for (const [key, ks] of rs.keys) {
    if (!keep(key)) continue
    const series: KeySnapshot['series'] = []
    for (const [expr, m] of ks.series) {
      for (const s of m.values()) series.push({ expr, labels: s.labels, buckets: s.window.buckets.slice(s.window.start).map(encodeBucket) })
    }
    Object.defineProperty(keys, key, { value: { watermarks: [...ks.watermarks], series }, enumerable: true, writable: true })
  }
  const alerts = [...rs.alerts.values()]
    .filter(a => keep(ownerKeyOf(rule.id, rule.partition, a.series)))
    .map(a => ({ ...a, value: enc(a.value), source: a.source === undefined ? undefined : src(a.source) }))
  const ruleKey = ownerKeyOf(rule.id, { by: [] }, {})
  return {
    fingerprint: rule.fingerprint,
    keys,
    alerts,
    novelty: rs.novelty !== undefined && keep(ruleKey) ? noveltySnapshot(rs.novelty) : undefined
  }
}

export function decodeRuleState (rule: CompiledRule, saved: RuleSnapshot, into: RuleState): void {
  for (const [key, k] of Object.entries(saved.keys)) {
    const ks: KeyState = { watermarks: new Map(k.watermarks), series: new Map() }
    for (const s of k.series) {
      const range = rule.ranges[s.expr]
      if (range === undefined) continue
      const window = new Window(range.fn)
      window.buckets = s.buckets.map(decodeBucket)
      let m = ks.series.get(s.expr)
      if (m === undefined) ks.series.set(s.expr, m = new Map())
      if (!m.has(labelsKey(s.labels))) into.series++
      m.set(labelsKey(s.labels), { labels: s.labels, window })
    }
    const old = into.keys.get(key)
    if (old !== undefined) for (const m of old.series.values()) into.series -= m.size
    into.keys.set(key, ks)
  }
  for (const a of saved.alerts) {
    const alert: AlertState = { ...a, value: dec(a.value), source: a.source === undefined ? undefined : unsrc(a.source) }
    into.alerts.set(labelsKey(alert.labels), alert)
  }
  if (saved.novelty !== undefined && into.novelty !== undefined) into.novelty = restoreNovelty(rule, saved.novelty)
}
