/**
 * A log query compiled for the record stage: the stream selector, the pipeline as a list of
 * steps over one entry (line + labels), and the substrings any matching record must contain
 * (from the selector's equality matchers and the literal line filters before anything rewrites
 * the line), which the record stage looks for in raw bytes before parsing anything.
 */
import { Template, TemplateError } from '../../shared/template/render.js'
import type { LabelFilterExpr, LabelMatcher, LineFilter, LogQuery, Stage } from './ast.js'
import { compileLineFilter, compileMatcher, type Needle } from './matchers.js'
import { ERROR_DETAILS_LABEL, ERROR_LABEL, jsonParser, logfmtParser, patternParser, regexpParser, setError, unpackParser, type Entry } from './parsers.js'
import { LOKI_TEMPLATE_FUNCTIONS, lokiTemplateFunctions, type FormatContext } from './template-functions.js'
import type { LogqlProblem } from './tree.js'
import { parseBytes, parseDurationSeconds, parseFloat64 } from './units.js'

export type Step = (e: Entry) => boolean

export interface CompiledQuery {
  matches: (stream: Readonly<Record<string, string>>) => boolean
  steps: Step[]
  /** Every one of these groups has a member in a matching record's raw text (JSON-escaping aside). */
  needles: Needle[][]
  /** When every stage is a line filter: their tests of the line (the labels stay the stream's). */
  lineFilters?: ((line: string) => boolean)[]
}

// ANSI escape sequences (colours, cursor moves), as Loki's decolorize removes them.
const ANSI = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:[a-zA-Z\d]*(?:;[a-zA-Z\d]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PRZcf-ntqry=><~]))/g

class CompileError extends Error {
  constructor (readonly at: number, message: string) { super(message) }
}

function matcherTest (m: LabelMatcher): (v: string) => boolean {
  try {
    return compileMatcher(m).test
  } catch (err) {
    throw new CompileError(m.at, `${m.name}${m.op}: ${(err as Error).message}`)
  }
}

export function compileTemplate (source: string, at: number): Template {
  let t: Template
  try {
    t = new Template(source)
  } catch (err) {
    throw new CompileError(at, `template: ${(err as TemplateError).message}`)
  }
  const { functions, variables } = t.namesUsed()
  for (const f of functions) if (!LOKI_TEMPLATE_FUNCTIONS.has(f) && !['len', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'not', 'and', 'or', 'default', 'title', 'toUpper', 'toLower', 'join', 'urlquery', 'html', 'trimSpace', 'truncate', 'number'].includes(f)) {
    throw new CompileError(at, `template: the function '${f}' is not supported`)
  }
  if (variables.size > 0) throw new CompileError(at, `template: variables ($${[...variables][0]}) are not supported in line_format / label_format`)
  return t
}

function compare (op: string, a: number, b: number): boolean {
  switch (op) {
    case '==': return a === b
    case '!=': return a !== b
    case '>': return a > b
    case '>=': return a >= b
    case '<': return a < b
    default: return a <= b
  }
}

export function compileLabelFilter (f: LabelFilterExpr): Step {
  switch (f.kind) {
    case 'and': { const l = compileLabelFilter(f.left); const r = compileLabelFilter(f.right); return e => l(e) && r(e) }
    case 'or': { const l = compileLabelFilter(f.left); const r = compileLabelFilter(f.right); return e => l(e) || r(e) }
    case 'string': { const test = matcherTest(f.matcher); const name = f.matcher.name; return e => test(e.labels.get(name) ?? '') }
    default: {
      const convert = f.kind === 'number' ? parseFloat64 : f.kind === 'bytes' ? parseBytes : (v: string) => parseDurationSeconds(v)
      return e => {
        const v = e.labels.get(f.name)
        if (v === undefined) return false
        const n = convert(v)
        // As in Loki: a value that does not convert keeps the line, marked with __error__.
        if (n === null) { setError(e, 'LabelFilterErr', `cannot read '${v}' as a ${f.kind}`); return true }
        return compare(f.op, n, f.value)
      }
    }
  }
}

function lineFormat (source: string, at: number): Step {
  const t = compileTemplate(source, at)
  const ctx: FormatContext = { line: '', ts: 0 }
  const functions = lokiTemplateFunctions(ctx)
  return e => {
    ctx.line = e.line
    ctx.ts = e.ts
    try {
      e.line = t.render(Object.fromEntries(e.labels), { functions })
    } catch (err) {
      setError(e, 'TemplateFormatErr', (err as Error).message)
    }
    return true
  }
}

function labelFormat (ops: Extract<Stage, { kind: 'labelFormat' }>['ops']): Step {
  const ctx: FormatContext = { line: '', ts: 0 }
  const functions = lokiTemplateFunctions(ctx)
  const compiled = ops.map(o => ({ ...o, t: o.template === undefined ? undefined : compileTemplate(o.template, o.at) }))
  return e => {
    ctx.line = e.line
    ctx.ts = e.ts
    // Every template sees the labels as they were before this stage.
    const data = Object.fromEntries(e.labels)
    for (const o of compiled) {
      if (o.t === undefined) {
        const v = e.labels.get(o.src!)
        if (v !== undefined) { e.labels.delete(o.src!); e.labels.set(o.dst, v) }
        continue
      }
      try {
        e.labels.set(o.dst, o.t.render(data, { functions }))
      } catch (err) {
        setError(e, 'TemplateFormatErr', (err as Error).message)
      }
    }
    return true
  }
}

function dropKeep (kind: 'drop' | 'keep', names: string[], matchers: LabelMatcher[]): Step {
  const named = new Set(names)
  const tests = matchers.map(m => ({ name: m.name, test: matcherTest(m) }))
  const selected = (e: Entry, name: string): boolean => named.has(name) || tests.some(t => t.name === name && t.test(e.labels.get(name)!))
  return e => {
    for (const name of [...e.labels.keys()]) {
      const hit = selected(e, name)
      // keep never drops the error labels, so a later `| __error__=""` still sees them.
      if (kind === 'drop' ? hit : !hit && name !== ERROR_LABEL && name !== ERROR_DETAILS_LABEL) e.labels.delete(name)
    }
    return true
  }
}

function stageStep (s: Stage): Step {
  switch (s.kind) {
    case 'line': { const f = compileLineFilter(s.filter); return e => f.test(e.line) }
    case 'json': { const p = jsonParser(s.params); return e => { p(e); return true } }
    case 'logfmt': { const p = logfmtParser(s.strict, s.keepEmpty, s.params); return e => { p(e); return true } }
    case 'regexp': { const p = regexpParser(s.pattern); return e => { p(e); return true } }
    case 'pattern': { const p = patternParser(s.pattern); return e => { p(e); return true } }
    case 'unpack': return e => { unpackParser(e); return true }
    case 'decolorize': return e => { e.line = e.line.replace(ANSI, ''); return true }
    case 'labelFilter': return compileLabelFilter(s.filter)
    case 'lineFormat': return lineFormat(s.template, s.at)
    case 'labelFormat': return labelFormat(s.ops)
    case 'drop': case 'keep': return dropKeep(s.kind, s.names, s.matchers)
  }
}

const stageAt = (s: Stage, fallback: number): number => 'at' in s ? s.at : s.kind === 'line' ? s.filter.at : fallback

// Labels whose values do not come from the record's bytes: the engine's error labels and the
// Kafka topic.
const MADE_UP_LABELS = new Set([ERROR_LABEL, ERROR_DETAILS_LABEL, 'topic'])

/**
 * What a record's bytes must contain for a string label filter to pass: the value of `=` (or a
 * literal alternation of `=~`) is a stream label's or a parser's text, which (json, logfmt,
 * regexp, pattern) is part of the record as written. `and` needs both sides, `or` either.
 */
function labelFilterNeedles (f: LabelFilterExpr): Needle[][] {
  switch (f.kind) {
    case 'string': {
      if (MADE_UP_LABELS.has(f.matcher.name)) return []
      const n = compileMatcher(f.matcher).needles
      return n === null ? [] : [n]
    }
    case 'and': return [...labelFilterNeedles(f.left), ...labelFilterNeedles(f.right)]
    case 'or': {
      const [l, r] = [labelFilterNeedles(f.left), labelFilterNeedles(f.right)]
      return l.length > 0 && r.length > 0 ? [[...l[0], ...r[0]]] : []
    }
    default: return []
  }
}

/** Compiles a parsed query; problems (bad regex, template, pattern) carry their position. */
export function compileQuery (q: LogQuery, at: number): { query?: CompiledQuery, problems: LogqlProblem[] } {
  const problems: LogqlProblem[] = []
  const attempt = <T>(where: number, fn: () => T): T | undefined => {
    try {
      return fn()
    } catch (err) {
      problems.push({ at: err instanceof CompileError ? err.at : where, message: (err as Error).message })
      return undefined
    }
  }
  const matchers = q.selector.map(m => ({ name: m.name, test: attempt(m.at, () => matcherTest(m)) }))
  if (!matchers.some(m => m.test !== undefined && !m.test(''))) {
    problems.push({ at, message: 'the stream selector needs at least one matcher that does not match the empty string, e.g. {namespace="shop"}' })
  }
  const steps = q.stages.map(s => attempt(stageAt(s, at), () => stageStep(s)))
  if (problems.length > 0) return { problems }

  const needles: Needle[][] = []
  // `topic` comes from the Kafka record, not its bytes: nothing to look for.
  for (const m of q.selector) { const n = m.name === 'topic' ? null : compileMatcher(m).needles; if (n !== null) needles.push(n) }
  let labelsAsWritten = true
  for (const s of q.stages) {
    // After a stage that rewrites the line, the line is no longer the record's text; after
    // label_format, a label's value may be made up rather than taken from it.
    if (s.kind === 'lineFormat' || s.kind === 'unpack' || s.kind === 'decolorize') break
    if (s.kind === 'labelFormat') labelsAsWritten = false
    if (s.kind === 'line') { const n = compileLineFilter(s.filter).needles; if (n !== null) needles.push(n) }
    if (s.kind === 'labelFilter' && labelsAsWritten) needles.push(...labelFilterNeedles(s.filter))
  }
  const tests = matchers as { name: string, test: (v: string) => boolean }[]
  const lineFilters = q.stages.every(s => s.kind === 'line') ? q.stages.map(s => compileLineFilter((s as { filter: LineFilter }).filter).test) : undefined
  return {
    query: {
      matches: stream => tests.every(m => m.test(Object.hasOwn(stream, m.name) ? stream[m.name] : '')),
      steps: steps as Step[],
      needles,
      lineFilters
    },
    problems
  }
}
