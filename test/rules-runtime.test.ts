// A rules workload in `tidewatch up`, end to end: 4 partitions, 2 replica processes, each running
// both stages (record stage on its input partitions, owner of its contributions partitions).
// Counts must be what one process reading everything would count: a burst spread over every
// partition fires exactly one alert whose $value is the whole count, and a rule for one more
// record than the burst never fires — also when a replica is killed with SIGKILL mid-burst,
// after its owner state was recorded or while it is still reading.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { tempDir } from './helpers/processes.js'
import { startUp, type RunningUp } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'
import { KafkaClient } from '../src/kafka/client.js'
import type { ScalingEvent } from '../src/scaling/events.js'
import { loadRuleFile } from '../src/rules/file.js'
import { RuleSet } from '../src/rules/rule-set.js'
import { ownerPartition } from '../src/rules/runtime/messages.js'
import { fluentBitRecord, notifierAlerts, produceSpread, rule, rulesWorkload, waitRulesEvaluating, writeRulesProject } from './helpers/rules-project.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'

const N = 4000
const rulesFor = (n: number): string => `groups:
  - name: shop
    rules:
      - alert: Burst
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) >= ${n}'
        labels: { severity: warning }
        annotations: { summary: 'declined payments', value: '{{ $value }}' }
      - alert: MoreThanTheBurst
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) > ${n}'
`
const RULES = rulesFor(N)

const burst = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => fluentBitRecord(`payment declined for order ${from + i}`, `cart-${(from + i) % 7}`))

async function ownerCommits (bootstrap: string): Promise<Map<number, number>> {
  const kafka = new KafkaClient({ settings: plaintextSettings([bootstrap]), clientId: 'rules-test-admin' })
  try {
    return await kafka.committedOffsets('shop-rules.owners', 'shop-rules.contributions')
  } finally {
    await kafka.close()
  }
}

async function ready (up: RunningUp, replicas: number): Promise<void> {
  // Both stages are running once every rule has been evaluated (every input partition reported).
  await waitRulesEvaluating(up.url, { replicas })
}

/** The process id of the replica that owns the Burst rule (a sum without by: one owner key, on one partition). */
async function burstOwner (up: RunningUp, dir: string): Promise<number> {
  const rules = new RuleSet(loadRuleFile(path.join(dir, 'rules.yaml')).rules)
  const q = ownerPartition(rules.ruleKey('shop/Burst'), 4)
  const owner = (await rulesWorkload(up.url))?.owners?.find(o => o.partitions.includes(q))
  assert.ok(owner !== undefined, `an owner of partition ${q}`)
  return owner.pid
}

/** Waits until the owners have evaluated past `since` (every record produced before it is counted), then checks the counts. */
async function assertExactCount (up: RunningUp, since: number, n = N): Promise<void> {
  const fired = await waitFor(async () => (await notifierAlerts(up.url)).find(a => a.labels.alertname === 'Burst'), { what: 'the Burst alert in the notifier', timeoutMs: 90_000 })
  await waitFor(async () => {
    const r = await rule(up.url, 'MoreThanTheBurst')
    return r?.evaluatedAt !== null && r?.evaluatedAt !== undefined && Date.parse(r.evaluatedAt) > since
  }, { what: 'an evaluation after the whole burst', timeoutMs: 60_000 })
  assert.equal(fired.annotations.value, String(n), 'the alert carries the whole count')
  assert.equal(fired.labels.severity, 'warning')
  const alerts = (await notifierAlerts(up.url)).filter(a => a.labels.alertname === 'Burst' || a.labels.alertname === 'MoreThanTheBurst')
  assert.deepEqual(alerts.map(a => a.labels.alertname), ['Burst'], 'exactly one alert, and no count above the burst')
  // Status follows the owners (reported every second, and partitions may just have moved).
  const summary = await waitFor(async () => { const r = await rule(up.url, 'Burst'); return r?.state === 'firing' ? r : null }, { what: 'Burst shown firing' })
  assert.equal(summary.value, n, 'the rule measures exactly the burst')
  assert.equal((await rule(up.url, 'MoreThanTheBurst'))?.state, 'inactive')
}

test('rules in tidewatch up: a burst over 4 partitions read by 2 replicas fires one alert with the whole count', { timeout: 240_000 }, async () => {
  const dir = tempDir('tidewatch-rules-')
  const up = await startUp({ config: writeRulesProject(dir, RULES), dataDir: path.join(dir, 'data') })
  try {
    assert.ok(up.process.lines.some(l => /rules\s+shop-rules \(2 rules, 2-2 replicas, reading logs\)/.test(l)), up.process.lines.join('\n'))
    await ready(up, 2)
    // Other traffic in between: it must not count.
    await produceSpread(up.bootstrap, 'logs', [...burst(0, N), ...Array.from({ length: 500 }, () => fluentBitRecord('payment accepted'))])
    const since = Date.now()
    await assertExactCount(up, since)
    await waitFor(async () => (await rulesWorkload(up.url))?.lag.total === 0, { what: 'the input group caught up (status shows its lag)' })
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
  }
})

test('rules in tidewatch up: SIGKILL of a replica mid-burst loses no count and doubles none', { timeout: 240_000 }, async t => {
  const dir = tempDir('tidewatch-rules-kill-')
  const up = await startUp({ config: writeRulesProject(dir, RULES), dataDir: path.join(dir, 'data') })
  try {
    await ready(up, 2)
    await produceSpread(up.bootstrap, 'logs', burst(0, N / 2))
    // Mid-burst: the owners have counted the first half and recorded it (a snapshot, then a commit
    // on every contributions partition), so the killed replica's partitions must be rebuilt from
    // that state by their next owner, not read again from the start.
    await waitFor(async () => (await rule(up.url, 'Burst'))?.value === N / 2, { what: 'the first half counted', timeoutMs: 60_000 })
    await waitFor(async () => {
      const committed = await ownerCommits(up.bootstrap)
      return committed.size === 4 && [...committed.values()].every(o => o > 0)
    }, { what: 'every owner partition snapshotted and committed', timeoutMs: 60_000 })
    process.kill(await burstOwner(up, dir), 'SIGKILL')
    await produceSpread(up.bootstrap, 'logs', burst(N / 2, N))
    const since = Date.now()
    // The supervisor restarts the killed replica; its partitions' state is rebuilt by whoever owns them.
    await ready(up, 2)
    await assertExactCount(up, since)
    const w = await rulesWorkload(up.url)
    assert.match(w?.lastError?.message ?? '', /replica \d killed by SIGKILL/)
    t.diagnostic(`contributions ignored as redelivered: ${w?.contributions?.duplicates ?? '?'}, late: ${w?.contributions?.late ?? '?'}`)
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
  }
})

test('rules in tidewatch up: SIGKILL of the owning replica while the burst is still being produced and read counts every record once', { timeout: 240_000 }, async t => {
  const n = 20_000
  const dir = tempDir('tidewatch-rules-kill-reading-')
  const up = await startUp({ config: writeRulesProject(dir, rulesFor(n)), dataDir: path.join(dir, 'data') })
  try {
    await ready(up, 2)
    const pid = await burstOwner(up, dir)
    // The burst goes out in 40 chunks; the replicas read it as it lands. Halfway through, the
    // owner of the rule — also the reader of two input partitions — is killed: its last input
    // batches are uncommitted and its owner state is at most a second old, so the records are
    // read again and their contributions come twice, and the rule's state is rebuilt from the
    // contributions topic.
    const kafka = new KafkaClient({ settings: plaintextSettings([up.bootstrap]), clientId: 'rules-test-admin' })
    let committedAtKill = 0
    try {
      for (let i = 0; i < 40; i++) {
        await produceSpread(up.bootstrap, 'logs', burst(i * n / 40, (i + 1) * n / 40))
        if (i === 19) {
          process.kill(pid, 'SIGKILL')
          committedAtKill = [...(await kafka.committedOffsets('shop-rules', 'logs')).values()].reduce((a, o) => a + Math.max(0, o), 0)
        }
      }
    } finally {
      await kafka.close()
    }
    const since = Date.now()
    await ready(up, 2)
    await assertExactCount(up, since, n)
    const w = await rulesWorkload(up.url)
    t.diagnostic(`input committed when killed: ${committedAtKill} of ${n / 2}; contributions ignored as redelivered: ${w?.contributions?.duplicates ?? '?'}, late: ${w?.contributions?.late ?? '?'}`)
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
  }
})

test('rules in tidewatch up: the autoscaler adds replicas for a burst\'s lag, and the count is exact through the rebalances', { timeout: 240_000 }, async t => {
  const n = 60_000
  const dir = tempDir('tidewatch-rules-autoscale-')
  const up = await startUp({ config: writeRulesProject(dir, rulesFor(n), { scale: '{ minReplicas: 1, maxReplicas: 4, lagThreshold: 100 }' }), dataDir: path.join(dir, 'data') })
  try {
    await ready(up, 1)
    // Produced faster than one replica reads it: the lag calls for more replicas, which join
    // both groups while the burst is being read (input partitions and owner partitions move).
    await produceSpread(up.bootstrap, 'logs', burst(0, n))
    const since = Date.now()
    const scaled = await waitFor(async () => {
      const res = await fetch(`${up.url}/api/v1/events?function=shop-rules`)
      const { events } = await res.json() as { events: ScalingEvent[] }
      return events.find(e => e.type === 'scale' && (e.to ?? 0) > 1)
    }, { what: 'a scale-up of the rules workload', timeoutMs: 60_000 })
    assert.match(scaled.reason, /lag/)
    await assertExactCount(up, since, n)
    const w = await rulesWorkload(up.url)
    t.diagnostic(`scaled ${scaled.from ?? '?'} -> ${scaled.to ?? '?'}; contributions ignored as redelivered: ${w?.contributions?.duplicates ?? '?'}`)
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
  }
})
