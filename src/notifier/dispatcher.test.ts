import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock, type TimerHandle } from '../shared/clock.js'
import { silentLogger } from '../shared/logger.js'
import { normalizeAlert, type Alert } from './alert.js'
import { parseNotifierConfig } from './config.js'
import { flushTiming, type GroupClock } from './decide.js'
import { Dispatcher } from './dispatcher.js'
import { settle } from './pipeline/test-support.js'

const config = parseNotifierConfig('routing.yml', `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  routes:
    - receiver: pager
      matchers: [severity="critical"]
      continue: true
receivers: [{ name: default }, { name: pager }]
`)

interface Flush { at: number, receiver: string, groupKey: string, alerts: string[] }

function setup (): { clock: ManualClock, d: Dispatcher, flushes: Flush[], post: (labels: Record<string, string>, o?: { startsAt?: number, endsAt?: number }) => Alert } {
  const clock = new ManualClock(0)
  const flushes: Flush[] = []
  const d = new Dispatcher({
    route: config.route,
    clock,
    logger: silentLogger(),
    maintenanceIntervalMs: 30_000,
    flush: async (group, alerts, now) => { flushes.push({ at: now, receiver: group.options.receiver, groupKey: group.groupKey, alerts: alerts.map(a => a.labels.instance).sort() }) }
  })
  const post = (labels: Record<string, string>, o: { startsAt?: number, endsAt?: number } = {}): Alert => {
    const a = normalizeAlert({ labels, startsAt: o.startsAt === undefined ? undefined : new Date(o.startsAt).toISOString(), endsAt: o.endsAt === undefined ? undefined : new Date(o.endsAt).toISOString() }, clock.now(), 3_600_000)
    d.insert(a)
    return a
  }
  return { clock, d, flushes, post }
}

async function advance (clock: ManualClock, ms: number): Promise<void> {
  // One second at a time, letting each flush's promise callbacks run.
  for (let t = 0; t < ms; t += 1000) { clock.advance(Math.min(1000, ms - t)); await settle() }
}

test('dispatcher (fake clock): a group flushes after group_wait with every alert that arrived meanwhile, then every group_interval', async () => {
  const { clock, d, flushes, post } = setup()
  post({ alertname: 'A', instance: '1' })
  await advance(clock, 10_000)
  post({ alertname: 'A', instance: '2' })
  await advance(clock, 19_000)
  assert.equal(flushes.length, 0)
  await advance(clock, 1000)
  assert.deepEqual(flushes, [{ at: 30_000, receiver: 'default', groupKey: '{}:{alertname="A"}', alerts: ['1', '2'] }])
  await advance(clock, 600_000)
  assert.deepEqual(flushes.map(f => f.at), [30_000, 330_000, 630_000])
  await d.close()
})

test('dispatcher (fake clock): an alert already older than group_wait is flushed at once; groups are per route and group key', async () => {
  const { clock, d, flushes, post } = setup()
  post({ alertname: 'B', severity: 'critical', instance: '1' }, { startsAt: -120_000 })
  post({ alertname: 'B', instance: '2' })
  clock.advance(0)
  await settle()
  assert.deepEqual(flushes.map(f => [f.at, f.receiver, f.groupKey, f.alerts]), [[0, 'pager', '{}/{severity="critical"}:{alertname="B"}', ['1']]])
  await advance(clock, 30_000)
  assert.deepEqual(flushes.map(f => [f.at, f.receiver, f.groupKey, f.alerts]).slice(1), [[30_000, 'default', '{}:{alertname="B"}', ['2']]])
  await d.close()
})

test('dispatcher (fake clock): resolved alerts leave after a flush; an empty group lingers until maintenance, so a re-fire waits for its next tick', async () => {
  const { clock, d, flushes, post } = setup()
  post({ alertname: 'C', instance: '1' })
  await advance(clock, 30_000)
  post({ alertname: 'C', instance: '1' }, { startsAt: 0, endsAt: clock.now() })
  await advance(clock, 300_000) // flush at 330s carries the resolved alert, then drops it
  assert.deepEqual(flushes.map(f => [f.at, f.alerts]), [[30_000, ['1']], [330_000, ['1']]])
  assert.deepEqual(d.groups().map(g => g.alerts.length), [0])
  post({ alertname: 'C', instance: '2' })
  await advance(clock, 299_000)
  assert.equal(flushes.length, 2, 'no new group_wait: the lingering group flushes at its next tick')
  await advance(clock, 1000)
  assert.deepEqual(flushes.at(-1), { at: 630_000, receiver: 'default', groupKey: '{}:{alertname="C"}', alerts: ['2'] })
  await d.close()
})

test('dispatcher (fake clock): maintenance removes groups left empty, and a new alert then starts a new group with group_wait', async () => {
  const { clock, d, flushes, post } = setup()
  post({ alertname: 'D', instance: '1' }, { endsAt: 20_000 })
  await advance(clock, 30_000) // flushes the (by then resolved) alert, drops it
  await advance(clock, 30_000) // maintenance
  assert.deepEqual(d.groups(), [])
  post({ alertname: 'D', instance: '2' })
  await advance(clock, 30_000)
  assert.deepEqual(flushes.map(f => [f.at, f.alerts]), [[30_000, ['1']], [90_000, ['2']]])
  await d.close()
})

test('dispatcher: a timer firing a millisecond early (monotonic vs wall clock) still flushes at its due time', async () => {
  const manual = new ManualClock(0)
  // Every timer fires 1 ms before the wall clock reaches its time, as Node's timers may.
  const early = { now: () => manual.now(), setTimeout: (fn: () => void, ms: number) => manual.setTimeout(fn, Math.max(0, ms - 1)), clearTimeout: (h: TimerHandle) => manual.clearTimeout(h) }
  const flushes: { now: number, clock: GroupClock }[] = []
  const d = new Dispatcher({ route: config.route, clock: early, logger: silentLogger(), flush: async (group, _alerts, now) => { flushes.push({ now, clock: group.clock }) } })
  d.insert(normalizeAlert({ labels: { alertname: 'A' } }, 0, 3_600_000))
  await advance(manual, 700_000)
  assert.deepEqual(flushes.map(f => f.now), [30_000, 330_000, 630_000])
  for (const f of flushes) assert.equal(flushTiming({ now: f.now, group: f.clock, alerts: [], groupWaitMs: 30_000, groupIntervalMs: 300_000 }).due, true)
  await d.close()
})
