/**
 * One contributions partition as its owner holds it: an OwnerStage for the owner keys that hash
 * to it, the progress markers of every input partition (the low watermark the stage is
 * evaluated at), and how to rebuild all of it after a restart or a rebalance:
 *
 *   latest snapshot of the partition (alerts with their `for:` clocks, learned patterns and
 *   terms, dedupe marks of those, the markers, the evaluation time, `next`)
 *   + its metric windows rebuilt by re-reading the contributions from where the longest window
 *     starts (ListOffsets by time) up to `next`, metric rules only, without evaluating
 *   + everything after `next`, as it was read live.
 *
 * Windows are rebuilt rather than snapshotted: a busy rule holds a bucket per millisecond, too
 * much to write every second, and re-reading its contributions gives the same buckets back.
 */
import type { KafkaClient, KafkaRecord } from '../../kafka/client.js'
import type { AlertChange } from '../alerts.js'
import { OwnerStage, type ApplyStats } from '../owner-stage.js'
import type { RuleSet } from '../rule-set.js'
import { decodePacked, ownerPartition } from './messages.js'
import { readLatestSnapshot, readRange, type PartitionSnapshot } from './state-store.js'

export interface PartitionTopics { contributions: string, state: string }

/** How far back in event time the metric windows reach: the longest range + offset of any rule. */
export function lookbackMs (rules: RuleSet): number {
  let ms = 0
  for (const r of rules.rules) for (const x of r.ranges) ms = Math.max(ms, x.rangeMs + x.offsetMs)
  return ms
}

export class OwnerPartition {
  readonly stage: OwnerStage
  /** Input partition → the latest time its markers reported (−1: has a backlog not read yet). */
  readonly marks = new Map<number, number>()
  /** The next contributions offset not applied yet. */
  next = 0
  /** Something to snapshot: contributions applied or alerts changed since the last snapshot. */
  dirty = false
  /** The state partition's end offset when restored: a later end means another owner wrote meanwhile. */
  stateEnd = 0
  readonly stats: ApplyStats & { unreadable: number } = { applied: 0, duplicates: 0, late: 0, unknownRule: 0, overLimit: 0, unreadable: 0 }
  /** The latest firing/resolved changes, newest last (for status). */
  readonly recent: AlertChange[] = []

  constructor (readonly rules: RuleSet, readonly partition: number, readonly partitions: number, readonly inputPartitions: number) {
    this.stage = new OwnerStage(rules, { owns: key => ownerPartition(key, partitions) === partition })
  }

  /** Applies one contributions record; `rebuild` applies only metric contributions and no markers (the snapshot has the rest). */
  apply (rec: KafkaRecord, mode: 'rebuild' | 'live'): void {
    if (rec.offset < this.next) return
    this.next = rec.offset + 1
    if (rec.value === null) return
    let packed
    try {
      packed = decodePacked(rec.value)
    } catch {
      this.stats.unreadable++
      return
    }
    const metric = (c: { rule: string }): boolean => this.rules.get(c.rule)?.kind === 'metric'
    const s = this.stage.apply(mode === 'live' ? packed.contributions : packed.contributions.filter(metric))
    const sa = this.stage.applyAggregates(mode === 'live' ? packed.aggregates : packed.aggregates.filter(metric))
    for (const k of Object.keys(s) as (keyof ApplyStats)[]) this.stats[k] += s[k] + sa[k]
    s.applied += sa.applied
    if (mode === 'rebuild') return
    for (const m of packed.markers) this.marks.set(m.partition, Math.max(this.marks.get(m.partition) ?? -1, m.ts))
    if (s.applied > 0 || packed.markers.length > 0) this.dirty = true
  }

  /** The low watermark: the least time over every input partition, undefined until each has reported. */
  watermark (): number | undefined {
    if (this.marks.size < this.inputPartitions) return undefined
    let t = Infinity
    for (const ts of this.marks.values()) t = Math.min(t, ts)
    return t < 0 ? undefined : t
  }

  /** Evaluates at the watermark when it has moved on; returns what changed. */
  evaluate (): AlertChange[] {
    const T = this.watermark()
    if (T === undefined || T <= this.stage.time) return []
    const changes = this.stage.evaluate(T)
    if (changes.length > 0) this.dirty = true
    for (const c of changes) if (c.state === 'firing' || c.state === 'resolved') this.recent.push(c)
    if (this.recent.length > 50) this.recent.splice(0, this.recent.length - 50)
    return changes
  }

  snapshot (now: number): PartitionSnapshot {
    const owner = this.stage.snapshot()
    // Metric windows (and their dedupe marks) are rebuilt from the contributions topic.
    for (const rule of this.rules.rules) if (rule.kind === 'metric' && owner.rules[rule.id] !== undefined) owner.rules[rule.id].keys = {}
    return { version: 1, partition: this.partition, next: this.next, marks: [...this.marks], owner, writtenAt: now }
  }

  restore (s: PartitionSnapshot): void {
    this.stage.restore(s.owner)
    for (const [p, ts] of s.marks) this.marks.set(p, Math.max(this.marks.get(p) ?? -1, ts))
  }
}

export interface OpenOptions {
  kafka: KafkaClient
  topics: PartitionTopics
  rules: RuleSet
  partition: number
  partitions: number
  inputPartitions: number
  /** Where live reading continues (the group's committed offset, or the position reached so far). */
  upTo: number
  onSkip?: (reason: string) => void
}

/** A partition's state rebuilt from its latest snapshot and the contributions topic, up to `upTo`. */
export async function openPartition (o: OpenOptions): Promise<{ part: OwnerPartition, restored: PartitionSnapshot | null, rebuilt: number }> {
  const part = new OwnerPartition(o.rules, o.partition, o.partitions, o.inputPartitions)
  const latest = await readLatestSnapshot(o.kafka, o.topics.state, o.partition)
  part.stateEnd = latest?.end ?? 0
  if (latest === null) {
    part.next = o.upTo
    return { part, restored: null, rebuilt: 0 }
  }
  const s = latest.snapshot
  part.restore(s)
  const since = (s.owner.time ?? s.writtenAt) - lookbackMs(o.rules)
  const from = Math.min(s.next, (await o.kafka.offsetsForTime(o.topics.contributions, [o.partition], since)).get(o.partition) ?? s.next)
  part.next = from
  let rebuilt = 0
  for await (const rec of readRange(o.kafka, o.topics.contributions, o.partition, from, s.next, o.onSkip)) { part.apply(rec, 'rebuild'); rebuilt++ }
  part.next = s.next
  for await (const rec of readRange(o.kafka, o.topics.contributions, o.partition, s.next, o.upTo, o.onSkip)) { part.apply(rec, 'live'); rebuilt++ }
  part.next = Math.max(part.next, o.upTo)
  return { part, restored: s, rebuilt }
}
