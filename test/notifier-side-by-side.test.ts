// Tidewatch's notifier next to a real Prometheus Alertmanager (Debian's 0.25): the same routing
// file, the same alerts posted to both over HTTP at the same moments, each notifying its own
// webhook sink. Every scenario must produce the same notifications on both sides: how many, for
// which group (groupKey, groupLabels, receiver), with which alerts (by fingerprint) in which
// status. All scenarios use their own alertname, so they run at once and the file stays short.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Alertmanager } from './helpers/alertmanager.js'
import { NotifierServer, postJson } from './helpers/notifier-server.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink, type SinkRequest } from './helpers/webhook-sink.js'

const routing = (sink: string): string => `
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - receiver: teams
      matchers: [alertname="Multi"]
      group_by: [alertname, team]
    - receiver: repeat
      matchers: [alertname="Repeat"]
      repeat_interval: 3s
receivers:
  - name: default
    webhook_configs: [{ url: '${sink}/default' }]
  - name: teams
    webhook_configs: [{ url: '${sink}/teams' }]
  - name: repeat
    webhook_configs: [{ url: '${sink}/repeat' }]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [cluster]
`

/** A notification reduced to what both sides must agree on. */
interface Seen { path: string, groupKey: string, status: string, groupLabels: Record<string, string>, alerts: string[] }

function seen (r: SinkRequest): Seen {
  const alerts = (r.body.alerts as { fingerprint: string, status: string }[]).map(a => `${a.fingerprint}:${a.status}`).sort()
  return { path: r.path, groupKey: r.body.groupKey, status: r.body.status, groupLabels: r.body.groupLabels, alerts }
}

function byGroup (sink: WebhookSink): Map<string, Seen[]> {
  const out = new Map<string, Seen[]>()
  for (const r of sink.requests) {
    const s = seen(r)
    out.set(s.groupKey, [...(out.get(s.groupKey) ?? []), s])
  }
  return out
}

let am: Alertmanager
let tw: NotifierServer
let amSink: WebhookSink
let twSink: WebhookSink
const dir = tempDir('tidewatch-side-')

before(async () => {
  [amSink, twSink] = await Promise.all([WebhookSink.start(), WebhookSink.start()])
  am = await Alertmanager.start(undefined, tempDir('tidewatch-side-am-'))
  fs.writeFileSync(path.join(am.dataDir, 'alertmanager.yml'), routing(amSink.url))
  const reload = await fetch(`${am.url}/-/reload`, { method: 'POST' })
  assert.equal(reload.status, 200, await reload.text())
  tw = await NotifierServer.start({ config: routing(twSink.url), dataDir: path.join(dir, 'tw') })
})

after(async () => {
  await tw?.close()
  await am?.stop()
  await amSink?.stop()
  await twSink?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Posts the same body to both, at the same moment; both must accept it. */
async function both (apiPath: string, body: unknown): Promise<[unknown, unknown]> {
  const [a, t] = await Promise.all([postJson(`${am.url}${apiPath}`, body), postJson(`${tw.url}${apiPath}`, body)])
  const [at, tt] = await Promise.all([a.text(), t.text()])
  assert.equal(a.status, 200, `Alertmanager: ${at}`)
  assert.equal(t.status, 200, `Tidewatch: ${tt}`)
  return [at === '' ? null : JSON.parse(at), tt === '' ? null : JSON.parse(tt)]
}

const firing = (labels: Record<string, string>): object => ({ labels, annotations: { summary: `${labels.alertname} fires` } })
const count = (sink: WebhookSink, alertname: string): number => sink.requests.filter(r => r.body.groupLabels.alertname === alertname).length

test('the same alert sequence gives the same notifications from Alertmanager and from Tidewatch', { timeout: 80_000 }, async () => {
  const now = Date.now()
  // silence: one of two alerts is silenced on both sides.
  await both('/api/v2/silences', {
    matchers: [{ name: 'alertname', value: 'Silenced', isRegex: false, isEqual: true }, { name: 'instance', value: 'x.*', isRegex: true }],
    startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'test', comment: 'side by side'
  })

  const burst = Array.from({ length: 25 }, (_, i) => firing({ alertname: 'Burst', instance: `host-${i}` }))
  await Promise.all([
    // one alert
    both('/api/v2/alerts', [firing({ alertname: 'One', instance: 'a' })]),
    // a burst in one group, posted one by one
    ...burst.map(async a => await both('/api/v2/alerts', [a])),
    // several groups (group_by alertname, team)
    both('/api/v2/alerts', ['a', 'b', 'c', 'a'].map((team, i) => firing({ alertname: 'Multi', team, instance: `i${i}` }))),
    // resolve: fires now, resolved below
    both('/api/v2/alerts', [firing({ alertname: 'Resolve', instance: 'a' }), firing({ alertname: 'Resolve', instance: 'b' })]),
    // repeat: repeat_interval 3s on a 2s group_interval
    both('/api/v2/alerts', [firing({ alertname: 'Repeat', instance: 'a' })]),
    // silence
    both('/api/v2/alerts', [firing({ alertname: 'Silenced', instance: 'x1' }), firing({ alertname: 'Silenced', instance: 'y1' })]),
    // inhibition: the critical source mutes the warning in its cluster only
    both('/api/v2/alerts', [
      firing({ alertname: 'Source', severity: 'critical', cluster: 'c1' }),
      firing({ alertname: 'Target', severity: 'warning', cluster: 'c1', instance: 'a' }),
      firing({ alertname: 'Target', severity: 'warning', cluster: 'c2', instance: 'b' })
    ])
  ])

  // Once both have notified the firing Resolve group, one of its alerts resolves, then the other.
  for (const [i, instance] of ['a', 'b'].entries()) {
    await waitFor(() => count(amSink, 'Resolve') === i + 1 && count(twSink, 'Resolve') === i + 1, { what: `Resolve notification ${i + 1} on both sides`, timeoutMs: 15_000 })
    await both('/api/v2/alerts', [{ labels: { alertname: 'Resolve', instance }, endsAt: new Date().toISOString() }])
  }
  await waitFor(() => count(amSink, 'Resolve') === 3 && count(twSink, 'Resolve') === 3, { what: 'the all-resolved notification on both sides', timeoutMs: 15_000 })
  // The repeat group's third notification comes two repeat periods after its first: by then
  // every other group has had time for any notification it would send.
  await waitFor(() => count(amSink, 'Repeat') >= 3 && count(twSink, 'Repeat') >= 3, { what: 'three Repeat notifications on both sides', timeoutMs: 30_000 })

  const theirs = byGroup(amSink)
  const ours = byGroup(twSink)
  // Repeats go on for as long as the test runs; compare the first three.
  for (const m of [theirs, ours]) for (const [k, list] of m) if (list[0].groupLabels.alertname === 'Repeat') m.set(k, list.slice(0, 3))
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), 'the same groups notified')
  for (const [groupKey, list] of theirs) assert.deepEqual(ours.get(groupKey), list, groupKey)

  // What the scenarios were meant to show, so a change that breaks both sides the same way is caught.
  const expected: Record<string, number> = { One: 1, Burst: 1, Multi: 3, Resolve: 3, Repeat: 3, Silenced: 1, Source: 1, Target: 1 }
  const counts: Record<string, number> = {}
  for (const list of ours.values()) for (const s of list) counts[s.groupLabels.alertname] = (counts[s.groupLabels.alertname] ?? 0) + 1
  assert.deepEqual(counts, expected)
  const one = (name: string): Seen => [...ours.values()].flat().find(s => s.groupLabels.alertname === name)!
  assert.equal(one('Burst').alerts.length, 25)
  assert.equal(one('Silenced').alerts.length, 1)
  assert.equal(one('Target').alerts.length, 1)
  const resolves = [...ours.values()].flat().filter(s => s.groupLabels.alertname === 'Resolve')
  assert.deepEqual(resolves.map(s => s.status), ['firing', 'firing', 'resolved'])
  // An alert resolved and notified leaves its group, so the last message holds only the other.
  assert.deepEqual(resolves.map(s => s.alerts.map(a => a.split(':')[1]).sort().join(',')), ['firing,firing', 'firing,resolved', 'resolved'])
})
