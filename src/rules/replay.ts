/**
 * `tidewatch test RULES.yaml`: records (NDJSON envelopes or plain lines) replayed through both
 * stages in one process, in event time, printing each alert state change. Between records,
 * time moves through every instant at which a window gains or loses a sample or a `for:`
 * elapses, so an alert resolves at the event time it would in a running deployment, not at
 * the next record. After the last record, time moves on by `afterMs` so windows empty.
 */
import type { AlertChange } from './alerts.js'
import type { CompiledRule } from './compile.js'
import { readEnvelope } from './envelope.js'
import { OwnerStage } from './owner-stage.js'
import { RecordStage, type SourceRecord } from './record-stage.js'
import { RuleSet } from './rule-set.js'

export interface ReplayOptions {
  /** Time for records without one of their own, before the first record that has one (epoch ms). */
  startMs: number
  /** Added per record without a time of its own. */
  stepMs: number
  /** How far past the last record time moves; undefined: long enough for every window to empty. */
  afterMs?: number
  topic?: string
}

export interface ReplayEvent {
  alert: string
  state: AlertChange['state']
  labels: Record<string, string>
  value: number
  at: string
  annotations?: Record<string, string>
}

export interface ReplaySummary { records: number, contributions: number, changes: number, pipelineErrors: number, duplicates: number }

/** Long enough after the last record for every window to empty and every `for:` to pass. */
export function settleMs (rules: readonly CompiledRule[]): number {
  let ms = 0
  for (const r of rules) {
    const windows = Math.max(0, ...r.ranges.map(x => x.rangeMs + x.offsetMs))
    ms = Math.max(ms, windows + Math.max(r.forMs, r.keepFiringForMs))
  }
  return ms
}

export function replay (rules: readonly CompiledRule[], lines: Iterable<string>, o: ReplayOptions, emit: (e: ReplayEvent) => void): ReplaySummary {
  const set = new RuleSet(rules)
  const stage = new RecordStage(rules)
  const owner = new OwnerStage(set)
  const summary: ReplaySummary = { records: 0, contributions: 0, changes: 0, pipelineErrors: 0, duplicates: 0 }
  const records: { r: SourceRecord, ts: number }[] = []
  let clock = o.startMs
  let count = 0
  for (const line of lines) {
    if (line.trim() === '') continue
    // The "Kafka timestamp" of a record without a time: the previous record's time plus a step.
    const own = readEnvelope(line, NaN).ts
    clock = Number.isNaN(own) ? clock + (count === 0 ? 0 : o.stepMs) : own
    count++
    records.push({ r: { topic: o.topic ?? 'logs', partition: 0, offset: 0, timestamp: clock, value: line }, ts: clock })
  }
  // Stable: records with equal times keep their order in the file. Offsets follow the replay
  // order, as in a partition written in event time (the owner reads offsets in order).
  records.sort((a, b) => a.ts - b.ts)
  records.forEach((x, i) => { x.r.offset = i })

  const report = (changes: AlertChange[]): void => {
    for (const c of changes) {
      summary.changes++
      emit({
        alert: c.alert,
        state: c.state,
        labels: c.labels,
        value: c.value,
        at: new Date(c.at).toISOString(),
        ...(c.state === 'firing' || c.state === 'pending' ? { annotations: c.annotations } : {})
      })
    }
  }
  const advanceTo = (T: number): void => {
    for (let next = owner.nextChange(owner.time); next !== undefined && next < T; next = owner.nextChange(owner.time)) report(owner.evaluate(next))
  }

  for (let i = 0; i < records.length;) {
    const ts = records[i].ts
    advanceTo(ts)
    for (; i < records.length && records[i].ts === ts; i++) {
      summary.records++
      const contributions = stage.process(records[i].r)
      summary.contributions += contributions.length
      summary.duplicates += owner.apply(contributions).duplicates
    }
    report(owner.evaluate(ts))
  }
  if (records.length > 0) {
    const end = records[records.length - 1].ts + (o.afterMs ?? settleMs(rules))
    advanceTo(end + 1)
    if (owner.time < end) report(owner.evaluate(end))
  }
  summary.pipelineErrors = stage.stats.pipelineErrors
  return summary
}
