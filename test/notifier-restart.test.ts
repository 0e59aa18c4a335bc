// Durability of delivery: notifications decided while the receiver is down are kept on disk; a
// new Notifier on the same data dir delivers each exactly once when the receiver is back, and a
// further restart neither re-sends them nor treats re-posted alerts as news.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { silentLogger } from '../src/shared/logger.js'
import { Notifier } from '../src/notifier/notifier.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'

const routing = (url: string): string => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 500ms
receivers:
  - name: hook
    webhook_configs: [{ url: '${url}/hook' }]
`

async function start (dir: string, configFile: string): Promise<Notifier> {
  return await Notifier.start({ configFile, dataDir: path.join(dir, 'data'), logger: silentLogger(), backoff: { initialMs: 50, maxMs: 200 } })
}

test('receiver down, notifier restarted, receiver back: every notification delivered exactly once', { timeout: 60_000 }, async () => {
  let up = false
  const sink = await WebhookSink.start(() => ({ status: up ? 200 : 503 }))
  const dir = tempDir('tidewatch-restart-')
  const configFile = path.join(dir, 'routing.yml')
  fs.writeFileSync(configFile, routing(sink.url))
  const groups = ['A', 'B', 'C']
  const alerts = groups.flatMap(alertname => [{ labels: { alertname, instance: '1' } }, { labels: { alertname, instance: '2' } }])
  const delivered = (): Map<string, number> => {
    const m = new Map<string, number>()
    // Only what the receiver accepted counts (the 503 answers are failed attempts).
    for (const r of sink.requests.filter(r => r.receivedAt >= upSince)) m.set(r.body.groupLabels.alertname, (m.get(r.body.groupLabels.alertname) ?? 0) + 1)
    return m
  }
  let upSince = Infinity

  let notifier = await start(dir, configFile)
  try {
    notifier.post(alerts)
    await waitFor(() => groups.every(g => sink.requests.some(r => r.body.groupLabels.alertname === g)), { what: 'an attempt for every group while the receiver is down' })
    assert.equal(notifier.pendingNotifications, 3)
    await notifier.close()

    notifier = await start(dir, configFile)
    assert.equal(notifier.pendingNotifications, 3, 'the undelivered notifications were replayed from disk')
    upSince = Date.now()
    up = true
    await waitFor(() => notifier.pendingNotifications === 0, { what: 'the queue to drain once the receiver is back' })
    assert.deepEqual(Object.fromEntries(delivered()), { A: 1, B: 1, C: 1 })
    for (const r of sink.requests.filter(r => r.receivedAt >= upSince)) assert.equal(r.body.alerts.length, 2)
    await notifier.close()

    // Again: nothing is re-sent, and the same alerts posted again are not news. A new group,
    // posted after them, is delivered: by then the old groups have had their flush.
    notifier = await start(dir, configFile)
    notifier.post([...alerts, { labels: { alertname: 'D', instance: '1' } }])
    await waitFor(() => delivered().get('D') === 1 && notifier.pendingNotifications === 0 && notifier.groups().every(g => g.lastFlushAt !== undefined), { what: 'the new group delivered' })
    assert.deepEqual(Object.fromEntries(delivered()), { A: 1, B: 1, C: 1, D: 1 })
  } finally {
    await notifier.close()
    await sink.stop()
  }
})

test('a receiver refusing a notification (HTTP 400) is recorded as failed with its reason, not retried', { timeout: 30_000 }, async () => {
  const sink = await WebhookSink.start(() => ({ status: 400, body: 'invalid_payload' }))
  const dir = tempDir('tidewatch-refused-')
  const configFile = path.join(dir, 'routing.yml')
  fs.writeFileSync(configFile, routing(sink.url))
  const notifier = await start(dir, configFile)
  try {
    notifier.post([{ labels: { alertname: 'Refused' } }])
    const failed = await waitFor(() => notifier.deliveries.find(d => d.outcome === 'failed'), { what: 'the refusal to be recorded' })
    assert.match(failed.reason ?? '', /^hook\/webhook\/0 \(http:\/\/127\.0\.0\.1:\d+\/\[redacted\]\): HTTP 400: invalid_payload$/)
    assert.equal(failed.attempts, 1)
    assert.equal(notifier.pendingNotifications, 0)
  } finally {
    await notifier.close()
    await sink.stop()
  }
})
