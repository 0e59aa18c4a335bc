// An alert the notifier answered 200 is the notifier's to deliver: `tidewatch notifier` takes 60
// alerts with a long group_wait and a resolve for an alert already notified, is killed (kill -9,
// or SIGTERM) before group_wait elapses, and is started again on the same data dir. Every group
// then reaches the receiver exactly once — no earlier than group_wait after the alerts were
// first posted — the resolve is delivered, and a further restart re-sends nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CLI, LineProcess, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink, type SinkRequest } from './helpers/webhook-sink.js'

const GROUP_WAIT_MS = 15_000
const GROUPS = ['Disk0', 'Disk1', 'Disk2', 'Disk3', 'Disk4', 'Disk5']
const PER_GROUP = 10

const routing = (sink: string): string => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: ${GROUP_WAIT_MS / 1000}s
  group_interval: 10m
  repeat_interval: 4h
  routes:
    # Quick to notify: the alert whose resolve must survive the restart, and the sentinels.
    - matchers: ['alertname=~"Resolving|Sentinel.*"']
      group_wait: 100ms
receivers:
  - name: hook
    webhook_configs: [{ url: '${sink}/hook' }]
`

class NotifierProcess extends LineProcess {
  url = ''

  static async start (configFile: string, dataDir: string): Promise<NotifierProcess> {
    const p = new NotifierProcess(process.execPath, [CLI, 'notifier', '--config', configFile, '--port', '0', '--data-dir', dataDir])
    const line = await waitFor(() => {
      if (p.child.exitCode !== null) throw new Error(`the notifier exited: ${p.stderr}`)
      return p.lines.find(l => l.includes('listening on'))
    }, { what: 'the notifier to listen' })
    p.url = /listening on (http:\/\/\S+)/.exec(line)![1]
    return p
  }

  async post (alerts: object[]): Promise<void> {
    const res = await fetch(`${this.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) })
    assert.equal(res.status, 200, await res.text())
  }
}

interface WebhookAlert { status: string, labels: Record<string, string> }
const groupOf = (r: SinkRequest): string => r.body.groupLabels.alertname
const sent = (sink: WebhookSink, group: string): SinkRequest[] => sink.at('/hook').filter(r => groupOf(r) === group)

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`alerts acknowledged inside group_wait survive ${signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM'}: each group is notified once after the restart, and a resolve is honoured`, { timeout: 120_000 }, async () => {
    const sink = await WebhookSink.start()
    const dir = tempDir('tidewatch-acknowledged-')
    const configFile = path.join(dir, 'routing.yml')
    fs.writeFileSync(configFile, routing(sink.url))
    const dataDir = path.join(dir, 'data')
    let p = await NotifierProcess.start(configFile, dataDir)
    try {
      // An alert notified before the kill, resolved just before it.
      const resolving = { labels: { alertname: 'Resolving', instance: 'r1' } }
      await p.post([resolving])
      await waitFor(() => sent(sink, 'Resolving').length === 1, { what: 'the firing notification for Resolving' })

      const postedAt = Date.now()
      for (const alertname of GROUPS) {
        await p.post(Array.from({ length: PER_GROUP }, (_, i) => ({ labels: { alertname, instance: `i${i}` }, annotations: { summary: `${alertname} on i${i}` } })))
      }
      await p.post([{ ...resolving, endsAt: new Date().toISOString() }])
      await p.stop(signal)
      // The precondition of the test: nothing of the 60 alerts had been notified before the kill.
      assert.deepEqual(sink.at('/hook').map(groupOf), ['Resolving'], 'group_wait had not elapsed when the notifier was stopped')

      p = await NotifierProcess.start(configFile, dataDir)
      await waitFor(() => GROUPS.every(g => sent(sink, g).length > 0) && sent(sink, 'Resolving').length === 2, { what: 'every group and the resolve delivered after the restart', timeoutMs: 60_000 })
      for (const g of GROUPS) {
        const [n] = sent(sink, g)
        const alerts = n.body.alerts as WebhookAlert[]
        assert.deepEqual(alerts.map(a => a.labels.instance).sort(), Array.from({ length: PER_GROUP }, (_, i) => `i${i}`).sort(), `${g}: every alert of the group`)
        assert.ok(alerts.every(a => a.status === 'firing'))
        // group_wait counts from when the group was first seen, not again from the restart, and
        // is not cut short by it.
        assert.ok(n.receivedAt >= postedAt + GROUP_WAIT_MS - 100, `${g}: notified ${n.receivedAt - postedAt} ms after the post, before group_wait`)
      }
      const resolved = sent(sink, 'Resolving')[1].body
      assert.equal(resolved.status, 'resolved')
      assert.deepEqual((resolved.alerts as WebhookAlert[]).map(a => [a.labels.instance, a.status]), [['r1', 'resolved']])

      // A new group notified after the restored ones shows nothing was queued twice; then a
      // further restart restores the same alerts and the notification log keeps them quiet.
      await p.post([{ labels: { alertname: 'Sentinel1' } }])
      await waitFor(() => sent(sink, 'Sentinel1').length === 1, { what: 'the first sentinel' })
      await p.stop(signal)
      p = await NotifierProcess.start(configFile, dataDir)
      await p.post([{ labels: { alertname: 'Sentinel2' } }])
      await waitFor(() => sent(sink, 'Sentinel2').length === 1, { what: 'the second sentinel' })
      const counts = Object.fromEntries([...GROUPS, 'Resolving'].map(g => [g, sent(sink, g).length]))
      assert.deepEqual(counts, { ...Object.fromEntries(GROUPS.map(g => [g, 1])), Resolving: 2 }, 'exactly one notification per group (and the resolve), across two restarts')
      const listed = await (await fetch(`${p.url}/api/v2/alerts?filter=${encodeURIComponent('alertname=~"Disk.*"')}`)).json() as unknown[]
      assert.equal(listed.length, GROUPS.length * PER_GROUP, 'the firing alerts are listed again after the restart')
    } finally {
      await p.stop('SIGKILL')
      await sink.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}
