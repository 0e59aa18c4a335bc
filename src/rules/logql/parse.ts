/**
 * LogQL text → the engine's tree (ast.ts), with Grafana's own grammar (@grafana/lezer-logql)
 * doing the parsing. The walk checks what Loki's parser checks (unwrap only where it belongs,
 * grouping only on the range functions that allow it, comparisons of scalars need `bool`) and
 * refuses what the engine does not run, every problem with its position in the expression.
 *
 * The grammar leaves binary operators without precedence (it is written for an editor), so a
 * chain of them is flattened and rebuilt with Loki's precedence: `or` < `and unless` <
 * comparisons < `+ -` < `* / %` < `^` (right-associative).
 */
import { parser } from '@grafana/lezer-logql'
import type { SyntaxNode } from '@lezer/common'
import { COMPARISONS, type BinaryExpr, type BinaryOp, type Grouping, type LabelFilterExpr, type LogQuery, type MetricExpr, type RangeExpr, type RangeFn, type VectorOp } from './ast.js'
import { labelFilter, logQuery } from './parse-pipeline.js'
import { child, children, flatList, syntaxError, Walk, type LogqlProblem } from './tree.js'
import { parseDurationSeconds, parseFloat64 } from './units.js'

export type { LogqlProblem }

export type ParsedLogql =
  | { kind: 'metric', expr: MetricExpr }
  | { kind: 'log', query: LogQuery }

const RANGE_FNS: Record<string, RangeFn> = {
  CountOverTime: 'count_over_time', Rate: 'rate', BytesOverTime: 'bytes_over_time', BytesRate: 'bytes_rate',
  AbsentOverTime: 'absent_over_time', SumOverTime: 'sum_over_time', AvgOverTime: 'avg_over_time',
  MinOverTime: 'min_over_time', MaxOverTime: 'max_over_time', FirstOverTime: 'first_over_time',
  LastOverTime: 'last_over_time', QuantileOverTime: 'quantile_over_time', StddevOverTime: 'stddev_over_time',
  StdvarOverTime: 'stdvar_over_time'
}
/** Functions over log lines; the others need `| unwrap` (rate and absent_over_time take both). */
const LOG_RANGE_FNS = new Set<RangeFn>(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'absent_over_time'])
const UNWRAP_FNS = new Set<RangeFn>(['rate', 'absent_over_time', 'sum_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'first_over_time', 'last_over_time', 'quantile_over_time', 'stddev_over_time', 'stdvar_over_time'])
/** Range functions without by/without, as in Loki. */
const UNGROUPED_FNS = new Set<RangeFn>(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'absent_over_time', 'sum_over_time'])
const VECTOR_OPS: Record<string, VectorOp | 'sort'> = {
  Sum: 'sum', Avg: 'avg', Min: 'min', Max: 'max', Count: 'count', Topk: 'topk', Bottomk: 'bottomk',
  Stddev: 'stddev', Stdvar: 'stdvar', Sort: 'sort', Sort_Desc: 'sort'
}
const BINARY_OPS: Record<string, BinaryOp> = {
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Eql: '==', Neq: '!=', Gtr: '>', Gte: '>=', Lss: '<', Lte: '<='
}
const PRECEDENCE: Record<string, number> = {
  Or: 1, And: 2, Unless: 2, Eql: 3, Neq: 3, Gtr: 3, Gte: 3, Lss: 3, Lte: 3, Add: 4, Sub: 4, Mul: 5, Div: 5, Mod: 5, Pow: 6
}

/** Parses one expression; `problems` lists everything wrong with it (empty when `result` is set). */
export function parseLogql (original: string): { result?: ParsedLogql, problems: LogqlProblem[] } {
  // The grammar refuses `| unwrap x [5m] offset 1h` after a pipeline, which Loki accepts: such an
  // offset is blanked out (positions kept) and given to the range it follows.
  let src = original
  const offsets = new Map<number, string>()
  let top = parser.parse(src).topNode
  let syntax = syntaxError(src, top)
  for (let m; syntax !== null && (m = /^offset\s+([0-9][0-9a-zµμ.]*)/.exec(src.slice(syntax.at))) !== null && /\]\s*$/.test(src.slice(0, syntax.at));) {
    offsets.set(src.slice(0, syntax.at).lastIndexOf(']') + 1, m[1])
    src = src.slice(0, syntax.at) + ' '.repeat(m[0].length) + src.slice(syntax.at + m[0].length)
    top = parser.parse(src).topNode
    syntax = syntaxError(src, top)
  }
  if (syntax !== null) return { problems: [syntax] }
  const w = new Walk(src, offsets)
  const expr = child(top, 'Expr')
  if (expr === null) return { problems: [{ at: 0, message: 'empty expression' }] }
  const result = w.attempt((): ParsedLogql => {
    const log = child(expr, 'LogExpr')
    if (log !== null) return { kind: 'log', query: logQuery(w, child(log, 'Selector')!, child(log, 'PipelineExpr')) }
    return { kind: 'metric', expr: metric(w, child(expr, 'MetricExpr')!, { next: 0 }) }
  })
  return w.problems.length > 0 || result === undefined ? { problems: w.problems } : { result, problems: [] }
}

interface Counter { next: number }

/** Stands for a part already refused, so the walk can go on; never evaluated (the result is discarded). */
function placeholder (n: SyntaxNode): MetricExpr {
  return { kind: 'number', value: NaN, at: n.from }
}

const isPlaceholder = (e: MetricExpr): boolean => e.kind === 'number' && Number.isNaN(e.value)

function metric (w: Walk, n: SyntaxNode, ranges: Counter): MetricExpr {
  const inner = n.firstChild
  if (inner === null) return w.refuse(n, 'empty expression')
  switch (inner.name) {
    case 'MetricExpr': return metric(w, inner, ranges) // parenthesised
    case 'RangeAggregationExpr': return range(w, inner, ranges)
    case 'VectorAggregationExpr': return vectorAgg(w, inner, ranges)
    case 'BinOpExpr': return binary(w, inner, ranges)
    case 'LiteralExpr': return { kind: 'number', value: literal(w, inner), at: inner.from }
    case 'LabelReplaceExpr':
      // The argument is checked too, so one pass lists every problem.
      w.note(inner, 'label_replace() is not supported')
      return metric(w, child(inner, 'MetricExpr')!, ranges)
    case 'VectorExpr': w.note(inner, 'vector() is not supported'); return placeholder(inner)
    default: return w.unsupported(inner, `'${w.text(inner).split('(')[0]}'`)
  }
}

function literal (w: Walk, n: SyntaxNode): number {
  const value = parseFloat64(w.text(n).replace(/\s+/g, ''))
  return value ?? w.refuse(n, `'${w.text(n)}' is not a number`)
}

function duration (w: Walk, n: SyntaxNode | null, what: string): number {
  const d = n === null ? null : child(n, 'Duration')
  const seconds = d === null ? null : parseDurationSeconds(w.text(d), true)
  if (seconds === null || seconds < 0) return w.refuse(n ?? 0, `${what} must be a duration such as 5m`)
  return Math.round(seconds * 1000)
}

function grouping (w: Walk, n: SyntaxNode | null): Grouping | undefined {
  if (n === null) return undefined
  const labels = child(n, 'Labels')
  return { without: child(n, 'Without') !== null, labels: labels === null ? [] : flatList(labels, 'Identifier').map(l => w.text(l)) }
}

function range (w: Walk, n: SyntaxNode, ranges: Counter): RangeExpr {
  const opNode = child(n, 'RangeOp')!.firstChild!
  const known = RANGE_FNS[opNode.name]
  if (known === undefined) w.note(opNode, `${w.text(opNode)}() is not supported`)
  const fn = known ?? 'sum_over_time'
  const logRange = child(n, 'LogRangeExpr')!
  const unwrapNode = child(logRange, 'UnwrapExpr')
  const rangeMs = duration(w, child(logRange, 'Range'), 'the range')
  if (rangeMs === 0) w.refuse(child(logRange, 'Range')!, 'the range must be longer than 0')
  const offset = child(logRange, 'OffsetExpr')
  const rangeNode = child(logRange, 'Range')!
  const movedOffset = w.offsets.get(rangeNode.to)
  const movedMs = movedOffset === undefined ? null : parseDurationSeconds(movedOffset, true)
  if (movedOffset !== undefined && movedMs === null) w.refuse(rangeNode.to, `the offset must be a duration such as 5m, not ${movedOffset}`)
  const group = grouping(w, child(n, 'Grouping'))
  if (unwrapNode === null && !LOG_RANGE_FNS.has(fn)) w.refuse(opNode, `${fn} needs | unwrap <label> before the range`)
  if (unwrapNode !== null && !UNWRAP_FNS.has(fn)) w.refuse(unwrapNode, `${fn} counts log lines and cannot take | unwrap`)
  if (group !== undefined && UNGROUPED_FNS.has(fn)) w.refuse(child(n, 'Grouping')!, `${fn} takes no by/without; group with sum by (…) (${fn}(…)) instead`)
  const param = child(n, 'Number')
  if (fn === 'quantile_over_time' && param === null) w.refuse(opNode, 'quantile_over_time needs φ: quantile_over_time(0.99, …)')
  return {
    kind: 'range',
    index: ranges.next++,
    fn,
    param: param === null ? undefined : literal(w, param),
    query: logQuery(w, child(logRange, 'Selector')!, child(logRange, 'PipelineExpr')),
    rangeMs,
    offsetMs: offset !== null ? duration(w, offset, 'the offset') : movedMs !== null ? Math.round(movedMs * 1000) : 0,
    unwrap: unwrapNode === null ? undefined : unwrap(w, unwrapNode),
    grouping: group,
    at: n.from
  }
}

function unwrap (w: Walk, n: SyntaxNode): NonNullable<RangeExpr['unwrap']> {
  const filters: LabelFilterExpr[] = []
  let base = n
  // `| unwrap x | f1 | f2` nests as UnwrapExpr { UnwrapExpr { … } Pipe LabelFilter }.
  while (child(base, 'UnwrapExpr') !== null) {
    filters.unshift(labelFilter(w, child(base, 'LabelFilter')!))
    base = child(base, 'UnwrapExpr')!
  }
  const conv = child(base, 'ConvOp')?.firstChild?.name
  const conversion = conv === undefined ? 'float' : conv === 'BytesConv' ? 'bytes' : 'duration'
  return { label: w.text(child(base, 'Identifier')!), conversion, filters }
}

function vectorAgg (w: Walk, n: SyntaxNode, ranges: Counter): MetricExpr {
  const opNode = child(n, 'VectorOp')!.firstChild!
  const known = VECTOR_OPS[opNode.name]
  if (known === undefined) w.note(opNode, `${w.text(opNode)}() is not supported`)
  const op = known ?? 'sum'
  const inner = metric(w, child(n, 'MetricExpr')!, ranges)
  // sort() orders the result of an instant query; for alerting it changes nothing.
  if (op === 'sort') return inner
  const param = child(n, 'Number')
  if ((op === 'topk' || op === 'bottomk') && (param === null || !Number.isInteger(literal(w, param)) || literal(w, param) < 1)) {
    w.refuse(param ?? opNode, `${op} needs a whole number k ≥ 1: ${op}(5, …)`)
  }
  if (inner.kind === 'number') w.refuse(n, `${op}() needs a vector, not a number`)
  return { kind: 'vagg', op, param: param === null ? undefined : literal(w, param), grouping: grouping(w, child(n, 'Grouping')), inner, at: n.from }
}

type ChainItem = { operand: SyntaxNode } | { op: SyntaxNode, modifier: SyntaxNode | null }

/** A BinOpExpr and the unparenthesised BinOpExprs under it, as operands and operators in source order. */
function flatten (n: SyntaxNode, out: ChainItem[]): void {
  const parts = children(n)
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]
    if (p.name === 'Expr') {
      const nested = p.firstChild?.firstChild
      if (nested?.name === 'BinOpExpr') flatten(nested, out)
      else out.push({ operand: p })
    } else if (PRECEDENCE[p.name] !== undefined) {
      out.push({ op: p, modifier: parts[i + 1]?.name === 'BinOpModifier' ? parts[i + 1] : null })
    }
  }
}

function binary (w: Walk, n: SyntaxNode, ranges: Counter): MetricExpr {
  const chain: ChainItem[] = []
  flatten(n, chain)
  let pos = 0
  const operand = (): MetricExpr => {
    const item = chain[pos++] as { operand: SyntaxNode }
    const m = child(item.operand, 'MetricExpr')
    if (m === null) { w.note(item.operand, 'a log query inside a metric expression is not supported'); return placeholder(item.operand) }
    // Each side on its own, so problems on both sides are reported.
    return w.attempt(() => metric(w, m, ranges)) ?? placeholder(item.operand)
  }
  // Precedence climbing over the flattened chain.
  const climb = (minPrec: number): MetricExpr => {
    let left = operand()
    while (pos < chain.length) {
      const item = chain[pos] as { op: SyntaxNode, modifier: SyntaxNode | null }
      const prec = PRECEDENCE[item.op.name]
      if (prec < minPrec) break
      pos++
      const right = climb(item.op.name === 'Pow' ? prec : prec + 1)
      left = combine(w, item.op, item.modifier, left, right)
    }
    return left
  }
  return climb(0)
}

function combine (w: Walk, opNode: SyntaxNode, modifier: SyntaxNode | null, left: MetricExpr, right: MetricExpr): BinaryExpr {
  const op = BINARY_OPS[opNode.name]
  if (op === undefined) return w.unsupported(opNode, `'${w.text(opNode)}' between vectors (set operations)`)
  let bool = false
  let matching: BinaryExpr['matching']
  for (const m of modifier === null ? [] : children(modifier)) {
    if (m.name === 'Bool') bool = true
    else if (m.name === 'GroupLeft' || m.name === 'GroupRight') w.note(m, `${w.text(m)} is not supported`)
    else if (m.name === 'OnOrIgnoringModifier') {
      const list = child(child(m, 'GroupingLabels')!, 'GroupingLabelList')
      matching = { on: child(m, 'On') !== null, labels: list === null ? [] : flatList(list, 'GroupingLabel').map(l => w.text(l)) }
    }
  }
  if (isPlaceholder(left) || isPlaceholder(right)) return { kind: 'binary', op, bool, matching, left, right, at: opNode.from }
  const scalars = left.kind === 'number' && right.kind === 'number'
  if (COMPARISONS.has(op) && scalars && !bool) w.refuse(opNode, `comparing two numbers needs bool: ${w.text(opNode)} bool`)
  if (bool && !COMPARISONS.has(op)) w.refuse(opNode, 'bool only goes with a comparison')
  if (matching !== undefined && (left.kind === 'number' || right.kind === 'number')) w.refuse(opNode, 'on()/ignoring() only go between two vectors')
  return { kind: 'binary', op, bool, matching, left, right, at: opNode.from }
}
