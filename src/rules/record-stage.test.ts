import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RecordStage, type SourceRecord } from './record-stage.js'
import { rulesOf, ruleFile } from './test-support.js'
import { scenario, stream } from '../../test/fixtures/rules/corpus.js'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const shop = rulesOf(fs.readFileSync(path.join(root, 'test', 'fixtures', 'rules', 'shop.yaml'), 'utf8'))

// Records that look like matches to a careless byte search, or hide their match behind JSON escapes.
const tricky = [
  JSON.stringify({ log: 'ERROR at /var/log: caf\u00e9 "quoted" <b> & done', namespace: 'shop', pod: 'x' }).replace('/var/log', '\\/var\\/log').replace('\u00e9', '\\u00e9'),
  JSON.stringify({ log: 'a shop-free line', kubernetes: { namespace_name: 'shopping' } }),
  JSON.stringify({ message: 'IllegalStateEXCEPTION thrown', namespace: 'shop', container: 'cart' }),
  JSON.stringify({ namespace: 'shop', container: 'nginx', msg: '"GET / HTTP/1.1" 503 1' }),
  JSON.stringify({ namespace: 'shop', labels: { app: 'api' }, log: '{"level":"error","route":"/v1/x"}' }),
  'plain text with shop and exception and " 404 "',
  JSON.stringify({ kubernetes: { namespace_name: 'demo-project', pod_name: 'wordpress-v1-a-b' }, log: '1.2.3.4 - - [x] "GET /a HTTP/1.1" 404 5 "-" "x"' })
]

function records (lines: string[], asBuffer: boolean): SourceRecord[] {
  return lines.map((l, i) => ({ topic: 'logs', partition: 0, offset: i, timestamp: 1_700_000_000_000, value: asBuffer ? Buffer.from(l) : l }))
}

test('the raw-bytes prefilter rejects most records and changes no result (strings and buffers, JSON escapes, caseless needles)', () => {
  const lines = [...scenario(), ...stream(4000), ...tricky]
  for (const asBuffer of [true, false]) {
    const fast = new RecordStage(shop)
    const slow = new RecordStage(shop, { prefilter: false })
    const input = records(lines, asBuffer)
    assert.deepEqual(input.flatMap(r => fast.process(r)), input.flatMap(r => slow.process(r)))
    assert.ok(fast.stats.prefiltered > lines.length / 10, `prefiltered ${fast.stats.prefiltered} of ${lines.length}`)
    assert.equal(slow.stats.prefiltered, 0)
    assert.ok(fast.stats.parsed < slow.stats.parsed)
  }
  // The escaped record still matches a filter on its unescaped text.
  const rules = rulesOf(ruleFile('count_over_time({namespace="shop"} |= "/var/log: café \\"quoted\\" <b> &" [1m]) > 0'))
  assert.equal(new RecordStage(rules).process(records([tricky[0]], true)[0]).length, 1)
})

test('string label filters after a parser add to the raw-bytes prefilter, except for labels the engine makes up (__error__, topic, label_format), and change no result', () => {
  const exprs = [
    'sum by (route) (count_over_time({namespace="shop"} | json | level="error" [1m])) > 0',
    'count_over_time({namespace="shop"} | logfmt | status="500" or status="503" [1m]) > 0',
    'count_over_time({namespace="shop"} | json | __error__="JSONParserErr" [1m]) > 0',
    'count_over_time({namespace="shop"} | json | topic="logs" [1m]) > 0',
    'count_over_time({namespace="shop"} | json | label_format level="{{ .level | upper }}" | level="ERROR" [1m]) > 0',
    'count_over_time({namespace="shop"} | regexp `HTTP/1.1" (?P<code>[0-9]{3}) ` | code=~"503|504" [1m]) > 0'
  ]
  const lines = [...scenario(), ...stream(2000), ...tricky,
    JSON.stringify({ namespace: 'shop', log: 'status=503 msg="upstream \\"x\\" gone"' }),
    JSON.stringify({ namespace: 'shop', log: '{"level":"warn","route":"/v1/y"}' })]
  for (const [i, expr] of exprs.entries()) {
    const rules = rulesOf(ruleFile(expr))
    const fast = new RecordStage(rules)
    const slow = new RecordStage(rules, { prefilter: false })
    const input = records(lines, true)
    const got = input.flatMap(r => fast.process(r))
    assert.deepEqual(got, input.flatMap(r => slow.process(r)), expr)
    // (A line marked with __error__ is never a sample here, so that rule matches nothing either way.)
    if (i !== 2) assert.ok(got.length > 0, `${expr} matches something`)
    // The level, status and code filters need their values in the bytes; the made-up labels do not.
    if (i === 0 || i === 1 || i === 5) assert.ok(fast.stats.parsed < slow.stats.parsed / 2, `${expr}: parsed ${fast.stats.parsed} of ${slow.stats.parsed}`)
  }
})

test('contributions keep only the labels the expression needs: sum by (G) of a count keeps G', () => {
  const rules = rulesOf(ruleFile('sum by (pod) (count_over_time({namespace="shop"} | json [1m])) > 0'))
  const [c] = new RecordStage(rules).process({ topic: 't', partition: 1, offset: 9, timestamp: 5, value: JSON.stringify({ namespace: 'shop', pod: 'p', log: '{"a":"1","b":"2"}', time: '2024-01-01T00:00:00Z' }) })
  assert.deepEqual(c, { rule: 'g/A', expr: 0, labels: { pod: 'p' }, ts: Date.parse('2024-01-01T00:00:00Z'), value: 1, source: { topic: 't', partition: 1, offset: 9 } })
  // Not for max: a count per series matters there.
  const max = rulesOf(ruleFile('max by (pod) (count_over_time({namespace="shop"} | json [1m])) > 0'))
  assert.deepEqual(new RecordStage(max).process({ topic: 't', partition: 1, offset: 9, timestamp: 5, value: JSON.stringify({ namespace: 'shop', pod: 'p', log: '{"a":"1"}' }) })[0].labels, { a: '1', namespace: 'shop', pod: 'p', topic: 't' })
})

test('a line the pipeline marks with __error__ is no sample, and is counted', () => {
  const rules = rulesOf(ruleFile('count_over_time({namespace="shop"} | json [1m]) > 0'))
  const stage = new RecordStage(rules)
  assert.deepEqual(stage.process({ topic: 't', partition: 0, offset: 0, timestamp: 0, value: JSON.stringify({ namespace: 'shop', log: 'not json' }) }), [])
  assert.equal(stage.stats.pipelineErrors, 1)
  assert.deepEqual(stage.process({ topic: 't', partition: 0, offset: 1, timestamp: 0, value: null }), [], 'a tombstone is nothing')
})

test('raw records (the byte scan, labels worked out once per pod) give the same contributions as their text, across topics and pods', () => {
  const exprs = [
    'sum by (namespace) (rate({namespace="shop", container="nginx"} |~ "\\" 5[0-9][0-9] " [1m])) / sum by (namespace) (rate({namespace="shop", container="nginx"}[1m])) > 0.05',
    'absent_over_time({namespace="shop", pod="cart-7d9f8-x2k4p"}[1m])',
    'sum by (topic, stream, app) (bytes_over_time({namespace=~"shop|demo-project"}[1m])) > 0',
    'count_over_time({topic="other"} [1m]) > 0'
  ]
  const rules = [...shop, ...exprs.flatMap((e, i) => rulesOf(ruleFile(e).replace('alert: A', `alert: K${i}`)))]
  const lines = [...scenario(), ...stream(4000), ...tricky, JSON.stringify({ log: 'no pod', stream: 'stdout', kubernetes: { namespace_name: 'shop' } })]
  const input = (asBuffer: boolean): SourceRecord[] => records(lines, asBuffer).map((r, i) => ({ ...r, topic: i % 3 === 0 ? 'other' : 'logs' }))
  const fromBytes = new RecordStage(rules)
  const got = input(true).flatMap(r => fromBytes.process(r))
  assert.deepEqual(got, input(false).flatMap(r => new RecordStage(rules).process(r)))
  assert.ok(got.some(c => c.labels.topic === 'other') && got.some(c => c.labels.topic === 'logs'), 'each topic keeps its own label')
  assert.ok(got.filter(c => c.rule === 'g/K1').length > 1000)
})

test('line filters alone leave the series labels the stream\'s: the same contributions as through a pipeline stage that keeps every label, with one label set per pod', () => {
  const filters = '|~ "(?i)exception|\\" 5[0-9][0-9] " != "healthz" |= "a"'
  const fast = rulesOf(ruleFile(`sum by (pod) (count_over_time({namespace="shop"} ${filters} [1m])) + sum by (pod) (bytes_over_time({namespace="shop"} ${filters} [1m]))`))
  // `| line_format "{{ __line__ }}"` rewrites the line to itself: the general path, same result.
  const general = rulesOf(ruleFile(`sum by (pod) (count_over_time({namespace="shop"} ${filters} | line_format "{{ __line__ }}" [1m])) + sum by (pod) (bytes_over_time({namespace="shop"} ${filters} | line_format "{{ __line__ }}" [1m]))`))
  assert.ok(fast[0].extractors.every(x => x.query.lineFilters !== undefined) && general[0].extractors.every(x => x.query.lineFilters === undefined))
  const rs = records([...scenario(), ...stream(4000), ...tricky], true)
  const a = rs.flatMap(r => new RecordStage(fast).process(r))
  const b = rs.flatMap(r => new RecordStage(general).process(r))
  assert.ok(a.length > 100)
  assert.deepEqual(a, b)
  const one = new RecordStage(fast)
  const labels = new Set(rs.flatMap(r => one.process(r)).filter(c => c.expr === 0).map(c => c.labels))
  assert.ok(labels.size <= 8, `label sets shared per pod (${labels.size})`)
})

test('after a parser, contributions of one series share one frozen label set (whatever the values, no two series share one)', () => {
  const rules = rulesOf(ruleFile('sum by (pod, path) (count_over_time({namespace="demo-project"} |= " 404 " | pattern `<_> "<method> <path> <_>" <status> <_>` [1m])) > 0'))
  const stage = new RecordStage(rules)
  const out = records([...scenario(), ...stream(20_000)], true).flatMap(r => stage.process(r))
  const bySeries = new Map<string, Set<object>>()
  for (const c of out) {
    assert.ok(Object.isFrozen(c.labels))
    const k = JSON.stringify(c.labels)
    if (!bySeries.has(k)) bySeries.set(k, new Set())
    bySeries.get(k)!.add(c.labels)
  }
  assert.ok(bySeries.size > 10 && out.length > bySeries.size * 3, `${out.length} contributions of ${bySeries.size} series`)
  for (const [k, sets] of bySeries) assert.equal(sets.size, 1, k)
  // Values that would run together in a plain concatenation stay different series.
  const tricky = rulesOf(ruleFile('count_over_time({namespace="shop"} | logfmt | keep a, b [1m]) > 0'))
  const t = new RecordStage(tricky)
  const [x] = t.process(records([JSON.stringify({ namespace: 'shop', log: 'a=xb b=y' })], true)[0])
  const [y] = t.process(records([JSON.stringify({ namespace: 'shop', log: 'a=x b=by' })], true)[0])
  assert.notDeepEqual(x.labels, y.labels)
  assert.notEqual(x.labels, y.labels)
})
