// Metric queries at one event time, as Loki evaluates them (docs/sources/query/metric_queries).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { vectorAt, type Line } from './test-support.js'

const S = 1000
const a = { namespace: 'shop', pod: 'a', app: 'web' }
const b = { namespace: 'shop', pod: 'b', app: 'web' }
// Series carry every stream label, the record's topic too.
const A = { ...a, topic: 'logs' }
const B = { ...b, topic: 'logs' }
// Six lines from pod a at 1s..6s, two from pod b at 2s and 4s; latency and size in logfmt.
const lines: Line[] = [
  ...[1, 2, 3, 4, 5, 6].map(i => ({ at: i * S, labels: a, line: `level=${i === 3 ? 'error' : 'info'} latency=${i * 10}ms size=${i}KB n=${i}` })),
  { at: 2 * S, labels: b, line: 'level=error latency=1s size=1KB n=100' },
  { at: 4 * S, labels: b, line: 'level=info latency=2s size=2KB n=200' }
]

test('log range functions: count_over_time, rate, bytes_over_time, bytes_rate over (T − range, T]', () => {
  assert.deepEqual(vectorAt('count_over_time({namespace="shop"}[5s])', lines, 6 * S), [[A, 5], [B, 2]], 'the sample at 1s is on the open lower bound')
  assert.deepEqual(vectorAt('count_over_time({namespace="shop"}[5s])', lines, 7 * S), [[A, 4], [B, 1]])
  assert.deepEqual(vectorAt('rate({namespace="shop"}[10s])', lines, 6 * S), [[A, 0.6], [B, 0.2]])
  const bytes = lines.slice(0, 2).reduce((n, l) => n + Buffer.byteLength(l.line), 0)
  assert.deepEqual(vectorAt('bytes_over_time({pod="a"}[2s])', lines, 2 * S), [[A, bytes]])
  assert.deepEqual(vectorAt('bytes_rate({pod="a"}[2s])', lines, 2 * S), [[A, bytes / 2]])
  assert.deepEqual(vectorAt('count_over_time({namespace="shop"}[1s])', lines, 20 * S), [], 'an empty window is no series')
})

test('offset shifts the window back', () => {
  assert.deepEqual(vectorAt('count_over_time({pod="a"}[2s] offset 3s)', lines, 6 * S), [[A, 2]])
  assert.deepEqual(vectorAt('count_over_time({pod="a"}[2s] offset 3s)', lines, 10 * S), [[A, 1]])
})

test('absent_over_time: 1 with the selector\'s equality labels when nothing matched in the window', () => {
  assert.deepEqual(vectorAt('absent_over_time({namespace="shop", pod="a"}[2s])', lines, 6 * S), [])
  assert.deepEqual(vectorAt('absent_over_time({namespace="shop", pod="a"}[2s])', lines, 8 * S), [[{ namespace: 'shop', pod: 'a' }, 1]])
  assert.deepEqual(vectorAt('absent_over_time({namespace="shop", pod=~"a|c", app!="x"}[2s])', lines, 9 * S), [[{ namespace: 'shop' }, 1]])
  assert.deepEqual(vectorAt('absent_over_time({namespace="shop"} |= "nothing like this" [10s])', lines, 6 * S), [[{ namespace: 'shop' }, 1]])
})

test('unwrapped ranges: sum, avg, min, max, first, last, quantile, stddev; duration() and bytes(); the unwrapped label leaves the series', () => {
  // Each line has its own logfmt labels (latency differs), so group by pod, as a rule would.
  const at = (expr: string): number => vectorAt(expr, lines, 6 * S).find(([l]) => l.pod === 'a')![1]
  assert.equal(at('sum by (pod) (sum_over_time({pod="a"} | logfmt | unwrap n [10s]))'), 21)
  assert.equal(at('avg_over_time({pod="a"} | logfmt | unwrap n [10s]) by (pod)'), 3.5)
  assert.equal(at('min_over_time({pod="a"} | logfmt | unwrap n [10s]) by (pod)'), 1)
  assert.equal(at('max_over_time({pod="a"} | logfmt | unwrap n [10s]) by (pod)'), 6)
  assert.equal(at('first_over_time({pod="a"} | logfmt | unwrap n [10s]) by (pod)'), 1)
  assert.equal(at('last_over_time({pod="a"} | logfmt | unwrap n [10s]) by (pod)'), 6)
  assert.equal(at('quantile_over_time(0.5, {pod="a"} | logfmt | unwrap n [10s]) by (pod)'), 3.5)
  assert.equal(at('quantile_over_time(0.99, {pod="a"} | logfmt | unwrap n [10s]) by (pod)'), 5.95)
  assert.ok(Math.abs(at('stddev_over_time({pod="a"} | logfmt | unwrap n [10s]) by (pod)') - Math.sqrt(35 / 12)) < 1e-12)
  assert.equal(at('sum by (pod) (rate({pod="a"} | logfmt | unwrap n [10s]))'), 2.1, 'rate of an unwrapped range: the sum per second')
  assert.ok(Math.abs(at('sum by (pod) (sum_over_time({pod="a"} | logfmt | unwrap duration(latency) [10s]))') - 0.21) < 1e-12, 'durations in seconds')
  assert.equal(at('max_over_time({pod="a"} | logfmt | unwrap bytes(size) [10s]) by (pod)'), 6000)
  const series = vectorAt('max_over_time({namespace="shop"} | logfmt | unwrap n [10s])', lines, 6 * S)
  assert.ok(series.every(([l]) => l.n === undefined && l.level !== undefined))
  assert.deepEqual(vectorAt('max_over_time({namespace="shop"} | logfmt | unwrap n [10s]) by (pod)', lines, 6 * S), [[{ pod: 'a' }, 6], [{ pod: 'b' }, 200]])
  assert.deepEqual(vectorAt('sum_over_time({pod="b"} | logfmt | unwrap level [10s])', lines, 6 * S), [], 'a label that is not a number drops the sample (SampleExtractionErr)')
  assert.deepEqual(vectorAt('sum by (pod) (sum_over_time({pod="b"} | logfmt | unwrap level | __error__="" [10s]))', lines, 6 * S), [], 'and | __error__="" filters it out, as in Loki')
  assert.deepEqual(vectorAt('sum_over_time({pod="b"} | logfmt | unwrap missing [10s])', lines, 6 * S), [], 'no label: no sample')
})

test('vector aggregations: sum avg min max count topk bottomk, by and without', () => {
  const q = (agg: string): [Record<string, string>, number][] => vectorAt(`${agg} (count_over_time({namespace="shop"}[10s]))`, lines, 6 * S)
  assert.deepEqual(q('sum'), [[{}, 8]])
  assert.deepEqual(q('sum by (namespace)'), [[{ namespace: 'shop' }, 8]])
  assert.deepEqual(q('sum without (pod)'), [[{ app: 'web', namespace: 'shop', topic: 'logs' }, 8]])
  assert.deepEqual(q('avg'), [[{}, 4]])
  assert.deepEqual(q('min by (app)'), [[{ app: 'web' }, 2]])
  assert.deepEqual(q('max'), [[{}, 6]])
  assert.deepEqual(q('count'), [[{}, 2]])
  assert.deepEqual(vectorAt('topk(1, count_over_time({namespace="shop"}[10s]))', lines, 6 * S), [[A, 6]], 'topk keeps the input labels')
  assert.deepEqual(vectorAt('bottomk(1, count_over_time({namespace="shop"}[10s]))', lines, 6 * S), [[B, 2]])
  assert.deepEqual(vectorAt('sum by (level) (count_over_time({namespace="shop"} | logfmt | drop latency, size, n [10s]))', lines, 6 * S), [[{ level: 'error' }, 2], [{ level: 'info' }, 6]])
})

test('binary operators: ratios, comparisons filter or (bool) give 0/1, scalar sides, on()/ignoring(), division by zero is NaN', () => {
  const errors = 'sum by (pod) (count_over_time({namespace="shop"} |= "level=error" [10s]))'
  const all = 'sum by (pod) (count_over_time({namespace="shop"}[10s]))'
  assert.deepEqual(vectorAt(`${errors} / ${all}`, lines, 6 * S), [[{ pod: 'a' }, 1 / 6], [{ pod: 'b' }, 0.5]])
  assert.deepEqual(vectorAt(`${errors} / ${all} > 0.4`, lines, 6 * S), [[{ pod: 'b' }, 0.5]], 'the left value is kept')
  assert.deepEqual(vectorAt(`${errors} / ${all} > bool 0.4`, lines, 6 * S), [[{ pod: 'a' }, 0], [{ pod: 'b' }, 1]])
  assert.deepEqual(vectorAt(`0.4 < ${errors} / ${all}`, lines, 6 * S), [[{ pod: 'b' }, 0.5]], 'a scalar on the left still keeps the vector value')
  assert.deepEqual(vectorAt(`${all} * 2 - 1`, lines, 6 * S), [[{ pod: 'a' }, 11], [{ pod: 'b' }, 3]])
  assert.deepEqual(vectorAt(`${all} ^ 2 % 5`, lines, 6 * S), [[{ pod: 'a' }, 1], [{ pod: 'b' }, 4]])
  assert.deepEqual(vectorAt('count_over_time({pod="a"}[10s]) / on (pod) count_over_time({pod="a"}[10s])', lines, 6 * S), [[{ pod: 'a' }, 1]], 'on() keeps only its labels')
  assert.deepEqual(vectorAt('count_over_time({pod="a"}[10s]) - ignoring (app) count_over_time({pod="a"}[10s])', lines, 6 * S), [[{ namespace: 'shop', pod: 'a', topic: 'logs' }, 0]])
  assert.deepEqual(vectorAt(`${errors} / (${all} - 6)`, lines, 6 * S).map(([l, v]) => [l.pod, Number.isNaN(v) ? 'NaN' : v]), [['a', 'NaN'], ['b', -0.25]])
  assert.deepEqual(vectorAt(`${errors} / sum by (pod) (count_over_time({pod="zzz"}[10s]))`, lines, 6 * S), [], 'no match on the other side: no series')
})
