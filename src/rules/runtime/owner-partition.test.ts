import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { KafkaRecord } from '../../kafka/client.js'
import { expand } from '../aggregate.js'
import { RuleSet } from '../rule-set.js'
import { contributionsOf, rulesOf, T0 } from '../test-support.js'
import { decodePacked, encodePacked, MAX_PACKED_BYTES, ownerPartition, type Marker } from './messages.js'
import { OwnerPartition } from './owner-partition.js'

const RULES = rulesOf(`groups:
  - name: g
    rules:
      - alert: Errors
        expr: 'sum(count_over_time({namespace="shop"} |= "error" [1m])) >= 3'
      - alert: NewError
        expr: '{namespace="shop"} |= "error"'
        new_pattern: { learning: 0s }
`)
const rules = new RuleSet(RULES)
const lines = [0, 1000, 2000, 3000].map(at => ({ at, labels: { namespace: 'shop', pod: 'p' }, line: `error ${at} in checkout` }))

/** The contributions records one reader would produce for `lines`, markers after them, at offsets from 0. */
function records (markers: Marker[]): KafkaRecord[] {
  return encodePacked('logs', contributionsOf(RULES, lines), markers).map((m, offset) => ({ topic: 'shop.contributions', partition: 0, offset, timestamp: m.maxTs, key: null, value: Buffer.from(m.value), headers: {} }))
}

function markerRecord (offset: number, m: Marker): KafkaRecord {
  return { topic: 'shop.contributions', partition: 0, offset, timestamp: 0, key: null, value: Buffer.from(encodePacked('logs', [], [m])[0].value), headers: {} }
}

test('packed contributions: split under the size limit, markers on the last record, values that are not finite kept', () => {
  const many = Array.from({ length: 6000 }, (_, i) => ({ rule: 'g/Errors', expr: 0, labels: { pod: `p-${i}` }, ts: T0 + i, value: i === 0 ? Infinity : 1, source: { topic: 'logs', partition: 1, offset: i } }))
  const out = encodePacked('logs', many, [{ partition: 1, ts: T0 + 10, idle: false }])
  assert.ok(out.length > 1 && out.every(o => o.value.length < MAX_PACKED_BYTES + 1024))
  const decoded = out.map(o => decodePacked(o.value))
  assert.deepEqual(decoded.flatMap(d => d.aggregates.flatMap(expand)), many)
  assert.deepEqual(decoded.map(d => d.markers.length), [...Array(out.length - 1).fill(0), 1])
  assert.equal(out.at(-1)!.maxTs, T0 + 5999, 'the record timestamp is its latest event time')
  assert.throws(() => decodePacked('{"not":"packed"}'))
})

test('owner partitions: a key always lands on the same partition, every partition in range', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `g/A{pod="p-${i}"}`)
  const parts = keys.map(k => ownerPartition(k, 4))
  assert.deepEqual(parts, keys.map(k => ownerPartition(k, 4)))
  assert.deepEqual([...new Set(parts)].sort(), [0, 1, 2, 3], 'spread over all four')
})

test('the low watermark waits for every input partition, and a partition with a backlog (-1) holds it', () => {
  const part = new OwnerPartition(rules, 0, 1, 2)
  for (const r of records([{ partition: 0, ts: T0 + 3000, idle: false }])) part.apply(r, 'live')
  assert.equal(part.watermark(), undefined, 'partition 1 has not reported')
  assert.deepEqual(part.evaluate(), [])
  part.apply(markerRecord(10, { partition: 1, ts: -1, idle: false }), 'live')
  assert.equal(part.watermark(), undefined, 'a backlog not read yet')
  part.apply(markerRecord(11, { partition: 1, ts: T0 + 2500, idle: true }), 'live')
  assert.equal(part.watermark(), T0 + 2500, 'the least of the two')
  const changes = part.evaluate()
  assert.deepEqual(changes.map(c => [c.alert, c.state, c.value]), [['Errors', 'firing', 3], ['NewError', 'firing', 1]], 'three errors by T0+2.5s; the template once')
  assert.deepEqual(part.evaluate(), [], 'nothing new at the same time')
})

test('a snapshot without windows, plus the contributions read again, gives the owner state back: same counts, no alert again, templates kept', () => {
  const before = new OwnerPartition(rules, 0, 1, 1)
  for (const r of records([{ partition: 0, ts: T0 + 3000, idle: false }])) before.apply(r, 'live')
  assert.equal(before.evaluate().length, 2)
  const snap = JSON.parse(JSON.stringify(before.snapshot(Date.now())))
  assert.deepEqual(snap.owner.rules['g/Errors'].keys, {}, 'metric windows are not in the snapshot')
  assert.equal(snap.next, 1)

  const after = new OwnerPartition(rules, 0, 1, 1)
  after.restore(snap)
  for (const r of records([])) after.apply(r, 'rebuild')
  const rebuilt = after.stage.measuredAt('g/Errors', T0 + 3000)
  assert.deepEqual(rebuilt.map(s => s.value), [4], 'the window counts all four lines again')
  assert.deepEqual(before.stage.measuredAt('g/Errors', T0 + 3000).map(s => s.value), [4])
  // Redelivered input: the same contributions again, live — ignored by their source offsets.
  for (const r of records([{ partition: 0, ts: T0 + 4000, idle: false }])) after.apply({ ...r, offset: r.offset + 1 }, 'live')
  assert.deepEqual(after.evaluate(), [], 'neither the count alert nor the learned pattern fires again')
  assert.deepEqual(after.stage.measuredAt('g/Errors', T0 + 4000).map(s => s.value), [4], 'and nothing counts twice')
  assert.equal(after.stats.duplicates, 8, 'four lines, two rules each')
})
