import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseMatchers } from '../matchers.js'
import { inhibitStage } from './inhibit-stage.js'
import { silenceStage } from './silence-stage.js'
import { waitStage } from './wait-stage.js'
import { sequence } from './stage.js'
import { alert, flushContext, flushGroup, OPTIONS, T0 } from './test-support.js'

const rules = [{ sourceMatchers: parseMatchers('severity="critical"'), targetMatchers: parseMatchers('severity="warning"'), equal: ['cluster'] }]

test('inhibit stage: drops targets whose source fires in the same cluster, keeps the rest', async () => {
  const source = alert({ alertname: 'Down', severity: 'critical', cluster: 'c1' })
  const muted = alert({ alertname: 'Slow', severity: 'warning', cluster: 'c1' })
  const other = alert({ alertname: 'Slow', severity: 'warning', cluster: 'c2' })
  const ctx = flushContext()
  const kept = await inhibitStage(rules, () => [source, muted, other])(ctx, [muted, other])
  assert.deepEqual(kept, [other])
  assert.deepEqual(ctx.trace, ['inhibit: 1 muted'])
})

test('inhibit stage: a resolved source mutes nothing', async () => {
  const source = alert({ alertname: 'Down', severity: 'critical', cluster: 'c1' }, T0 - 1000)
  const target = alert({ alertname: 'Slow', severity: 'warning', cluster: 'c1' })
  assert.deepEqual(await inhibitStage(rules, () => [source, target])(flushContext(), [target]), [target])
})

test('silence stage: drops what an active silence matches at the flush time', async () => {
  const a = alert({ alertname: 'A', instance: 'x' })
  const b = alert({ alertname: 'A', instance: 'y' })
  const silencer = { mutedBy: (labels: Record<string, string>, now: number) => labels.instance === 'x' && now === T0 ? ['s1'] : [] }
  assert.deepEqual(await silenceStage(silencer)(flushContext(), [a, b]), [b])
  assert.deepEqual(await silenceStage(silencer)(flushContext(T0 + 1), [a, b]), [a, b])
})

test('wait stage: holds a new group until group_wait, then lets it through', async () => {
  const a = { ...alert({ alertname: 'A' }), startsAt: T0, updatedAt: T0 }
  const early = flushContext(T0 + 10_000, flushGroup({ clock: { createdAt: T0 } }))
  assert.deepEqual(await waitStage()(early, [a]), [])
  assert.match(early.trace[0], /waiting for group_wait/)
  assert.deepEqual(await waitStage()(flushContext(T0 + OPTIONS.groupWaitMs, flushGroup({ clock: { createdAt: T0 } })), [a]), [a])
})

test('wait stage: after a flush, holds until group_interval', async () => {
  const a = alert({ alertname: 'A' })
  const clock = { createdAt: T0 - 600_000, lastFlushAt: T0 - 1000 }
  assert.deepEqual(await waitStage()(flushContext(T0, flushGroup({ clock })), [a]), [])
  assert.deepEqual(await waitStage()(flushContext(T0 - 1000 + OPTIONS.groupIntervalMs, flushGroup({ clock })), [a]), [a])
})

test('sequence: stops at the first stage that lets nothing through', async () => {
  let reached = false
  const stage = sequence(() => [], () => { reached = true; return [] })
  assert.deepEqual(await stage(flushContext(), [alert({ alertname: 'A' })]), [])
  assert.equal(reached, false)
})
