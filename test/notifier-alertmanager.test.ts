// The notifier's pure core against the real Prometheus Alertmanager (Debian's 0.25): the same
// routing file is loaded by both, the same alerts are posted to both, and whatever Alertmanager
// reports — fingerprints, receivers, silenced/inhibited status, groups, and the groupKey, group
// labels and alert sets of the webhook notifications it sends — is the expectation for
// fingerprint.ts, config.ts, route.ts, inhibit.ts, silence-match.ts and decide.ts.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Alertmanager } from './helpers/alertmanager.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink, type SinkRequest } from './helpers/webhook-sink.js'
import { compareAlerts, mergeAlert, normalizeAlert, normalizeAlerts, type Alert, type PostableAlert } from '../src/notifier/alert.js'
import { parseNotifierConfig, type NotifierConfig } from '../src/notifier/config.js'
import { decide, type NotificationLogEntry } from '../src/notifier/decide.js'
import { inhibition } from '../src/notifier/inhibit.js'
import { labelSetString, type LabelSet } from '../src/notifier/labels.js'
import { matchRoutes, routeAlert } from '../src/notifier/route.js'
import { matcherFromApi, silencedBy, type Silence, type SilenceApiMatcher } from '../src/notifier/silence-match.js'

const RECEIVERS = ['default', 'edge', 'frontend', 'frontend-audit', 'pager', 'backend', 'backend-prod']

const routing = (sink: string): string => `
global:
  resolve_timeout: 5m
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: edge
      matchers: [alertname="Edge"]
      group_by: ['...']
    - receiver: frontend
      matchers: ['team="frontend"']
      group_by: [alertname, namespace]
      continue: true
    - receiver: frontend-audit
      matchers: ['team=~"front.*", namespace!="kube-system"']
      group_by: []          # an empty list inherits [alertname]
    - receiver: pager
      matchers: ['severity=~"(?i)crit.*"']
      group_by: ['...']
    - receiver: backend
      match: { team: backend }
      match_re: { service: 'api|db' }
      routes:
        - receiver: backend-prod
          matchers: ['env="prod"', 'host=~"web\\-[[:digit:]]+"']
          group_by: [a, a1, alertname]
receivers:
${RECEIVERS.map(name => `  - name: ${name}\n    webhook_configs: [{ url: '${sink}/${name}' }]`).join('\n')}
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname, namespace]
  - source_matchers: ['kind=~"src|both"']
    target_matchers: ['kind=~"tgt|both"']
    equal: [alertname]
`

const frontendShop = { alertname: 'HighLatency', team: 'frontend', namespace: 'shop' }
const F1 = { ...frontendShop, pod: 'web-1', job: 'web', instance: '10.0.0.2:80' }
const F2 = { ...frontendShop, pod: 'web-2', job: 'web', instance: '10.0.0.1:80' }
const F5 = { ...frontendShop, pod: 'web-3' }
const F6 = { ...frontendShop, pod: 'web-0', extra: 'x' }
const LABELS: Record<string, string>[] = [
  F1, F2, F5, F6,
  { alertname: 'HighLatency', team: 'frontend', namespace: 'cart', pod: 'cart-1' },
  { alertname: 'HighLatency', team: 'frontend', namespace: 'kube-system' },
  { alertname: 'DiskFull', severity: 'CRITICAL', host: 'db-1', namespace: 'data' },
  { alertname: 'DiskFull', severity: 'critical', host: 'db-2', namespace: 'data' },
  { alertname: 'DiskFull', severity: 'warning', host: 'db-3', namespace: 'data' },
  { alertname: 'DiskFull', severity: 'warning', namespace: 'other' },
  { alertname: 'NoNamespace', severity: 'warning' },
  { alertname: 'NoNamespace', severity: 'critical' },
  { alertname: 'Slow', team: 'backend', service: 'api' },
  { alertname: 'Slow', team: 'backend', service: 'db', env: 'prod', host: 'web-12', a: '1', a1: '2' },
  { alertname: 'Slow', team: 'backend', service: 'db', env: 'prod', host: 'web-x' },
  { alertname: 'Slow', team: 'backend', service: 'cache' },
  { alertname: 'Pair', kind: 'both', n: '1' },
  { alertname: 'Pair', kind: 'both', n: '2' },
  { alertname: 'Pair', kind: 'tgt' },
  { alertname: 'Pair2', kind: 'both' },
  { alertname: 'Pair2', kind: 'src' },
  { alertname: 'Silenced', instance: 'host-42' },
  { alertname: 'Silenced', instance: 'host-x' },
  { alertname: 'Edge', q: 'he said "hi" \\ \n ü 😀 \u0007 \t', a: '1', a1: '2', a_: '3' },
  { alertname: 'Edge', empty: '', z: 'ünïcödé', ZZ: 'upper', _u: 'x' },
  { alertname: 'Edge', long: 'x'.repeat(2000) },
  { alertname: 'Edge', cjk: '警报', rtl: 'שלום', zw: 'a\u200bb', ctl: '\u0000\u001f\u007f\u0085\u00a0', lone: 'x\ud800y', astral: '𝄞' }
]
const SILENCE: SilenceApiMatcher[] = [{ name: 'alertname', value: 'Silenced', isRegex: false, isEqual: true }, { name: 'instance', value: 'host-[0-9]+', isRegex: true }]

interface AmAlert { labels: LabelSet, fingerprint: string, receivers: { name: string }[], status: { state: string, silencedBy: string[], inhibitedBy: string[] } }

let am: Alertmanager
let sink: WebhookSink
let config: NotifierConfig
let ours: Alert[]
let silence: Silence
const key = (labels: LabelSet): string => JSON.stringify(Object.entries(labels).sort())

async function post (url: string, body: unknown): Promise<Response> {
  return await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

async function amAlerts (): Promise<Map<string, AmAlert>> {
  const list = await (await fetch(`${am.url}/api/v2/alerts`)).json() as AmAlert[]
  return new Map(list.map(a => [key(a.labels), a]))
}

/** The last notification Alertmanager sent for a group key. */
function lastFor (groupKey: string): SinkRequest | undefined {
  return sink.requests.filter(r => r.body.groupKey === groupKey).at(-1)
}

before(async () => {
  sink = await WebhookSink.start()
  const text = routing(sink.url)
  config = parseNotifierConfig('routing.yml', text)
  am = await Alertmanager.start(undefined, tempDir('tidewatch-am-'))
  // The helper starts Alertmanager with a catch-all config; swap in ours and reload.
  fs.writeFileSync(path.join(am.dataDir, 'alertmanager.yml'), text)
  const reload = await fetch(`${am.url}/-/reload`, { method: 'POST' })
  assert.equal(reload.status, 200, await reload.text())

  const now = Date.now()
  const created = await post(`${am.url}/api/v2/silences`, { matchers: SILENCE, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), createdBy: 'test', comment: 'e2e' })
  const { silenceID } = await created.json() as { silenceID: string }
  silence = { id: silenceID, matchers: SILENCE.map(matcherFromApi), startsAt: now, endsAt: now + 3_600_000, createdBy: 'test', comment: 'e2e' }

  const postable: PostableAlert[] = LABELS.map(labels => ({ labels, annotations: { summary: 'e2e' } }))
  ours = postable.map(p => normalizeAlert(p, Date.now(), config.resolveTimeoutMs))
  assert.equal((await post(`${am.url}/api/v2/alerts`, postable)).status, 200)
})

after(async () => {
  await am?.stop()
  await sink?.stop()
})

test('fingerprints: ours equal Alertmanager\'s for every label set, empty labels dropped the same way', async () => {
  const theirs = await waitFor(async () => { const m = await amAlerts(); return m.size === ours.length ? m : undefined }, { what: 'Alertmanager to hold every alert' })
  for (const a of ours) {
    const t = theirs.get(key(a.labels))
    assert.ok(t !== undefined, `Alertmanager has no alert with labels ${labelSetString(a.labels)}`)
    assert.equal(a.fingerprint, t.fingerprint, labelSetString(a.labels))
  }
})

test('routing: the receivers of every alert are the ones route.ts picks from the same file', async () => {
  const theirs = await amAlerts()
  for (const a of ours) {
    const expected = matchRoutes(config.route, a.labels).map(r => r.options.receiver)
    assert.deepEqual(theirs.get(key(a.labels))!.receivers.map(r => r.name), expected, labelSetString(a.labels))
  }
})

test('silences and inhibition: muted exactly as silence-match.ts and inhibit.ts say', async () => {
  const now = Date.now()
  await waitFor(async () => {
    const theirs = await amAlerts()
    for (const a of ours) {
      const t = theirs.get(key(a.labels))!
      const what = labelSetString(a.labels)
      assert.deepEqual(t.status.silencedBy, silencedBy([silence], a.labels, now), `silencedBy of ${what}`)
      const inh = inhibition(a.labels, config.inhibitRules, ours, now)
      assert.equal(t.status.inhibitedBy.length > 0, inh.inhibited, `inhibited? ${what}`)
      // Alertmanager names one source when several qualify; it must be one ours accepts.
      for (const fp of t.status.inhibitedBy) {
        assert.ok(inhibition(a.labels, config.inhibitRules, ours.filter(s => s.fingerprint === fp), now).inhibited, `${fp} inhibits ${what}`)
      }
    }
    return true
  }, { what: 'silenced/inhibited status to match', timeoutMs: 20_000 })
  // The scenario really exercises both: one silenced alert, and four inhibited ones (by the
  // equal labels, a label missing on both sides, and a two-sided rule).
  assert.equal(ours.filter(a => silencedBy([silence], a.labels, now).length > 0).length, 1)
  assert.deepEqual(ours.filter(a => inhibition(a.labels, config.inhibitRules, ours, now).inhibited).map(a => a.labels.alertname), ['DiskFull', 'NoNamespace', 'Pair', 'Pair2'])
})

/** What our functions say Alertmanager's aggregation groups are. */
function expectedGroups (alerts: Alert[]): Map<string, { receiver: string, groupKey: string, groupLabels: LabelSet, alerts: Alert[] }> {
  const groups = new Map<string, { receiver: string, groupKey: string, groupLabels: LabelSet, alerts: Alert[] }>()
  for (const a of alerts) {
    for (const d of routeAlert(config.route, a.labels)) {
      const id = `${d.route.path} ${d.groupKey}`
      const g = groups.get(id) ?? { receiver: d.route.options.receiver, groupKey: d.groupKey, groupLabels: d.groupLabels, alerts: [] }
      g.alerts.push(a)
      groups.set(id, g)
    }
  }
  for (const g of groups.values()) g.alerts.sort(compareAlerts)
  return groups
}

test('aggregation groups: the same group labels, receivers and alert sets as GET /api/v2/alerts/groups', async () => {
  const describe = (receiver: string, labels: LabelSet, fps: string[]): string => `${receiver} ${labelSetString(labels)} ${[...fps].sort().join(',')}`
  const expected = [...expectedGroups(ours).values()].map(g => describe(g.receiver, g.groupLabels, g.alerts.map(a => a.fingerprint)))
  // The dispatcher takes alerts in asynchronously; wait until it agrees (or show the difference).
  await waitFor(async () => {
    const theirs = await (await fetch(`${am.url}/api/v2/alerts/groups`)).json() as { labels: LabelSet, receiver: { name: string }, alerts: { fingerprint: string }[] }[]
    assert.deepEqual(theirs.map(g => describe(g.receiver.name, g.labels, g.alerts.map(a => a.fingerprint))).sort(), expected.sort())
    return true
  }, { what: 'the aggregation groups to match', timeoutMs: 20_000 })
})

test('notifications: every webhook groupKey, groupLabels and alert list (in order) is what our functions predict', async () => {
  const now = Date.now()
  const unmuted = ours.filter(a => silencedBy([silence], a.labels, now).length === 0 && !inhibition(a.labels, config.inhibitRules, ours, now).inhibited)
  const expected = expectedGroups(unmuted)
  assert.equal(expected.size, 18, 'groups of one and of several alerts, on six receivers')
  await waitFor(() => {
    for (const g of expected.values()) {
      const got = lastFor(g.groupKey)
      assert.ok(got !== undefined, `no notification yet for ${g.groupKey}`)
      assert.equal(got.path, `/${g.receiver}`)
      assert.equal(got.body.receiver, g.receiver)
      assert.equal(got.body.status, 'firing')
      assert.deepEqual(got.body.groupLabels, g.groupLabels)
      assert.deepEqual(got.body.alerts.map((a: { fingerprint: string }) => a.fingerprint), g.alerts.map(a => a.fingerprint), g.groupKey)
    }
    return true
  }, { what: 'a notification for every predicted group', timeoutMs: 20_000 })
  const keys = new Set([...expected.values()].map(g => g.groupKey))
  assert.deepEqual(sink.requests.filter(r => !keys.has(r.body.groupKey)).map(r => r.body.groupKey), [], 'notifications for groups we did not predict')
})

test('resolve: what Alertmanager sends as alerts resolve is what decide.ts decides', async () => {
  const groupKey = routeAlert(config.route, F1).find(d => d.route.options.receiver === 'frontend')!.groupKey
  const first = lastFor(groupKey)!
  const route = matchRoutes(config.route, F1)[0]
  const timing = { groupWaitMs: route.options.groupWaitMs, groupIntervalMs: route.options.groupIntervalMs, repeatIntervalMs: route.options.repeatIntervalMs, sendResolved: true }
  let group = ours.filter(a => routeAlert(config.route, a.labels).some(d => d.groupKey === groupKey)).sort(compareAlerts)
  let log: NotificationLogEntry = { at: first.receivedAt, firing: new Set(group.map(a => a.fingerprint)), resolved: new Set() }

  async function resolve (labels: LabelSet[]): Promise<void> {
    const before = sink.requests.length
    const now = Date.now()
    const postable = labels.map(l => ({ labels: l, endsAt: new Date(now).toISOString() }))
    assert.equal((await post(`${am.url}/api/v2/alerts`, postable)).status, 200)
    const incoming = postable.map(p => normalizeAlert(p, now, config.resolveTimeoutMs))
    group = group.map(held => { const i = incoming.find(n => n.fingerprint === held.fingerprint); return i === undefined ? held : mergeAlert(held, i, now) })
    const sent = await waitFor(() => sink.requests.slice(before).find(r => r.body.groupKey === groupKey), { what: 'a notification after the resolve', timeoutMs: 20_000 })
    const d = decide({ now: now + 1, group: { createdAt: 0, lastFlushAt: now + 1 - timing.groupIntervalMs }, alerts: group, lastNotified: log, ...timing })
    assert.equal(d.notify, true, d.detail)
    const byStatus = (status: string): string[] => sent.body.alerts.filter((a: { status: string }) => a.status === status).map((a: { fingerprint: string }) => a.fingerprint)
    assert.deepEqual(byStatus('firing'), d.firing.map(a => a.fingerprint), d.reason)
    assert.deepEqual(byStatus('resolved'), d.resolved.map(a => a.fingerprint), d.reason)
    assert.equal(sent.body.status, d.firing.length > 0 ? 'firing' : 'resolved')
    log = d.log!
    group = group.filter(a => !d.expired.includes(a.fingerprint))
  }

  await resolve([F1])
  await resolve([F2, F5, F6])
  assert.equal(group.length, 0)
})

test('validation: Alertmanager keeps exactly the alerts normalizeAlerts accepts from a mixed batch', async () => {
  const now = Date.now()
  const batch = [
    { labels: { 'foo-bar': 'x' } },
    { labels: { only_empty: '' } },
    { labels: { alertname: 'BadAnnotation' }, annotations: { 'bad-name': 'x' } },
    { labels: { alertname: 'Backwards' }, startsAt: new Date(now).toISOString(), endsAt: new Date(now - 3_600_000).toISOString() },
    { labels: { alertname: 'TooEarly' }, startsAt: new Date(now + 3_600_000).toISOString() },
    { labels: { alertname: 'AcceptedDespiteTheBatch', blank: '' } }
  ]
  const res = await post(`${am.url}/api/v2/alerts`, batch)
  assert.equal(res.status, 400)
  const { alerts, problems } = normalizeAlerts(batch, now, config.resolveTimeoutMs)
  assert.deepEqual(alerts.map(a => a.labels), [{ alertname: 'AcceptedDespiteTheBatch' }])
  assert.deepEqual(problems.map(p => p.field), ['0.labels.foo-bar', '1.labels', '2.annotations.bad-name', '3.endsAt', '4.startsAt'])
  const theirs = await waitFor(async () => { const m = await amAlerts(); return m.has(key(alerts[0].labels)) ? m : undefined }, { what: 'the valid alert to be stored' })
  assert.equal(theirs.get(key(alerts[0].labels))!.fingerprint, alerts[0].fingerprint)
  for (const bad of ['BadAnnotation', 'Backwards', 'TooEarly']) assert.ok(!theirs.has(key({ alertname: bad })), bad)
})
