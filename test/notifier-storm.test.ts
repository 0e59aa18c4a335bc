// A storm: 10,000 alerts posted to one group within seconds. The webhook receiver (max_alerts
// 50) and Slack each get a handful of messages, not thousands, and the last one accounts for
// every alert (alerts + truncatedAlerts, or "and N more").
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { NotifierServer, postJson } from './helpers/notifier-server.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'

const N = 10_000

test('a storm of 10,000 alerts to one group yields a bounded number of messages that account for all of them', { timeout: 60_000 }, async () => {
  const sink = await WebhookSink.start()
  const dir = tempDir('tidewatch-storm-')
  const server = await NotifierServer.start({
    dataDir: path.join(dir, 'data'),
    config: `
route:
  receiver: storm
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: storm
    webhook_configs: [{ url: '${sink.url}/webhook', max_alerts: 50 }]
    slack_configs: [{ api_url: '${sink.url}/slack' }]
`
  })
  try {
    for (let batch = 0; batch < N / 1000; batch++) {
      const body = Array.from({ length: 1000 }, (_, i) => ({ labels: { alertname: 'NotFound', path: `/page/${batch * 1000 + i}` }, annotations: { summary: '404' } }))
      const res = await postJson(`${server.url}/api/v2/alerts`, body)
      assert.equal(res.status, 200, await res.text())
    }
    const complete = await waitFor(() => sink.at('/webhook').find(r => r.body.alerts.length + r.body.truncatedAlerts === N), { what: 'a webhook message accounting for all alerts', timeoutMs: 30_000 })
    assert.equal(complete.body.alerts.length, 50)
    assert.equal(complete.body.truncatedAlerts, N - 50)
    assert.equal(complete.body.status, 'firing')
    assert.deepEqual(complete.body.commonLabels, { alertname: 'NotFound' })
    const slack = await waitFor(() => sink.at('/slack').find(r => r.body.attachments[0].title === `[FIRING:${N}] NotFound`), { what: 'a Slack message for all alerts', timeoutMs: 30_000 })
    assert.match(slack.body.attachments[0].text, new RegExp(`… and ${(N - 20).toLocaleString('en-US')} more$`))
    assert.ok(sink.at('/webhook').length <= 10, `${sink.at('/webhook').length} webhook messages`)
    assert.ok(sink.at('/slack').length <= 10, `${sink.at('/slack').length} Slack messages`)
    for (const r of sink.at('/webhook')) assert.ok(r.body.alerts.length <= 50)
  } finally {
    await server.close()
    await sink.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('per-alertname limit: alerts over it are counted in the message, not held; a receiver rate limit aggregates instead of dropping', { timeout: 30_000 }, async () => {
  const sink = await WebhookSink.start()
  const dir = tempDir('tidewatch-storm-limit-')
  const server = await NotifierServer.start({
    dataDir: path.join(dir, 'data'),
    config: `
route:
  receiver: storm
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 200ms
receivers:
  - name: storm
    rate_limit: { interval: 1h, burst: 1 }
    webhook_configs: [{ url: '${sink.url}/webhook' }]
limits:
  max_active_alerts_per_alertname: 100
`
  })
  try {
    const body = (from: number, n: number): object[] => Array.from({ length: n }, (_, i) => ({ labels: { alertname: 'NotFound', path: `/page/${from + i}` } }))
    assert.equal((await postJson(`${server.url}/api/v2/alerts`, body(0, 1000))).status, 200)
    const first = await waitFor(() => sink.at('/webhook')[0], { what: 'the first message' })
    assert.equal(first.body.alerts.length, 100, 'only the first 100 are held one by one')
    assert.equal(first.body.truncatedAlerts, 900, 'the other 900 are counted')
    const listed = await (await fetch(`${server.url}/api/v2/alerts`)).json() as unknown[]
    assert.equal(listed.length, 100)
    assert.equal(server.notifier.limitedAlerts, 900)
    // Heartbeats of held alerts are still taken: one of the held ones resolves.
    assert.equal((await postJson(`${server.url}/api/v2/alerts`, [{ labels: { alertname: 'NotFound', path: '/page/0' }, endsAt: new Date().toISOString() }])).status, 200)
    assert.equal((await (await fetch(`${server.url}/api/v2/alerts`)).json() as unknown[]).length, 99)

    // The receiver's rate limit (one message an hour) holds the next message back; the group's
    // news piles up in one pending notification instead of a queue of messages.
    await waitFor(() => server.notifier.pendingNotifications === 1, { what: 'the resolution queued behind the rate limit' })
    const queuedAt = server.notifier.groups()[0].lastFlushAt!
    assert.equal((await postJson(`${server.url}/api/v2/alerts`, [{ labels: { alertname: 'NotFound', path: '/page/1' }, endsAt: new Date().toISOString() }])).status, 200)
    await waitFor(() => (server.notifier.groups()[0].lastFlushAt ?? 0) > queuedAt, { what: 'another flush while the message waits' })
    assert.equal(server.notifier.pendingNotifications, 1, 'still one notification pending for the group, not one per flush')
    assert.equal(sink.at('/webhook').length, 1, 'nothing sent over the limit')
  } finally {
    await server.close()
    await sink.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
