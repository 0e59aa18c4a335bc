// Helpers for the rules engine's tests: rule files from text, records in a flat envelope, and
// an expression's value at an event time after a list of log lines.
import { parseRuleFile } from './file.js'
import type { CompiledRule } from './compile.js'
import type { Sample } from './evaluate.js'
import { OwnerStage } from './owner-stage.js'
import { RecordStage, type Contribution, type SourceRecord } from './record-stage.js'
import { RuleSet } from './rule-set.js'

export const T0 = Date.parse('2024-01-01T00:00:00.000Z')

export function rulesOf (yaml: string): CompiledRule[] {
  return parseRuleFile('rules.yaml', yaml).rules
}

/** One alerting rule with `expr` (and optional extra YAML fields, indented for a rule). */
export function ruleFile (expr: string, extra = ''): string {
  return `groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: ${JSON.stringify(expr)}\n${extra}`
}

export interface Line { at: number, labels?: Record<string, string>, line: string }

const FIELDS = new Set(['namespace', 'pod', 'container', 'host', 'image', 'stream'])

/** A record in Tidewatch ingest's flat shape: namespace, pod, … as fields, other labels under `labels`, `message`, RFC 3339 `time`. */
export function record (l: Line, offset: number, partition = 0): SourceRecord {
  const entries = Object.entries(l.labels ?? {})
  const doc = { time: new Date(T0 + l.at).toISOString(), ...Object.fromEntries(entries.filter(([k]) => FIELDS.has(k))), labels: Object.fromEntries(entries.filter(([k]) => !FIELDS.has(k))), message: l.line }
  return { topic: 'logs', partition, offset, timestamp: 0, value: JSON.stringify(doc) }
}

export function contributionsOf (rules: CompiledRule[], lines: Line[], partitions = 1): Contribution[] {
  const stage = new RecordStage(rules)
  return lines.flatMap((l, i) => stage.process(record(l, Math.floor(i / partitions), i % partitions)))
}

/** The value of `expr` at T0 + at, after `lines`, as [labels, value] sorted by labels. */
export function vectorAt (expr: string, lines: Line[], at: number): [Record<string, string>, number][] {
  const rules = rulesOf(ruleFile(expr))
  const owner = new OwnerStage(new RuleSet(rules))
  owner.apply(contributionsOf(rules, lines))
  return owner.valueAt(rules[0].id, T0 + at)
    .map((s: Sample): [Record<string, string>, number] => [{ ...s.labels }, s.value])
    .sort((a, b) => JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1)
}
