// The owner stage as a distributed runtime will use it: redelivered contributions, contributions
// split across owners by owner key, and state carried over a restart in a snapshot.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseRuleFile } from './file.js'
import { OwnerStage } from './owner-stage.js'
import { RecordStage, type Contribution } from './record-stage.js'
import { RuleSet } from './rule-set.js'
import type { AlertChange } from './alerts.js'
import { scenario, T0 } from '../../test/fixtures/rules/corpus.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const rules = parseRuleFile('shop.yaml', fs.readFileSync(path.join(root, 'test', 'fixtures', 'rules', 'shop.yaml'), 'utf8')).rules
const set = new RuleSet(rules)
const PARTITIONS = 4

// The scenario's records spread over 4 partitions, as a producer keyed by pod would not: round robin.
const contributions: Contribution[] = (() => {
  const stage = new RecordStage(rules)
  return scenario().flatMap((line, i) => stage.process({ topic: 'logs', partition: i % PARTITIONS, offset: Math.floor(i / PARTITIONS), timestamp: 0, value: Buffer.from(line) }))
})()
// Every 5 s of event time over the scenario and a minute past it.
const times = Array.from({ length: (11 * 60) / 5 }, (_, i) => T0 + (i + 1) * 5000)

const text = (c: AlertChange): string => `${new Date(c.at).toISOString()} ${c.alert} ${c.state} ${JSON.stringify(c.labels)} ${c.value}`

/** Streams `deliver(T)`'s contributions into the owners before each evaluation time; every change, sorted. */
function drive (owners: OwnerStage[], deliver: (until: number) => Contribution[][]): { changes: string[], values: string[], duplicates: number } {
  const changes: string[] = []
  const values: string[] = []
  let duplicates = 0
  for (const T of times) {
    deliver(T).forEach((batch, i) => { duplicates += owners[i % owners.length].apply(batch).duplicates })
    for (const o of owners) changes.push(...o.evaluate(T).map(text))
    for (const r of rules) if (r.kind === 'metric') values.push(`${T} ${r.id} ${JSON.stringify(owners.flatMap(o => o.valueAt(r.id, T)).map(s => [s.labels, s.value]).sort())}`)
  }
  return { changes: changes.sort(), values, duplicates }
}

function inOrder (): (until: number) => Contribution[][] {
  let next = 0
  return until => {
    const batch: Contribution[] = []
    while (next < contributions.length && contributions[next].ts <= until) batch.push(contributions[next++])
    return [batch]
  }
}

test('the reference run fires and resolves every rule of the scenario', () => {
  const { changes } = drive([new OwnerStage(set)], inOrder())
  for (const alert of ['JavaException', 'HighErrorRate', 'CartSilent', 'ApiErrors', 'NotFound']) {
    assert.ok(changes.some(c => c.includes(` ${alert} firing `)), `${alert} fires`)
    assert.ok(changes.some(c => c.includes(` ${alert} resolved `)), `${alert} resolves`)
  }
})

test('redelivered contributions, in another batching and order across partitions, give the same counts and alerts', () => {
  const reference = drive([new OwnerStage(set)], inOrder())
  // Per partition in offset order, as a consumer reads it; each batch is then delivered again
  // from an earlier offset (a consumer that crashed before committing re-reads), and the
  // partitions' batches arrive interleaved in a different order each time.
  const byPartition = Array.from({ length: PARTITIONS }, (_, p) => contributions.filter(c => c.source.partition === p))
  const next = byPartition.map(() => 0)
  let round = 0
  const redelivering = (until: number): Contribution[][] => {
    round++
    const batches: Contribution[][] = []
    for (const p of [3, 1, 0, 2].map(i => (i + round) % PARTITIONS)) {
      const list = byPartition[p]
      let end = next[p]
      while (end < list.length && list[end].ts <= until) end++
      const replayFrom = Math.max(0, next[p] - 7)
      batches.push(list.slice(replayFrom, end))
      if (round % 3 === 0) batches.push(list.slice(replayFrom, end)) // and sometimes twice
      next[p] = end
    }
    return [batches.flat()]
  }
  const owner = new OwnerStage(set)
  const again = drive([owner], redelivering)
  assert.deepEqual(again.values, reference.values)
  assert.deepEqual(again.changes, reference.changes)
  assert.ok(again.duplicates > 1000, `the redelivery really repeated contributions (${again.duplicates})`)
  const twice = new OwnerStage(set)
  twice.apply(contributions)
  assert.equal(twice.apply(contributions).duplicates, contributions.length)
})

test('contributions split across owners by owner key, each owning its keys, give the results of one owner', () => {
  const reference = drive([new OwnerStage(set)], inOrder())
  const N = 3
  // As a runtime would place keys: a hash of the owner key, modulo the owners.
  const place = (key: string): number => [...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % N
  const owners = Array.from({ length: N }, (_, i) => new OwnerStage(set, { owns: key => place(key) === i }))
  const keys = new Set<string>()
  let next = 0
  const split = (until: number): Contribution[][] => {
    const batches: Contribution[][] = owners.map(() => [])
    while (next < contributions.length && contributions[next].ts <= until) {
      const c = contributions[next++]
      const key = set.ownerKey(c)
      keys.add(key)
      batches[place(key)].push(c)
    }
    return batches
  }
  const split3 = drive(owners, split)
  assert.deepEqual(split3.changes, reference.changes)
  assert.deepEqual(split3.values, reference.values)
  assert.ok(new Set([...keys].map(place)).size > 1, 'the keys really are spread over several owners')
  assert.ok([...keys].some(k => k.startsWith('shop/JavaException{')) && [...keys].some(k => k === 'shop/HighErrorRate{namespace="shop"}'), [...keys].join(' '))
})

test('a snapshot taken mid-window and restored in a new owner (after a restart that re-reads records) loses and doubles nothing', () => {
  const reference = drive([new OwnerStage(set)], inOrder())
  const half = times.length / 2
  const first = new OwnerStage(set)
  const feed = inOrder()
  const changes: string[] = []
  const values: string[] = []
  let delivered = 0
  let restarted: OwnerStage | undefined
  for (const [i, T] of times.entries()) {
    let owner = first
    if (i >= half) {
      if (i === half) {
        // Restart: state from JSON, then the consumer re-reads the last 50 contributions.
        const restored = new OwnerStage(set)
        restored.restore(JSON.parse(JSON.stringify(first.snapshot())))
        restored.apply(contributions.slice(Math.max(0, delivered - 50), delivered))
        restarted = restored
      }
      owner = restarted!
    }
    const batch = feed(T)[0]
    delivered += batch.length
    owner.apply(batch)
    changes.push(...owner.evaluate(T).map(text))
    for (const r of rules) if (r.kind === 'metric') values.push(`${T} ${r.id} ${JSON.stringify(owner.valueAt(r.id, T).map(s => [s.labels, s.value]).sort())}`)
  }
  assert.deepEqual(values, reference.values)
  assert.deepEqual(changes.sort(), reference.changes)
})

test('a restored snapshot of another rule set keeps only the rules whose expression is unchanged', () => {
  const owner = new OwnerStage(set)
  owner.apply(contributions)
  const snap = owner.snapshot()
  const changed = parseRuleFile('r.yaml', fs.readFileSync(path.join(root, 'test', 'fixtures', 'rules', 'shop.yaml'), 'utf8').replace('[2m])) >= 3', '[5m])) >= 3')).rules
  const other = new OwnerStage(new RuleSet(changed))
  other.restore(snap)
  const T = T0 + 6 * 60_000 + 20_000
  assert.ok(other.valueAt('shop/JavaException', T0 + 2 * 60_000 + 30_000).length > 0)
  assert.deepEqual(other.valueAt('shop/ApiErrors', T), [], 'ApiErrors changed its range: its state is not restored')
  assert.ok(owner.valueAt('shop/ApiErrors', T).length > 0)
})

test('a rule holds at most maxSeriesPerRule series; contributions for more are counted, not kept', async () => {
  const { rulesOf, ruleFile, contributionsOf } = await import('./test-support.js')
  const many = rulesOf(ruleFile('count_over_time({namespace="shop"} | logfmt [1m]) > 0'))
  const lines = Array.from({ length: 50 }, (_, i) => ({ at: i, labels: { namespace: 'shop' }, line: `user=${i}` }))
  const owner = new OwnerStage(new RuleSet(many), { maxSeriesPerRule: 10 })
  const stats = owner.apply(contributionsOf(many, lines))
  assert.equal(stats.applied, 10)
  assert.equal(stats.overLimit, 40)
  assert.equal(owner.state('g/A')!.overLimit, 40)
  // Once series empty out, there is room again.
  owner.evaluate(lines[0].at + 61_000 + Date.parse('2024-01-01T00:00:00Z'))
  assert.equal(owner.state('g/A')!.series, 0)
  assert.equal(owner.apply(contributionsOf(many, lines.map(l => ({ ...l, at: l.at + 120_000 })))).applied, 10)
})
