import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readChunk } from '../kafka/batch-reader.js'
import { buildBatch } from '../protocol/record-batch/index.js'
import type { Needle } from './logql/matchers.js'
import { RecordStage, type SourceRecord } from './record-stage.js'
import { rulesOf, ruleFile } from './test-support.js'
import { ASSUMED, RawValueFilter, withoutImplied } from './value-filter.js'
import * as corpus from '../../test/fixtures/rules/corpus.js'
import { scenario, stream } from '../../test/fixtures/rules/corpus.js'

let seed = 11
// The high bits: the low bits of this generator repeat with a short period.
const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n }

// Lines that a careless pushdown would drop: case variants, escapes, labels only in the topic,
// values split by a record boundary, lines a negative filter keeps.
function tricky (): string[] {
  return [
    JSON.stringify({ log: 'IllegalStateEXCEPTION thrown', kubernetes: { namespace_name: 'shop', pod_name: 'cart-1', container_name: 'cart' } }),
    JSON.stringify({ log: 'exCePtIoN in lower and upper', namespace: 'shop', pod: 'cart-2' }),
    JSON.stringify({ log: 'TIMEOUT talking to db', namespace: 'shop', container: 'api' }),
    JSON.stringify({ log: 'debug: nothing to see', namespace: 'shop', container: 'api' }),
    JSON.stringify({ log: 'all good', namespace: 'shop', container: 'api' }),
    JSON.stringify({ namespace: 'shop', container: 'nginx', log: '"GET / HTTP/1.1" 503 1' }),
    JSON.stringify({ namespace: 'shop', labels: { app: 'api' }, log: '{"level":"error","route":"/v1/x"}' }),
    JSON.stringify({ namespace: 'shop', labels: { app: 'api' }, log: '{"level":"warn","route":"/v1/y"}' }),
    JSON.stringify({ namespace: 'shop', log: 'status=503 msg="upstream gone"' }),
    JSON.stringify({ namespace: 'shopping', log: 'exception but another namespace' }),
    JSON.stringify({ log: 'ERROR at /var/log: caf\u00e9 "quoted"', namespace: 'shop' }).replace('/var/log', '\\/var\\/log').replace('\u00e9', '\\u00e9'),
    'plain text with shop and exception and " 404 "',
    'shop',
    '',
    JSON.stringify({ kubernetes: { namespace_name: 'demo-project', pod_name: 'wordpress-v1-a-b' }, log: '1.2.3.4 - - [x] "GET /a HTTP/1.1" 404 5 "-" "x"' })
  ]
}

// Every kind of selector and filter the prefilter has needles for, or must not have.
const EXPRS = [
  'sum by (pod) (count_over_time({namespace="shop"} |~ "(?i)exception" [1m])) > 0',
  'count_over_time({namespace="shop"} |= "exception" or "TIMEOUT" [1m]) > 0',
  'count_over_time({namespace="shop"} |~ "(?i)timeout|exception" [1m]) > 0',
  'count_over_time({namespace="shop"} != "debug" [1m]) > 0',
  'count_over_time({namespace="shop"} !~ "(?i)debug|good" [1m]) > 0',
  'count_over_time({namespace="shop", container!="cart"} [1m]) > 0',
  'count_over_time({namespace="shop", pod!~"cart-.*"} |= "status" [1m]) > 0',
  'count_over_time({topic="logs"} |= "exception" [1m]) > 0',
  'count_over_time({topic="logs", namespace="shop"} [1m]) > 0',
  'count_over_time({namespace=~"shop|demo-project"} |= " 404 " [1m]) > 0',
  'count_over_time({namespace="shop"} | json | level="error" or level="warn" [1m]) > 0',
  'count_over_time({namespace="shop"} | logfmt | status="503" [1m]) > 0',
  'count_over_time({namespace="shop"} | json | level!="info" [1m]) > 0',
  'absent_over_time({namespace="shop", pod="cart-7d9f8-x2k4p"}[1m])',
  'sum by (namespace) (rate({namespace="shop", container="nginx"} |~ "\\" 5[0-9][0-9] " [1m])) / sum by (namespace) (rate({namespace="shop", container="nginx"}[1m])) > 0.05',
  'count_over_time({namespace="shop"} |= "/var/log: café \\"quoted\\"" [1m]) > 0',
  'sum by (path) (count_over_time({namespace="demo-project"} |= " 404 " | pattern `<_> "<method> <path> <_>" <status> <_>` | status="404" [1m])) > 0',
  'count_over_time({namespace="shop"} |~ "(?i)exception" |= "Exception" |~ "(?i)illegalstateexception" [1m]) > 0'
]

/** The lines as Kafka stores them: batches of random sizes, some compressed, read back through the consumer's reader. */
function batches (lines: string[]): Buffer {
  const out: Buffer[] = []
  for (let i = 0; i < lines.length;) {
    const n = 1 + rand(40)
    const part = lines.slice(i, i + n)
    out.push(buildBatch(part.map((value, j) => ({ value, timestamp: 1_700_000_000_000 + i + j })), { baseOffset: i, compression: rand(3) === 0 ? 1 : 0 }))
    i += part.length
  }
  return Buffer.concat(out)
}

test('the rule set\'s prefilter run in the consumer drops no record a rule counts: case-insensitive, or, != and !~ filters, selectors on labels not in the record (topic), parsers, absent_over_time, several rules at once', () => {
  const lines = [...scenario(), ...stream(3000), ...tricky()]
  // Shuffled, so that every kind of record meets every other at a batch boundary.
  for (let i = lines.length - 1; i > 0; i--) { const j = rand(i + 1); [lines[i], lines[j]] = [lines[j], lines[i]] }
  const data = batches(lines)
  const all = (lines.map((value, offset) => ({ topic: 'logs', partition: 0, offset, timestamp: 1_700_000_000_000 + offset, value: Buffer.from(value) })) satisfies SourceRecord[])
  for (const exprs of [...EXPRS.map(e => [e]), EXPRS]) {
    const rules = rulesOf(`groups:\n  - name: g\n    rules:\n${exprs.map((e, i) => `      - alert: A${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`)
    const stage = new RecordStage(rules)
    const filter = stage.valueFilter()
    const read = readChunk('logs', 0, 0, data, null, null, filter)
    assert.equal(read.scanned, lines.length)
    // Every record is looked at for the time, the passed ones only become objects.
    assert.equal(read.maxTimestamp, 1_700_000_000_000 + lines.length - 1)
    const everything = new RecordStage(rules, { prefilter: false })
    const expected = all.flatMap(r => everything.process(r))
    assert.deepEqual(read.records.flatMap(r => stage.process(r)), expected, exprs.join(' ; '))
    if (exprs.length === 1) assert.ok(expected.length > 0, `${exprs[0]} counts something here`)
    // Each range names its namespace: the other namespace's records never become objects.
    assert.notEqual(filter, null)
    assert.ok(read.records.length < lines.length, `${exprs.join(' ; ')}: ${read.records.length} of ${lines.length} records passed`)
  }
})

test('a rule with nothing to look for in the bytes gives no consumer filter (every record is read)', () => {
  assert.equal(new RecordStage(rulesOf(ruleFile('count_over_time({namespace=~".+"} [1m]) > 0'))).valueFilter(), null)
  assert.equal(new RecordStage(rulesOf(ruleFile('count_over_time({topic="logs"} != "x" [1m]) > 0'))).valueFilter(), null)
  // One such rule among others opens the filter for all.
  const rules = rulesOf(`groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 'count_over_time({namespace="shop"} |= "x" [1m]) > 0'\n      - alert: B\n        expr: 'count_over_time({container=~"c.+"} [1m]) > 0'\n`)
  assert.equal(new RecordStage(rules).valueFilter(), null)
  assert.equal(new RecordStage(rulesOf(ruleFile('count_over_time({namespace="shop"} [1m]) > 0')), { prefilter: false }).valueFilter(), null)
})

test('the section-wide needle search gives the answers of a search in each value (random bytes, caseless needles, occurrences across value boundaries, any mix of alternatives and groups)', () => {
  const alphabet = 'aAbB -xX'
  const word = (n: number): string => Array.from({ length: n }, () => alphabet[rand(alphabet.length)]).join('')
  for (let round = 0; round < 300; round++) {
    const values = Array.from({ length: 1 + rand(30) }, () => rand(8) === 0 ? null : word(rand(10)))
    const needles: Needle[] = Array.from({ length: 1 + rand(4) }, () => {
      const caseless = rand(2) === 0
      const text = word(1 + rand(3))
      return { text: caseless ? text.toLowerCase() : text, caseless }
    })
    const alternatives = Array.from({ length: 1 + rand(3) }, () => Array.from({ length: rand(3) }, () => Array.from({ length: 1 + rand(2) }, () => rand(needles.length))))
    const has = (v: string, n: Needle): boolean => n.caseless ? v.toLowerCase().includes(n.text) : v.includes(n.text)
    const expected = values.map((v, i) => ({ v, i })).filter(({ v }) => v !== null && alternatives.some(groups => groups.every(g => g.some(i => has(v, needles[i]))))).map(x => x.i)
    const data = buildBatch(values.map(value => ({ value })), { compression: round % 3 === 0 ? 1 : 0 })
    const filter = new RawValueFilter(needles, alternatives)
    const read = readChunk('t', 0, 0, data, null, null, filter).records
    const what = `values ${JSON.stringify(values)} needles ${JSON.stringify(needles)} alternatives ${JSON.stringify(alternatives)}`
    assert.deepEqual(read.map(r => r.offset), expected, what)
    // Each accepted record carries which alternatives passed: what the record stage then relies on.
    for (const r of read) {
      const v = values[r.offset]!
      assert.equal(filter.verdict(r), alternatives.reduce((m, groups, a) => groups.every(g => g.some(i => has(v, needles[i]))) ? m | (1 << a) : m, 0), what)
    }
  }
})

test('needle groups another group implies are not searched for, and the rest keep their order', () => {
  const n = (text: string, caseless = false): Needle => ({ text, caseless })
  const needles = [n(' 404 '), n('404'), n('shop'), n('exception', true), n('Exception'), n('illegalstateexception', true), n('shop')]
  // ` 404 ` implies `404`; `Exception` implies caseless `exception`, which caseless `illegalstateexception` implies too.
  assert.deepEqual(withoutImplied([[0], [1], [2]], needles), [[0], [2]])
  assert.deepEqual(withoutImplied([[3], [4], [5]], needles), [[4], [5]])
  // A caseless needle never makes a case-sensitive one certain; a group of several needles implies nothing.
  assert.deepEqual(withoutImplied([[4], [5]], needles), [[4], [5]])
  assert.deepEqual(withoutImplied([[0, 2], [1]], needles), [[0, 2], [1]])
  assert.deepEqual(withoutImplied([[1, 2], [0]], needles), [[0]])
  // The same needle twice: one is kept.
  assert.deepEqual(withoutImplied([[2], [6], [2]], needles), [[2]])
})

test('a partition whose records nearly all pass a range is not searched for it for a while: the few others reach the record stage, which counts exactly the same; once the partition changes, searching resumes', () => {
  const { envelope, PODS } = corpus
  const rules = rulesOf(ruleFile('sum(count_over_time({namespace="shop", pod="cart-7d9f8-x2k4p"} [1m])) + sum(count_over_time({namespace="shop"} |~ "(?i)order" [1m])) > 0'))
  // One pod's records, one in fifty of another pod; then the other pod's only.
  const lines = [
    ...Array.from({ length: 6 * ASSUMED }, (_, i) => envelope(i % 50 === 7 ? PODS.wordpress : PODS.cart, i, i % 3 === 0 ? `order ${i} ready` : 'nothing')),
    ...Array.from({ length: 3 * ASSUMED }, (_, i) => envelope(PODS.wordpress, i, `order ${i}`))
  ]
  const data = batches(lines)
  const stage = new RecordStage(rules)
  const read = readChunk('logs', 3, 0, data, null, null, stage.valueFilter())
  const needlesPass = lines.filter(l => l.includes('shop') && (l.includes('cart-7d9f8-x2k4p') || /order/i.test(l))).length
  const everything = new RecordStage(rules, { prefilter: false })
  const all = lines.map((value, offset) => ({ topic: 'logs', partition: 3, offset, timestamp: 1_700_000_000_000 + offset, value: Buffer.from(value) }))
  assert.deepEqual(read.records.flatMap(r => stage.process(r)), all.flatMap(r => everything.process(r)))
  // Taken as passed: records without the needles became records too (and counted nothing) …
  assert.ok(read.records.length > needlesPass, `${read.records.length} records passed, ${needlesPass} with the needles`)
  // … but not the other pod's records at the end, after the assumption was measured again.
  const lastOther = read.records.filter(r => r.offset >= 6 * ASSUMED + 2 * ASSUMED).length
  assert.equal(lastOther, 0)
})
