/**
 * A rule as the engine runs it: its expression parsed and checked, one extractor per log range
 * (selector + pipeline + what a sample's value is + which labels it keeps), its partition (for
 * owner keys) and its templates. Problems carry the offset in the expression they are about.
 */
import { createHash } from 'node:crypto'
import type { Template } from '../shared/template/render.js'
import { compileAlertTemplate } from './alert-templates.js'
import type { AlertingRule } from './alerts.js'
import { rangesOf, type Conversion, type LabelFilterExpr, type MetricExpr, type RangeExpr } from './logql/ast.js'
import type { Needle } from './logql/matchers.js'
import { parseLogql } from './logql/parse.js'
import { compileLabelFilter, compileQuery, type CompiledQuery, type Step } from './logql/pipeline.js'
import { partitionOf, projectionsOf, type Partition, type Projection } from './partition.js'

export interface RuleSpec {
  group: string
  alert: string
  expr: string
  forMs: number
  keepFiringForMs: number
  labels: Record<string, string>
  annotations: Record<string, string>
  newPattern?: { learningMs: number }
  newTerm?: { field: string, learningMs: number }
}

export interface Extractor {
  rule: string
  index: number
  query: CompiledQuery
  /** A sample's value: 1 per line, the line's bytes, an unwrapped label, or (pattern/term rules) the line itself. */
  value: 'one' | 'bytes' | 'unwrap' | 'line'
  unwrap?: { label: string, conversion: Conversion, filters: Step[] }
  projections: Projection[]
  /** Substrings one of each group must occur in the record's raw text, or the record cannot match. */
  needles: Needle[][]
}

export interface CompiledRule extends AlertingRule {
  group: string
  expr: string
  kind: 'metric' | 'new_pattern' | 'new_term'
  metric?: MetricExpr
  ranges: RangeExpr[]
  extractors: Extractor[]
  partition: Partition
  learningMs: number
  termField?: string
  /** Changes when the expression does: state saved for another expression is not restored. */
  fingerprint: string
}

export interface RuleProblem { field: 'expr' | 'labels' | 'annotations' | 'new_term', key?: string, at?: number, message: string }

const BYTES_FNS = new Set(['bytes_over_time', 'bytes_rate'])

// Characters a JSON encoder writes as they are (no escaping by any common shipper: Fluent Bit
// escapes '/', Go escapes <, > and &), so a literal made of them appears verbatim in the record.
const JSON_SAFE = /[\x20-\x7e]/
const JSON_ESCAPED = new Set(['"', '\\', '/', '<', '>', '&'])

/** The longest run of a needle that survives JSON encoding; null when none is useful. */
export function rawNeedle (n: Needle): Needle | null {
  let best = ''
  let run = ''
  for (const ch of n.text) {
    if (JSON_SAFE.test(ch) && !JSON_ESCAPED.has(ch)) { run += ch; if (run.length > best.length) best = run } else run = ''
  }
  return best.length >= 2 ? { text: best, caseless: n.caseless } : null
}

function rawNeedles (groups: Needle[][]): Needle[][] {
  const out: Needle[][] = []
  for (const g of groups) {
    const raw = g.map(rawNeedle)
    // A group is only a test when every alternative has something to look for.
    if (raw.every(n => n !== null)) out.push(raw as Needle[])
  }
  return out
}

export function compileRule (id: string, spec: RuleSpec): { rule?: CompiledRule, problems: RuleProblem[] } {
  const problems: RuleProblem[] = []
  const exprProblem = (at: number | undefined, message: string): void => { problems.push({ field: 'expr', at, message }) }
  const parsed = parseLogql(spec.expr)
  for (const p of parsed.problems) exprProblem(p.at, p.message)

  const templates = (field: 'labels' | 'annotations', from: Record<string, string>): Map<string, Template> => {
    const out = new Map<string, Template>()
    for (const [key, source] of Object.entries(from)) {
      try { out.set(key, compileAlertTemplate(source)) } catch (err) { problems.push({ field, key, message: `template: ${(err as Error).message}` }) }
    }
    return out
  }
  const labels = templates('labels', spec.labels)
  const annotations = templates('annotations', spec.annotations)

  const kind = spec.newPattern !== undefined ? 'new_pattern' : spec.newTerm !== undefined ? 'new_term' : 'metric'
  const extractors: Extractor[] = []
  let metric: MetricExpr | undefined
  let ranges: RangeExpr[] = []
  const r = parsed.result
  if (r !== undefined && kind !== 'metric') {
    if (r.kind !== 'log') exprProblem(0, `a ${kind} rule takes a log query, such as {namespace="shop"} |~ "ERROR|Exception"`)
    else {
      const c = compileQuery(r.query, 0)
      for (const p of c.problems) exprProblem(p.at, p.message)
      if (c.query !== undefined) extractors.push({ rule: id, index: 0, query: c.query, value: 'line', projections: [], needles: rawNeedles(c.query.needles) })
    }
  } else if (r !== undefined) {
    if (r.kind === 'log') exprProblem(0, 'an alerting rule needs a metric query (count_over_time(… [5m]) > 0, …); a log query alone is a new_pattern or new_term rule')
    else {
      metric = r.expr
      ranges = rangesOf(metric)
      if (ranges.length === 0) exprProblem(0, 'the expression has no log range (count_over_time({…}[5m]), …): it would never change')
      const projections = projectionsOf(metric)
      for (const range of ranges) {
        const c = compileQuery(range.query, range.at)
        for (const p of c.problems) exprProblem(p.at, p.message)
        let filters: Step[] = []
        try { filters = (range.unwrap?.filters ?? []).map((f: LabelFilterExpr) => compileLabelFilter(f)) } catch (err) { exprProblem(range.at, (err as Error).message) }
        if (c.query === undefined) continue
        extractors.push({
          rule: id,
          index: range.index,
          query: c.query,
          value: range.unwrap !== undefined ? 'unwrap' : BYTES_FNS.has(range.fn) ? 'bytes' : 'one',
          unwrap: range.unwrap === undefined ? undefined : { label: range.unwrap.label, conversion: range.unwrap.conversion, filters },
          projections: projections.get(range.index) ?? [],
          needles: rawNeedles(c.query.needles)
        })
      }
    }
  }
  if (problems.length > 0) return { problems }
  return {
    rule: {
      id,
      group: spec.group,
      alert: spec.alert,
      expr: spec.expr,
      kind,
      metric,
      ranges,
      extractors,
      // New patterns and terms are learned in one place per rule.
      partition: metric === undefined ? { by: [] } : partitionOf(metric),
      learningMs: spec.newPattern?.learningMs ?? spec.newTerm?.learningMs ?? 0,
      termField: spec.newTerm?.field,
      forMs: spec.forMs,
      keepFiringForMs: spec.keepFiringForMs,
      labels,
      annotations,
      fingerprint: createHash('sha256').update(JSON.stringify([kind, spec.expr, spec.newTerm?.field ?? ''])).digest('hex').slice(0, 16)
    },
    problems
  }
}
