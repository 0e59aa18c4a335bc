/**
 * The LogQL subset Tidewatch evaluates, as a tree of plain data: what parse.ts builds from
 * @grafana/lezer-logql's syntax tree, and what the log pipeline (pipeline.ts) and the evaluator
 * (../evaluate.ts) run. Offsets (`at`) are character positions in the expression, for errors.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~'
export interface LabelMatcher { name: string, op: MatchOp, value: string, at: number }

export type LineFilterOp = '|=' | '!=' | '|~' | '!~'
/** `|= "a" or "b"`: any of `values` (for != and !~: none of them). */
export interface LineFilter { op: LineFilterOp, values: string[], at: number }

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<='

export type LabelFilterExpr =
  | { kind: 'and' | 'or', left: LabelFilterExpr, right: LabelFilterExpr }
  | { kind: 'string', matcher: LabelMatcher }
  /** Number, duration (value in seconds) and bytes filters convert the label before comparing. */
  | { kind: 'number' | 'duration' | 'bytes', name: string, op: CompareOp, value: number }

export interface Extraction { label: string, path: string }

export type Stage =
  | { kind: 'line', filter: LineFilter }
  | { kind: 'json', params: Extraction[] }
  | { kind: 'logfmt', strict: boolean, keepEmpty: boolean, params: Extraction[] }
  | { kind: 'regexp', pattern: string, at: number }
  | { kind: 'pattern', pattern: string, at: number }
  | { kind: 'unpack' }
  | { kind: 'decolorize' }
  | { kind: 'labelFilter', filter: LabelFilterExpr }
  | { kind: 'lineFormat', template: string, at: number }
  /** `dst=src` renames; `dst="{{…}}"` sets from a template. */
  | { kind: 'labelFormat', ops: { dst: string, src?: string, template?: string, at: number }[] }
  | { kind: 'drop' | 'keep', names: string[], matchers: LabelMatcher[] }

export interface LogQuery { selector: LabelMatcher[], stages: Stage[] }

export type RangeFn =
  | 'count_over_time' | 'rate' | 'bytes_over_time' | 'bytes_rate' | 'absent_over_time'
  | 'sum_over_time' | 'avg_over_time' | 'min_over_time' | 'max_over_time' | 'first_over_time'
  | 'last_over_time' | 'quantile_over_time' | 'stddev_over_time' | 'stdvar_over_time'

export type Conversion = 'float' | 'bytes' | 'duration'

export interface Grouping { without: boolean, labels: string[] }

/** `fn(<query> [range] offset o)`: one per range in an expression, numbered in order (`index`). */
export interface RangeExpr {
  kind: 'range'
  index: number
  fn: RangeFn
  /** quantile_over_time's φ. */
  param?: number
  query: LogQuery
  rangeMs: number
  offsetMs: number
  unwrap?: { label: string, conversion: Conversion, filters: LabelFilterExpr[] }
  grouping?: Grouping
  at: number
}

export type VectorOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'topk' | 'bottomk' | 'stddev' | 'stdvar'
export interface VectorAggExpr { kind: 'vagg', op: VectorOp, param?: number, grouping?: Grouping, inner: MetricExpr, at: number }

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '>' | '>=' | '<' | '<='
export interface BinaryExpr {
  kind: 'binary'
  op: BinaryOp
  bool: boolean
  /** on(…) / ignoring(…); absent: match on every label. */
  matching?: { on: boolean, labels: string[] }
  left: MetricExpr
  right: MetricExpr
  at: number
}

export interface NumberExpr { kind: 'number', value: number, at: number }

export type MetricExpr = RangeExpr | VectorAggExpr | BinaryExpr | NumberExpr

export const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '>=', '<', '<='])

/** Every range of an expression, in index order. */
export function rangesOf (e: MetricExpr): RangeExpr[] {
  switch (e.kind) {
    case 'range': return [e]
    case 'vagg': return rangesOf(e.inner)
    case 'binary': return [...rangesOf(e.left), ...rangesOf(e.right)]
    case 'number': return []
  }
}
