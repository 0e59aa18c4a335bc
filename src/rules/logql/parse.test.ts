import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseLogql } from './parse.js'
import type { BinaryExpr, MetricExpr } from './ast.js'

function metric (src: string): MetricExpr {
  const r = parseLogql(src)
  assert.deepEqual(r.problems, [], src)
  assert.equal(r.result?.kind, 'metric')
  return (r.result as { expr: MetricExpr }).expr
}

/** The tree as text, fully parenthesised, to check precedence. */
function shape (e: MetricExpr): string {
  if (e.kind === 'number') return String(e.value)
  if (e.kind === 'range') return `${e.fn}#${e.index}`
  if (e.kind === 'vagg') return `${e.op}(${shape(e.inner)})`
  const b = e as BinaryExpr
  return `(${shape(b.left)} ${b.op}${b.bool ? ' bool' : ''} ${shape(b.right)})`
}

test('binary operators get Loki\'s precedence and associativity, which the editor grammar leaves out', () => {
  assert.equal(shape(metric('1 + 2 * 3')), '(1 + (2 * 3))')
  assert.equal(shape(metric('1 * 2 + 3')), '((1 * 2) + 3)')
  assert.equal(shape(metric('1 - 2 - 3')), '((1 - 2) - 3)')
  assert.equal(shape(metric('2 ^ 3 ^ 2')), '(2 ^ (3 ^ 2))')
  assert.equal(shape(metric('(1 + 2) * 3')), '((1 + 2) * 3)')
  assert.equal(shape(metric('1 + 2 > bool 2 * 1')), '((1 + 2) > bool (2 * 1))')
  // Loki's alerting example: a ratio compared with a threshold.
  assert.equal(shape(metric('sum(rate({app="foo"} |= "error" [5m])) by (job) / sum(rate({app="foo"}[5m])) by (job) > 0.05')),
    '((sum(rate#0) / sum(rate#1)) > 0.05)')
})

test('range aggregations: functions, range, offset, unwrap with conversions and post-filters, grouping', () => {
  const e = metric('quantile_over_time(0.99, {app="x"} | logfmt | unwrap duration(latency) | __error__="" [5m] offset 1h) by (route)')
  assert.equal(e.kind, 'range')
  if (e.kind !== 'range') return
  assert.equal(e.fn, 'quantile_over_time')
  assert.equal(e.param, 0.99)
  assert.equal(e.rangeMs, 300_000)
  assert.equal(e.offsetMs, 3_600_000)
  assert.deepEqual(e.unwrap?.label, 'latency')
  assert.equal(e.unwrap?.conversion, 'duration')
  assert.equal(e.unwrap?.filters.length, 1)
  assert.deepEqual(e.grouping, { without: false, labels: ['route'] })
  // The range may also follow the selector directly (Loki accepts both places).
  const r = metric('count_over_time({app="x"}[1m] | json)')
  assert.equal(r.kind === 'range' && r.query.stages[0].kind, 'json')
})

test('log pipelines: line filters with or, parsers with parameters, label filters with and/or/parentheses', () => {
  const r = parseLogql('{container="query-frontend",namespace="loki-dev"} |= "metrics.go" or `x` != "y" |~ "a.b" | logfmt --strict host, fwd_ip="fwd" | json first="servers[0]" | (duration >= 20ms or size == 20KB) and method!~"2.." | label_format dst=src | drop a, b="c" | keep x')
  assert.deepEqual(r.problems, [])
  assert.equal(r.result?.kind, 'log')
  const stages = (r.result as { query: { stages: { kind: string }[] } }).query.stages
  assert.deepEqual(stages.map(s => s.kind), ['line', 'line', 'line', 'logfmt', 'json', 'labelFilter', 'labelFormat', 'drop', 'keep'])
  assert.deepEqual((stages[0] as any).filter.values, ['metrics.go', 'x'])
  assert.deepEqual((stages[3] as any), { kind: 'logfmt', strict: true, keepEmpty: false, params: [{ label: 'host', path: 'host' }, { label: 'fwd_ip', path: 'fwd' }] })
  const f = (stages[5] as any).filter
  assert.equal(f.kind, 'and')
  assert.equal(f.left.kind, 'or')
  assert.deepEqual(f.left.left, { kind: 'duration', name: 'duration', op: '>=', value: 0.02 })
  assert.deepEqual(f.left.right, { kind: 'bytes', name: 'size', op: '==', value: 20_000 })
})

test('what the engine does not run is refused with its position, every problem at once', () => {
  const src = 'label_replace(rate_counter({a="b"} |> "<_> x" | unwrap x [1m]), "x", "$1", "y", "(.*)") + vector(1) / on(x) group_left rate({a="b"} |= "y" [1m])'
  const r = parseLogql(src)
  assert.deepEqual(r.problems.map(p => [src.slice(p.at, p.at + 12), p.message]), [
    ['label_replace', 'label_replace() is not supported'],
    ['rate_counter', 'rate_counter() is not supported'],
    ['|> "<_> x" |', 'the pattern line filter |> is not supported'],
    ['vector(1) / ', 'vector() is not supported'],
    ['group_left r', 'group_left is not supported']
  ].map(([s, m]) => [s.slice(0, 12), m]))
  assert.match(parseLogql('sum(rate({a="b"}[1m])) and sum(rate({a="b"}[1m]))').problems[0].message, /'and' between vectors \(set operations\) is not supported/)
  assert.match(parseLogql('1 > 2').problems[0].message, /comparing two numbers needs bool/)
  assert.match(parseLogql('sum_over_time({a="b"}[1m])').problems[0].message, /sum_over_time needs \| unwrap/)
  assert.match(parseLogql('count_over_time({a="b"} | unwrap x [1m])').problems[0].message, /cannot take \| unwrap/)
  assert.match(parseLogql('rate({a="b"}[1m]) by (x)').problems[0].message, /rate takes no by\/without/)
  assert.match(parseLogql('topk(0, rate({a="b"}[1m]))').problems[0].message, /whole number k/)
  const syntax = parseLogql('sum(rate({a="b"}[1m])')
  assert.match(syntax.problems[0].message, /syntax error/)
})
