// Aggregated contributions (version 2 records) through OwnerPartition.apply, as the runtime's
// owners read them, under the deliveries at-least-once input gives: a batch redelivered split
// differently, a crash with part of a batch produced, a rebalance that hands partitions to
// readers batching otherwise, and readers of the previous version writing one tuple per
// contribution meanwhile. Every case must give, at every evaluation time, the values one owner
// gets applying each record's contributions once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { KafkaRecord } from '../../kafka/client.js'
import { parseRuleFile } from '../file.js'
import { OwnerStage } from '../owner-stage.js'
import { RecordStage, type Contribution, type SourceRecord } from '../record-stage.js'
import { RuleSet } from '../rule-set.js'
import { scenario, T0 } from '../../../test/fixtures/rules/corpus.js'
import { encodePacked, encodeVersion1, ownerPartition } from './messages.js'
import { OwnerPartition } from './owner-partition.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
// The shop rules, and rules whose owner key holds several series (topk and absent_over_time are
// keyed by the rule alone), with unwrapped values, first/last and a quantile.
const EXTRA = `  - name: extra
    rules:
      - alert: TopPods
        expr: 'topk(2, count_over_time({namespace="shop"}[1m]))'
      - alert: Latency
        expr: 'quantile_over_time(0.9, {namespace="shop", app="api"} | json | unwrap duration(latency) [1m]) > 1'
      - alert: FirstLast
        expr: 'first_over_time({namespace="shop", app="api"} | json | unwrap duration(latency) [1m]) - last_over_time({namespace="shop", app="api"} | json | unwrap duration(latency) [1m]) > 100'
      - alert: Bytes
        expr: 'max by (namespace) (bytes_over_time({namespace="shop"}[30s])) > 0'
      - alert: Every
        expr: 'absent_over_time({namespace="shop"}[20s])'
`
const rules = parseRuleFile('shop.yaml', fs.readFileSync(path.join(root, 'test', 'fixtures', 'rules', 'shop.yaml'), 'utf8') + EXTRA).rules
const set = new RuleSet(rules)
const INPUT = 4
const OWNERS = 3

// The scenario over 4 input partitions, round robin, so each partition interleaves pods.
const records: SourceRecord[] = scenario().map((line, i) => ({ topic: 'logs', partition: i % INPUT, offset: Math.floor(i / INPUT), timestamp: 0, value: Buffer.from(line) }))
const stage = new RecordStage(rules)
const times = Array.from({ length: (11 * 60) / 5 }, (_, i) => T0 + (i + 1) * 5000)

/** Values of every metric rule at every time, after everything was applied (owners concatenated). */
function values (owners: OwnerStage[]): string[] {
  const out: string[] = []
  for (const T of times) {
    for (const o of owners) o.evaluate(T)
    for (const r of rules) if (r.kind === 'metric') out.push(`${new Date(T).toISOString()} ${r.id} ${JSON.stringify(owners.flatMap(o => o.valueAt(r.id, T)).map(s => [s.labels, s.value]).sort())}`)
  }
  return out
}

const reference = (() => {
  const one = new OwnerStage(set)
  const contributions = records.flatMap(r => stage.process(r))
  const s = one.apply(contributions)
  assert.equal(s.applied, contributions.length)
  return values([one])
})()

class Owners {
  readonly parts = Array.from({ length: OWNERS }, (_, q) => new OwnerPartition(set, q, OWNERS, INPUT))
  readonly #next = new Array<number>(OWNERS).fill(0)

  /** One reader's batch: contributions per owner partition, encoded as `format`, produced to `to` (default all: a crash may leave some out, or cut a partition's records short). */
  batch (batch: SourceRecord[], format: 1 | 2, o: { maxBytes?: number, produced?: (q: number, records: number) => number } = {}): void {
    const byOwner: Contribution[][] = Array.from({ length: OWNERS }, () => [])
    for (const r of batch) for (const c of stage.process(r)) byOwner[ownerPartition(set.ownerKey(c), OWNERS)].push(c)
    byOwner.forEach((cs, q) => {
      const values = format === 1 ? [encodeVersion1('logs', cs, [])] : encodePacked('logs', cs, [], o.maxBytes).map(m => m.value)
      const n = o.produced?.(q, values.length) ?? values.length
      for (const value of values.slice(0, n)) this.parts[q].apply(this.#record(q, value), 'live')
    })
  }

  #record (q: number, value: string): KafkaRecord {
    return { topic: 'shop.contributions', partition: q, offset: this.#next[q]++, timestamp: 0, key: null, value: Buffer.from(value), headers: {} }
  }

  /** Reads `from`…`to` (global order) of the given input partitions in batches of `size`. */
  read (partitions: number[], from: number, to: number, size: number, format: 1 | 2, maxBytes?: number): void {
    const mine = records.slice(from, to).filter(r => partitions.includes(r.partition))
    for (let i = 0; i < mine.length; i += size) this.batch(mine.slice(i, i + size), format, { maxBytes })
  }

  get stats (): { applied: number, duplicates: number } {
    return { applied: this.parts.reduce((n, p) => n + p.stats.applied, 0), duplicates: this.parts.reduce((n, p) => n + p.stats.duplicates, 0) }
  }
}

const all = [0, 1, 2, 3]
const contributionCount = records.reduce((n, r) => n + stage.process(r).length, 0)

test('aggregated once, without redelivery: the values of one owner applying every contribution', () => {
  const o = new Owners()
  o.read(all, 0, records.length, 500, 2)
  assert.deepEqual(o.stats, { applied: contributionCount, duplicates: 0 })
  assert.deepEqual(values(o.parts.map(p => p.stage)), reference)
})

test('a batch redelivered split differently (after a crash before its commit) counts every record once', () => {
  const o = new Owners()
  o.read(all, 0, 1200, 97, 2)
  // Committed up to 800: the reader that takes over reads 800… again, in other batches.
  o.read(all, 800, records.length, 41, 2)
  assert.ok(o.stats.duplicates > 0, 'the redelivery reached the owners')
  assert.equal(o.stats.applied, contributionCount)
  assert.deepEqual(values(o.parts.map(p => p.stage)), reference)
})

test('kill -9 mid-batch: part of a batch produced (some owner partitions, the first cuts of another), then the batch and more redelivered in other batches', () => {
  const o = new Owners()
  o.read(all, 0, 1000, 200, 2, 2000)
  // The crashed batch: owner 0 got all of it, owner 1 only its first cut, owner 2 nothing.
  o.batch(records.slice(1000, 1400), 2, { maxBytes: 1500, produced: (q, n) => q === 0 ? n : q === 1 ? Math.min(1, n - 1) : 0 })
  o.read(all, 900, records.length, 333, 2, 3000)
  assert.ok(o.stats.duplicates > 0)
  assert.equal(o.stats.applied, contributionCount)
  assert.deepEqual(values(o.parts.map(p => p.stage)), reference)
})

test('a rebalance: partitions handed to readers that batch otherwise, one of them of the previous version (one tuple per contribution), all re-reading from the last commit', () => {
  const o = new Owners()
  o.read(all, 0, 1500, 64, 2)
  // Partitions 0 and 1 to a new reader (aggregates, small records); 2 and 3 to one not yet
  // upgraded, which writes version 1. Both from the commit at 1100.
  o.read([0, 1], 1100, records.length, 150, 2, 1000)
  o.read([2, 3], 1100, records.length, 29, 1)
  assert.ok(o.stats.duplicates > 0)
  assert.equal(o.stats.applied, contributionCount)
  assert.deepEqual(values(o.parts.map(p => p.stage)), reference)
})

test('records of the previous version applied first, then the same records aggregated (a rolling upgrade re-reading them), and the other way round', () => {
  const a = new Owners()
  a.read(all, 0, 1300, 50, 1)
  a.read(all, 700, records.length, 120, 2)
  const b = new Owners()
  b.read(all, 0, 1300, 120, 2)
  b.read(all, 700, records.length, 50, 1)
  for (const o of [a, b]) {
    assert.ok(o.stats.duplicates > 0)
    assert.equal(o.stats.applied, contributionCount)
    assert.deepEqual(values(o.parts.map(p => p.stage)), reference)
  }
})

test('series of one owner key interleaved in a source partition: every record is checked against the watermark from before its record, not one another series raised', () => {
  const only = new RuleSet(rules.filter(r => r.id === 'extra/TopPods'))
  const c = (pod: string, offset: number): Contribution => ({ rule: 'extra/TopPods', expr: 0, labels: { namespace: 'shop', pod }, ts: T0 + offset, value: 1, source: { topic: 'logs', partition: 0, offset } })
  // One batch: pods a and b alternate; offsets 1…3 had arrived before, one tuple each.
  const packed = encodePacked('logs', [1, 2, 3, 4, 5, 6].map(i => c(i % 2 === 1 ? 'a' : 'b', i)), [])
  assert.equal(packed.length, 1)
  assert.equal(JSON.parse(packed[0].value).a.length, 2, 'one aggregate per pod')
  const part = new OwnerPartition(only, 0, 1, 1)
  part.stage.apply([c('a', 1), c('b', 2), c('a', 3)])
  part.apply({ topic: 'x.contributions', partition: 0, offset: 0, timestamp: 0, key: null, value: Buffer.from(packed[0].value), headers: {} }, 'live')
  assert.deepEqual({ applied: part.stats.applied, duplicates: part.stats.duplicates }, { applied: 3, duplicates: 3 })
  const counts = part.stage.valueAt('extra/TopPods', T0 + 10).map(s => [s.labels.pod, s.value]).sort()
  assert.deepEqual(counts, [['a', 3], ['b', 3]])
})
