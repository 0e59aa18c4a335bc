import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { NotificationLog } from '../store/notification-log.js'
import { Outbox } from '../store/outbox.js'
import { dedupStage } from './dedup-stage.js'
import { queueStage } from './queue-stage.js'
import { sequence } from './stage.js'
import { alert, fakeIntegration, integrationContext, T0 } from './test-support.js'

function stores (): { nflog: NotificationLog, outbox: Outbox, dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-dedup-'))
  return { nflog: NotificationLog.open(dir).log, outbox: Outbox.open(dir).outbox, dir }
}

test('dedup + queue: a first notification is queued with the log entry to write once delivered', async () => {
  const { nflog, outbox } = stores()
  const a = alert({ alertname: 'A', instance: '1' })
  const ctx = integrationContext()
  const passed = await sequence(dedupStage(nflog, outbox), queueStage(outbox))(ctx, [a])
  assert.deepEqual(passed, [a])
  assert.equal(ctx.decision?.reason, 'first notification')
  const [queued] = outbox.pendingFor('team/webhook/0')
  assert.deepEqual(queued.firing.map(x => x.fingerprint), [a.fingerprint])
  assert.deepEqual(queued.log, { at: T0, firing: [a.fingerprint], resolved: [] })
  assert.equal(queued.logRetentionMs, 8 * 3_600_000)
})

test('dedup: a notification still queued counts as sent, so the same news is not queued twice', async () => {
  const { nflog, outbox } = stores()
  const a = alert({ alertname: 'A', instance: '1' })
  const pipeline = sequence(dedupStage(nflog, outbox), queueStage(outbox))
  await pipeline(integrationContext(), [a])
  const later = integrationContext(fakeIntegration(), T0 + 300_000)
  assert.deepEqual(await pipeline(later, [a]), [])
  assert.equal(later.decision?.reason, 'unchanged since last notification')
  // New news replaces the pending notification instead of adding a second one.
  const b = alert({ alertname: 'A', instance: '2' })
  await pipeline(integrationContext(fakeIntegration(), T0 + 600_000), [a, b])
  const pending = outbox.pendingFor('team/webhook/0')
  assert.equal(pending.length, 1)
  assert.equal(pending[0].reason, 'new alerts added')
  assert.equal(pending[0].firing.length, 2)
})

test('dedup: compares with the notification log once delivered; all resolved without send_resolved is logged, not sent', async () => {
  const { nflog, outbox } = stores()
  const a = alert({ alertname: 'A' })
  nflog.record('team/webhook/0', '{}:{alertname="A"}', { at: T0 - 300_000, firing: new Set([a.fingerprint]), resolved: new Set() }, T0 + 3_600_000)
  const resolved = { ...a, endsAt: T0 - 1 }
  const ctx = integrationContext(fakeIntegration({ sendResolved: false }))
  assert.deepEqual(await dedupStage(nflog, outbox)(ctx, [resolved]), [])
  assert.equal(ctx.decision?.reason, 'resolved, but send_resolved is off')
  assert.deepEqual(nflog.get('team/webhook/0', '{}:{alertname="A"}', T0)?.firing, new Set())
})
