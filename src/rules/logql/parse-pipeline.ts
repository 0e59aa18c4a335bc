/**
 * The log half of LogQL from the syntax tree: stream selectors, line filters, parsers, label
 * filters, formatters and drop/keep. Anything the engine cannot run is refused here, where the
 * node's position is known.
 */
import type { SyntaxNode } from '@lezer/common'
import type { CompareOp, Extraction, LabelFilterExpr, LabelMatcher, LineFilter, LogQuery, MatchOp, Stage } from './ast.js'
import { child, children, flatList, type Walk } from './tree.js'
import { parseBytes, parseDurationSeconds, parseFloat64 } from './units.js'

const MATCH_OPS: Record<string, MatchOp> = { Eq: '=', Neq: '!=', Re: '=~', Nre: '!~' }
const COMPARE_OPS: Record<string, CompareOp> = { Eq: '==', Eql: '==', Neq: '!=', Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=' }

export function matcher (w: Walk, n: SyntaxNode): LabelMatcher {
  const name = child(n, 'Identifier')
  const value = child(n, 'String')
  const op = children(n).find(c => MATCH_OPS[c.name] !== undefined)
  if (name === null || value === null || op === undefined) return w.refuse(n, `cannot read the matcher '${w.text(n)}'`)
  return { name: w.text(name), op: MATCH_OPS[op.name], value: w.string(value), at: n.from }
}

export function selector (w: Walk, n: SyntaxNode): LabelMatcher[] {
  const list = child(n, 'Matchers')
  const out = list === null ? [] : flatList(list, 'Matcher').map(m => matcher(w, m))
  return out
}

export function logQuery (w: Walk, sel: SyntaxNode, pipeline: SyntaxNode | null): LogQuery {
  const stages: Stage[] = []
  for (const stage of pipeline === null ? [] : flatList(pipeline, 'PipelineStage')) {
    // Each stage on its own, so every unsupported one in a pipeline is reported.
    const parsed = w.attempt(() => pipelineStage(w, stage))
    if (parsed !== undefined) stages.push(...parsed)
  }
  return { selector: selector(w, sel), stages }
}

function pipelineStage (w: Walk, n: SyntaxNode): Stage[] {
  const body = children(n).find(c => c.name !== 'Pipe')
  if (body === undefined) return w.refuse(n, 'empty pipeline stage')
  switch (body.name) {
    case 'LineFilters': return flatList(body, 'LineFilter').map(f => ({ kind: 'line', filter: lineFilter(w, f) }))
    case 'LabelParser': return [labelParser(w, body)]
    case 'LogfmtParser': return [{ kind: 'logfmt', ...logfmtFlags(w, body), params: [] }]
    case 'LogfmtExpressionParser': return [{ kind: 'logfmt', ...logfmtFlags(w, body), params: extractions(w, body) }]
    case 'JsonExpressionParser': return [{ kind: 'json', params: extractions(w, body) }]
    case 'LabelFilter': return [{ kind: 'labelFilter', filter: labelFilter(w, body) }]
    case 'LineFormatExpr': return [{ kind: 'lineFormat', template: w.string(child(body, 'String')!), at: body.from }]
    case 'LabelFormatExpr': return [labelFormat(w, body)]
    case 'DecolorizeExpr': return [{ kind: 'decolorize' }]
    case 'DropLabelsExpr': return [dropKeep(w, body, 'drop', 'DropLabels', 'DropLabel')]
    case 'KeepLabelsExpr': return [dropKeep(w, body, 'keep', 'KeepLabels', 'KeepLabel')]
    default: return w.unsupported(body, `the pipeline stage '${w.text(body).split(/\s/)[0]}'`)
  }
}

function lineFilter (w: Walk, n: SyntaxNode): LineFilter {
  const filter = child(n, 'Filter')?.firstChild
  const op = { PipeExact: '|=', Neq: '!=', PipeMatch: '|~', Nre: '!~' }[filter?.name ?? ''] as LineFilter['op'] | undefined
  if (filter?.name === 'PipePattern' || filter?.name === 'Npa') w.unsupported(n, `the pattern line filter ${w.text(filter)}`)
  if (child(n, 'FilterOp') !== null) w.unsupported(child(n, 'FilterOp')!, 'ip() in a line filter')
  if (op === undefined) return w.refuse(n, `cannot read the line filter '${w.text(n)}'`)
  const values = [child(n, 'String'), ...children(n).filter(c => c.name === 'OrFilter').map(c => child(c, 'String'))]
  return { op, values: values.map(v => w.string(v!)), at: n.from }
}

function labelParser (w: Walk, n: SyntaxNode): Stage {
  const kind = n.firstChild!.name
  const arg = child(n, 'String')
  switch (kind) {
    case 'Json': return { kind: 'json', params: [] }
    case 'Logfmt': return { kind: 'logfmt', strict: false, keepEmpty: false, params: [] }
    case 'Unpack': return { kind: 'unpack' }
    case 'Regexp': return { kind: 'regexp', pattern: w.string(arg!), at: arg!.from }
    case 'Pattern': return { kind: 'pattern', pattern: w.string(arg!), at: arg!.from }
    default: return w.unsupported(n, `the parser '${w.text(n)}'`)
  }
}

function logfmtFlags (w: Walk, n: SyntaxNode): { strict: boolean, keepEmpty: boolean } {
  const flags = child(n, 'LogfmtParserFlags')
  const names = flags === null ? [] : flatList(flags, 'ParserFlag').map(f => w.text(f))
  for (const f of names) if (f !== '--strict' && f !== '--keep-empty') w.refuse(flags!, `unknown logfmt flag ${f}`)
  return { strict: names.includes('--strict'), keepEmpty: names.includes('--keep-empty') }
}

function extractions (w: Walk, n: SyntaxNode): Extraction[] {
  const list = child(n, 'LabelExtractionExpressionList')
  return (list === null ? [] : flatList(list, 'LabelExtractionExpression')).map(e => {
    const label = w.text(child(e, 'Identifier')!)
    const path = child(e, 'String')
    return { label, path: path === null ? label : w.string(path) }
  })
}

export function labelFilter (w: Walk, n: SyntaxNode): LabelFilterExpr {
  const parts = children(n)
  const subs = parts.filter(c => c.name === 'LabelFilter')
  if (subs.length === 2) {
    const op: 'and' | 'or' = parts.find(c => c.name === 'Or') !== undefined ? 'or' : 'and'
    return { kind: op, left: labelFilter(w, subs[0]), right: labelFilter(w, subs[1]) }
  }
  if (subs.length === 1) return labelFilter(w, subs[0]) // parenthesised
  const leaf = parts[0]
  switch (leaf?.name) {
    case 'Matcher': return { kind: 'string', matcher: matcher(w, leaf) }
    case 'NumberFilter': return comparison(w, leaf, 'number')
    case 'UnitFilter': return comparison(w, leaf.firstChild!, leaf.firstChild!.name === 'DurationFilter' ? 'duration' : 'bytes')
    case 'IpLabelFilter': return w.unsupported(leaf, 'ip() in a label filter')
    default: return w.refuse(n, `cannot read the label filter '${w.text(n)}'`)
  }
}

function comparison (w: Walk, n: SyntaxNode, kind: 'number' | 'duration' | 'bytes'): LabelFilterExpr {
  const name = child(n, 'Identifier')
  const op = children(n).find(c => COMPARE_OPS[c.name] !== undefined)
  const literal = kind === 'number' ? child(n, 'LiteralExpr') ?? child(n, 'Number') : child(n, kind === 'duration' ? 'Duration' : 'Bytes')
  if (name === null || op === undefined || literal === null) return w.refuse(n, `cannot read the label filter '${w.text(n)}'`)
  const text = w.text(literal).replace(/\s+/g, '')
  const value = kind === 'number' ? parseFloat64(text) : kind === 'duration' ? parseDurationSeconds(text, true) : parseBytes(text)
  if (value === null) return w.refuse(literal, `'${text}' is not a ${kind}`)
  return { kind, name: w.text(name), op: COMPARE_OPS[op.name], value }
}

function labelFormat (w: Walk, n: SyntaxNode): Stage {
  const list = child(n, 'LabelsFormat')
  const seen = new Set<string>()
  const ops = (list === null ? [] : flatList(list, 'LabelFormatMatcher')).map(m => {
    const [dst, src] = children(m).filter(c => c.name === 'Identifier')
    const tmpl = child(m, 'String')
    const name = w.text(dst)
    // As in Loki: one label per expression (label_format foo=bar, foo="x" is refused).
    if (seen.has(name)) w.refuse(m, `label_format sets '${name}' twice; use two label_format stages`)
    seen.add(name)
    return tmpl !== null ? { dst: name, template: w.string(tmpl), at: tmpl.from } : { dst: name, src: w.text(src), at: m.from }
  })
  return { kind: 'labelFormat', ops }
}

function dropKeep (w: Walk, n: SyntaxNode, kind: 'drop' | 'keep', listName: string, itemName: string): Stage {
  const list = child(n, listName)
  const names: string[] = []
  const matchers: LabelMatcher[] = []
  for (const item of list === null ? [] : flatList(list, itemName)) {
    const m = child(item, 'Matcher')
    if (m !== null) matchers.push(matcher(w, m))
    else names.push(w.text(child(item, 'Identifier')!))
  }
  return { kind, names, matchers }
}
