import { test } from 'node:test'
import assert from 'node:assert/strict'
import { expand } from '../aggregate.js'
import type { Contribution } from '../record-stage.js'
import { decodePacked, encodePacked, encodeVersion1 } from './messages.js'

const shared = Object.freeze({ namespace: 'shop', pod: 'caf\u00e9 "x"' })
const cs: Contribution[] = [
  { rule: 'g/A', expr: 0, labels: shared, ts: 1_700_000_000_000, value: 1, source: { topic: 'logs', partition: 2, offset: 41 } },
  { rule: 'g/A', expr: 1, labels: shared, ts: 1_700_000_000_001, value: 2.5, source: { topic: 'logs', partition: 2, offset: 42 } },
  { rule: 'g/"B"', expr: 0, labels: { ...shared }, ts: 1_700_000_000_002, value: NaN, source: { topic: 'logs', partition: 0, offset: 7 } },
  { rule: 'g/C', expr: 0, labels: {}, ts: 1_700_000_000_003, value: -Infinity, line: 'new \\ line\n\u2028', source: { topic: 'logs', partition: 1, offset: 0 } },
  { rule: 'g/A', expr: 0, labels: { ...shared }, ts: 1_700_000_000_000, value: 1, source: { topic: 'logs', partition: 2, offset: 45 } },
  { rule: 'g/A', expr: 0, labels: shared, ts: 1_699_999_999_990, value: 1, source: { topic: 'logs', partition: 2, offset: 50 } },
  { rule: 'g/A', expr: 1, labels: shared, ts: 1_700_000_000_005, value: Infinity, source: { topic: 'logs', partition: 2, offset: 51 } }
]
const byOffset = (a: Contribution, b: Contribution): number => a.source.partition - b.source.partition || a.source.offset - b.source.offset || a.expr - b.expr

test('version 2 records: a series\' contributions travel as one aggregate (offsets, times and values per record), a line-carrying one as a tuple, and read back as the same contributions', () => {
  const [packed] = encodePacked('logs', cs, [{ partition: 2, ts: 5, idle: true }])
  const back = decodePacked(packed.value)
  // g/A expr 0 (three records, one label set shared and one equal copy), g/A expr 1, g/"B".
  assert.equal(back.aggregates.length, 3)
  assert.deepEqual(back.aggregates[0].offsets, [41, 45, 50])
  assert.deepEqual(back.aggregates[0].ts, [1_700_000_000_000, 1_700_000_000_000, 1_699_999_999_990], 'event times are kept per record, in any order')
  assert.equal(back.aggregates[0].values, 1, 'a count carries one value for all its records')
  assert.deepEqual(back.contributions, [cs[3]], 'new_pattern / new_term contributions stay per record')
  assert.deepEqual([...back.aggregates.flatMap(expand), ...back.contributions].sort(byOffset), [...cs].sort(byOffset))
  assert.deepEqual(back.markers, [{ partition: 2, ts: 5, idle: true }])
  assert.ok(!('c' in JSON.parse(packed.value)), 'no `c`: an owner of version 1 counts the record unreadable rather than applying markers without counts')
})

test('version 1 records (one JSON tuple per contribution, as earlier versions wrote them) are still read', () => {
  const tuples = cs.map(c => [c.rule, c.expr, c.labels, c.ts, Number.isFinite(c.value) ? c.value : String(c.value), c.source.partition, c.source.offset, ...(c.line === undefined ? [] : [c.line])])
  const old = JSON.stringify({ t: 'logs', c: tuples, m: [[2, 5, 1]] })
  assert.equal(encodeVersion1('logs', cs, [{ partition: 2, ts: 5, idle: true }]), old)
  const back = decodePacked(old)
  assert.deepEqual(back.contributions, cs)
  assert.deepEqual(back.aggregates, [])
  assert.deepEqual(back.markers, [{ partition: 2, ts: 5, idle: true }])
  assert.throws(() => decodePacked('{"v":3,"t":"logs","m":[]}'), 'an unknown version is not read as another')
  assert.throws(() => decodePacked('{"v":2,"t":"logs","a":[["g/A",0,{},0,[1,2],[5],1]],"r":[],"m":[]}'), 'offsets and times of unequal length')
})
