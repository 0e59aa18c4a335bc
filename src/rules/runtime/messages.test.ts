import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Contribution } from '../record-stage.js'
import { decodePacked, encodePacked } from './messages.js'

test('contributions are written as JSON tuples, the same text whether their label set is shared (frozen) or not, and read back', () => {
  const shared = Object.freeze({ namespace: 'shop', pod: 'caf\u00e9 "x"' })
  const cs: Contribution[] = [
    { rule: 'g/A', expr: 0, labels: shared, ts: 1_700_000_000_000, value: 1, source: { topic: 'logs', partition: 2, offset: 41 } },
    { rule: 'g/A', expr: 1, labels: shared, ts: 1_700_000_000_001, value: 2.5, source: { topic: 'logs', partition: 2, offset: 42 } },
    { rule: 'g/"B"', expr: 0, labels: { ...shared }, ts: 1_700_000_000_002, value: NaN, source: { topic: 'logs', partition: 0, offset: 7 } },
    { rule: 'g/C', expr: 0, labels: {}, ts: 1_700_000_000_003, value: -Infinity, line: 'new \\ line\n\u2028', source: { topic: 'logs', partition: 1, offset: 0 } }
  ]
  const [packed] = encodePacked('logs', cs, [{ partition: 2, ts: 5, idle: true }])
  // The text a plain JSON.stringify of each tuple gives (what earlier versions wrote and read).
  const tuples = cs.map(c => [c.rule, c.expr, c.labels, c.ts, Number.isFinite(c.value) ? c.value : String(c.value), c.source.partition, c.source.offset, ...(c.line === undefined ? [] : [c.line])])
  assert.equal(packed.value, JSON.stringify({ t: 'logs', c: tuples, m: [[2, 5, 1]] }))
  const back = decodePacked(packed.value)
  assert.deepEqual(back.contributions, cs)
  assert.deepEqual(back.markers, [{ partition: 2, ts: 5, idle: true }])
})
