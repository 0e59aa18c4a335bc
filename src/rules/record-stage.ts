/**
 * Stage one of the engine, run where the records are read: each record becomes zero or more
 * contributions, one per log range of each rule it matches — {rule, range index, series labels
 * after the pipeline, event time, value, source}. Nothing here keeps state between records, so
 * any replica can run it on any partition.
 *
 * Most records match no rule, and are rejected before anything is parsed: each range's stream
 * selector and literal line filters name substrings the record's raw bytes must contain (the
 * selector's `namespace="shop"` needs `shop` somewhere in the record), checked with indexOf on
 * the bytes as they came from Kafka. Only a record that passes is decoded, its envelope parsed
 * once, and the pipelines run.
 */
import type { CompiledRule, Extractor } from './compile.js'
import { readEnvelope, type LogRecord, type StreamLabels } from './envelope.js'
import { ScannedRecord, scanEnvelope } from './envelope-scan.js'
import { labelSet, type LabelSet } from './labels.js'
import { caselessFinder, containsNeedle, type Needle } from './logql/matchers.js'
import { ERROR_LABEL, setError, type Entry } from './logql/parsers.js'
import { parseBytes, parseDurationSeconds, parseFloat64 } from './logql/units.js'
import { projector } from './partition.js'
import { RawValueFilter, withoutImplied } from './value-filter.js'
import type { Source } from './window.js'

export interface SourceRecord extends Source {
  /** Kafka record timestamp (ms): the event time of a record that has none of its own. */
  timestamp: number
  value: string | Buffer | null
}

export interface Contribution {
  /** Rule id (`group/alert`). */
  rule: string
  /** Which log range of the rule's expression (0 for new_pattern / new_term rules). */
  expr: number
  labels: LabelSet
  /** Event time, epoch ms. */
  ts: number
  /** 1 per line, the line's bytes, or the unwrapped number. */
  value: number
  /** new_pattern: the line; new_term: the term. */
  line?: string
  source: Source
}

export interface RecordStageStats {
  records: number
  /** Rejected on raw bytes, before any parsing. */
  prefiltered: number
  /** Envelopes parsed. */
  parsed: number
  contributions: number
  /** Samples dropped because the pipeline marked them with __error__ (a line that is not JSON for | json, …). */
  pipelineErrors: number
  /** Records a pipeline failed on unexpectedly; skipped for that rule, the others go on. */
  failures: number
}

interface Prepared extends Extractor {
  kind: CompiledRule['kind']
  termField?: string
  /** Needle groups as indexes into the stage's distinct needles. */
  groups: number[][]
  labelsOf: (labels: Readonly<Record<string, string>> | ReadonlyMap<string, string>) => LabelSet
  /** The series label sets this range made lately, one frozen object per series (see #intern). */
  series: Map<string, LabelSet>
}

/** Distinct series label sets a range keeps shared; past this, the next ones start a new set. */
const SERIES_SHARED = 10_000

interface View {
  labels: StreamLabels
  /** Per extractor: 0 not tested yet, 1 the selector matches, 2 it does not. */
  matched: Uint8Array
  /** Per extractor without a pipeline: the series labels. */
  projected: (LabelSet | undefined)[]
}

interface DistinctNeedle { text: string, bytes: Buffer, caseless: boolean, findCaseless: ((hay: Buffer, from: number) => number) | null }

function found (raw: string | Buffer, n: DistinctNeedle): boolean {
  if (typeof raw === 'string') return containsNeedle(raw, n)
  return n.findCaseless !== null ? n.findCaseless(raw, 0) >= 0 : raw.indexOf(n.bytes) >= 0
}

function convert (v: string, conversion: 'float' | 'bytes' | 'duration'): number | null {
  return conversion === 'float' ? parseFloat64(v.trim()) : conversion === 'bytes' ? parseBytes(v) : parseDurationSeconds(v)
}

export class RecordStage {
  readonly stats: RecordStageStats = { records: 0, prefiltered: 0, parsed: 0, contributions: 0, pipelineErrors: 0, failures: 0 }
  readonly #extractors: Prepared[]
  /** Every needle once: rules sharing `namespace="shop"` look for it once per record. */
  readonly #needles: DistinctNeedle[] = []
  /** Per record: 0 not looked for yet, 1 found, 2 not found. */
  readonly #seen: Uint8Array
  readonly #views = new WeakMap<StreamLabels, Map<string, View>>()
  #filter: RawValueFilter | undefined

  /** `prefilter: false` parses every record (to check that the prefilter changes nothing). */
  constructor (rules: readonly CompiledRule[], o: { prefilter?: boolean } = {}) {
    const index = new Map<string, number>()
    const id = (n: Needle): number => {
      const key = `${n.caseless ? 'i' : 's'}:${n.text}`
      let i = index.get(key)
      if (i === undefined) { index.set(key, i = this.#needles.length); this.#needles.push({ text: n.text, bytes: Buffer.from(n.text), caseless: n.caseless, findCaseless: n.caseless ? caselessFinder(n.text) : null }) }
      return i
    }
    this.#extractors = rules.flatMap(r => r.extractors.map(x => ({
      ...x,
      kind: r.kind,
      termField: r.termField,
      groups: o.prefilter === false ? [] : withoutImplied(x.needles.map(g => g.map(id)), this.#needles),
      labelsOf: projector(x.projections),
      series: new Map()
    })))
    this.#seen = new Uint8Array(this.#needles.length)
  }

  /**
   * Every range's prefilter together as a test on raw values (value-filter.ts), for the consumer
   * to run before records become objects: a record it rejects gives no contribution here. Null
   * when any record may match (a range with nothing to look for, or the prefilter off).
   */
  valueFilter (): RawValueFilter | null {
    if (this.#extractors.some(x => x.groups.length === 0)) return null
    // One filter: the records it accepted carry its verdicts into process().
    return (this.#filter ??= new RawValueFilter(this.#needles, this.#extractors.map(x => x.groups)))
  }

  #passes (raw: string | Buffer, groups: number[][]): boolean {
    for (const g of groups) {
      let any = false
      for (const i of g) {
        if (this.#seen[i] === 0) this.#seen[i] = found(raw, this.#needles[i]) ? 1 : 2
        if (this.#seen[i] === 1) { any = true; break }
      }
      if (!any) return false
    }
    return true
  }

  process (r: SourceRecord): Contribution[] {
    this.stats.records++
    const raw = r.value
    if (raw === null) return []
    let record: LogRecord | undefined
    let view: View | undefined
    let out: Contribution[] | undefined
    this.#seen.fill(0)
    // Which ranges' needles the consumer's filter found in this record, when it read it.
    const verdict = this.#filter?.verdict(r)
    const xs = this.#extractors
    for (let xi = 0; xi < xs.length; xi++) {
      const x = xs[xi]
      // Once the record is parsed, a selector known not to match needs no search of the bytes.
      if (view?.matched[xi] === 2) continue
      if (verdict !== undefined && xi < 32 ? (verdict & (1 << xi)) === 0 : !this.#passes(raw, x.groups)) continue
      if (record === undefined || view === undefined) {
        this.stats.parsed++
        record = typeof raw === 'string' ? readEnvelope(raw, r.timestamp) : scanEnvelope(raw, r.timestamp) ?? readEnvelope(raw.toString('utf8'), r.timestamp)
        view = this.#viewOf(record, r.topic)
      }
      let matched = view.matched[xi]
      if (matched === 0) view.matched[xi] = matched = x.query.matches(view.labels) ? 1 : 2
      if (matched === 2) continue
      let c: Contribution | null
      try {
        c = this.#run(x, xi, view, record, r)
      } catch {
        // No record may stop the consumer: a stage that throws costs this rule this record.
        this.stats.failures++
        continue
      }
      if (c !== null) (out ??= []).push(c)
    }
    if (record === undefined) this.stats.prefiltered++
    if (out === undefined) return []
    this.stats.contributions += out.length
    return out
  }

  /**
   * The record's stream labels with its topic, and what each extractor derives from them alone.
   * Records of one pod share their labels object (envelope-scan.ts, `shared`), so this is worked
   * out once per pod, stream and topic rather than per record.
   */
  #viewOf (record: LogRecord, topic: string): View {
    const fresh = (): View => ({ labels: Object.freeze({ ...record.labels, topic }), matched: new Uint8Array(this.#extractors.length), projected: [] })
    if (!(record instanceof ScannedRecord) || !record.shared) return fresh()
    let byTopic = this.#views.get(record.labels)
    if (byTopic === undefined) this.#views.set(record.labels, byTopic = new Map())
    let v = byTopic.get(topic)
    if (v === undefined) {
      if (byTopic.size >= 16) byTopic.clear()
      byTopic.set(topic, v = fresh())
    }
    return v
  }

  #run (x: Prepared, xi: number, view: View, record: LogRecord, r: SourceRecord): Contribution | null {
    // Without a pipeline, the stream labels are the series': no entry to build, and the line is
    // not even decoded for a count. Line filters alone leave the labels as they are too.
    const lineOnly = x.query.lineFilters
    if (lineOnly !== undefined && (x.value === 'one' || x.value === 'bytes')) {
      for (const test of lineOnly) if (!test(record.line)) return null
      const value = x.value === 'one' ? 1 : Buffer.byteLength(record.line, 'utf8')
      const labels = view.projected[xi] ??= Object.freeze(x.labelsOf(view.labels))
      return { rule: x.rule, expr: x.index, labels, ts: record.ts, value, source: { topic: r.topic, partition: r.partition, offset: r.offset } }
    }
    const e: Entry = { line: record.line, labels: new Map(Object.entries(view.labels)), stream: view.labels, ts: record.ts }
    for (const step of x.query.steps) if (!step(e)) return null
    let value = 1
    if (x.value === 'bytes') value = Buffer.byteLength(e.line, 'utf8')
    else if (x.value === 'unwrap') {
      const u = x.unwrap!
      const v = e.labels.get(u.label)
      // A line without the label is no sample, as in Loki.
      if (v === undefined || v === '') return null
      const n = convert(v, u.conversion)
      if (n === null) setError(e, 'SampleExtractionErr', `cannot read '${v}' as a ${u.conversion === 'float' ? 'number' : u.conversion}`)
      else value = n
      for (const f of u.filters) if (!f(e)) return null
    }
    if (e.labels.has(ERROR_LABEL)) { this.stats.pipelineErrors++; return null }
    const source = { topic: r.topic, partition: r.partition, offset: r.offset }
    if (x.value === 'line') {
      let line = e.line
      if (x.kind === 'new_term') {
        const term = e.labels.get(x.termField!)
        if (term === undefined || term === '') return null
        line = term
      }
      return { rule: x.rule, expr: x.index, labels: labelSet(Object.entries(view.labels)), ts: record.ts, value: 1, line, source }
    }
    return { rule: x.rule, expr: x.index, labels: this.#intern(x, x.labelsOf(e.labels)), ts: record.ts, value, source }
  }

  /**
   * One frozen object per series: after a parser, each record has labels of its own, and what
   * follows (owner key, partition, aggregation) is worked out once per label object.
   */
  #intern (x: Prepared, labels: LabelSet): LabelSet {
    // Lengths first: no value's characters can make two label sets one key.
    let key = ''
    for (const k in labels) key += `${k.length}:${k}${labels[k].length}:${labels[k]}`
    let shared = x.series.get(key)
    if (shared === undefined) {
      if (x.series.size >= SERIES_SHARED) x.series.clear()
      x.series.set(key, shared = Object.freeze(labels))
    }
    return shared
  }
}
