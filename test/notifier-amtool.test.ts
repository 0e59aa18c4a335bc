// Tidewatch's notifier driven by the real Alertmanager client, amtool (Debian's
// prometheus-alertmanager 0.25): alerts added and queried with filters, silences added, queried
// and expired, inhibition shown, the routing tree read from /api/v2/status. amtool parses every
// answer with Alertmanager's own generated API client, so a shape it cannot read fails here.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { NotifierServer, postJson } from './helpers/notifier-server.js'
import { run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'

const routing = (sink: string): string => `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
  routes:
    - receiver: pager
      matchers: [severity="critical"]
receivers:
  - name: hook
    webhook_configs: [{ url: '${sink}/hook/SECRETPATH' }]
  - name: pager
    webhook_configs: [{ url: '${sink}/pager/SECRETPATH' }]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [instance]
`

let sink: WebhookSink
let server: NotifierServer
const dir = tempDir('tidewatch-amtool-')

before(async () => {
  sink = await WebhookSink.start()
  server = await NotifierServer.start({ config: routing(sink.url), dataDir: path.join(dir, 'data') })
})

after(async () => {
  await server?.close()
  await sink?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Runs amtool against the notifier; fails the test on a non-zero exit, with amtool's stderr. */
async function amtool (...args: string[]): Promise<string> {
  const r = await run('amtool', [`--alertmanager.url=${server.url}`, ...args], { timeoutMs: 20_000 })
  assert.equal(r.code, 0, `amtool ${args.join(' ')}: ${r.stderr}`)
  return r.stdout
}

interface AmAlert { labels: Record<string, string>, fingerprint: string, receivers: { name: string }[], status: { state: string, silencedBy: string[], inhibitedBy: string[] } }
const instances = (alerts: AmAlert[]): string[] => alerts.map(a => a.labels.instance).sort()

test('amtool: alerts, filters, silences and inhibition against the notifier', { timeout: 50_000 }, async () => {
  await amtool('alert', 'add', 'alertname=AmtoolTest', 'instance=a', 'severity=warning', '--annotation=summary=hello from amtool')
  const hook = await waitFor(() => sink.requests.find(r => r.path === '/hook/SECRETPATH'), { what: 'the webhook notification for the alert amtool added' })
  assert.equal(hook.body.alerts[0].labels.instance, 'a')
  assert.equal(hook.body.alerts[0].annotations.summary, 'hello from amtool')

  const listed = JSON.parse(await amtool('alert', 'query', '-o', 'json')) as AmAlert[]
  assert.deepEqual(instances(listed), ['a'])
  assert.equal(listed[0].status.state, 'active')
  assert.deepEqual(listed[0].receivers, [{ name: 'hook' }])
  assert.match(await amtool('alert', 'query'), /AmtoolTest .* hello from amtool +active/)
  assert.deepEqual(JSON.parse(await amtool('alert', 'query', '-o', 'json', 'alertname=Other')), [])
  assert.deepEqual(instances(JSON.parse(await amtool('alert', 'query', '-o', 'json', 'instance=~"a|z"'))), ['a'])
  assert.deepEqual(JSON.parse(await amtool('alert', 'query', '-o', 'json', '--receiver=pager')), [])

  // A silence: amtool prints its id; the silenced alert drops out of the default query.
  const id = (await amtool('silence', 'add', 'alertname=AmtoolTest', 'instance=b', '--comment=maintenance', '--author=tester', '--duration=1h')).trim()
  assert.match(id, /^[0-9a-f-]{36}$/)
  await amtool('alert', 'add', 'alertname=AmtoolTest', 'instance=b', 'severity=warning')
  assert.deepEqual(instances(JSON.parse(await amtool('alert', 'query', '-o', 'json'))), ['a'])
  // --silenced alone lists only silenced alerts (amtool then asks for active=false).
  const silenced = JSON.parse(await amtool('alert', 'query', '-o', 'json', '--silenced')) as AmAlert[]
  assert.deepEqual(instances(silenced), ['b'])
  assert.deepEqual(silenced[0].status, { state: 'suppressed', silencedBy: [id], inhibitedBy: [] })
  assert.deepEqual(instances(JSON.parse(await amtool('alert', 'query', '-o', 'json', '--active', '--silenced'))), ['a', 'b'])

  const silences = JSON.parse(await amtool('silence', 'query', '-o', 'json')) as { id: string, status: { state: string }, createdBy: string, comment: string, matchers: unknown[] }[]
  assert.deepEqual(silences.map(s => [s.id, s.status.state, s.createdBy, s.comment]), [[id, 'active', 'tester', 'maintenance']])
  assert.deepEqual(silences[0].matchers, [{ name: 'alertname', value: 'AmtoolTest', isRegex: false, isEqual: true }, { name: 'instance', value: 'b', isRegex: false, isEqual: true }])
  assert.match(await amtool('silence', 'query', 'instance=b'), new RegExp(`${id} .*tester +maintenance`))
  assert.equal((await amtool('silence', 'query', '-q', 'instance=c')).trim(), '')

  // Expired: the alert is back in the default query, the silence only among the expired ones.
  await amtool('silence', 'expire', id)
  assert.deepEqual(instances(JSON.parse(await amtool('alert', 'query', '-o', 'json'))), ['a', 'b'])
  assert.equal((await amtool('silence', 'query', '-q')).trim(), '')
  assert.equal((await amtool('silence', 'query', '-q', '--expired')).trim(), id)

  // Inhibition: a critical alert on instance a mutes the warning on a, not the one on b.
  await amtool('alert', 'add', 'alertname=Down', 'instance=a', 'severity=critical')
  const inhibited = JSON.parse(await amtool('alert', 'query', '-o', 'json', '--inhibited', 'alertname=AmtoolTest')) as AmAlert[]
  const down = (JSON.parse(await amtool('alert', 'query', '-o', 'json', 'alertname=Down')) as AmAlert[])[0]
  assert.deepEqual(down.receivers, [{ name: 'pager' }])
  assert.deepEqual(instances(inhibited), ['a'])
  assert.deepEqual(inhibited[0].status, { state: 'suppressed', silencedBy: [], inhibitedBy: [down.fingerprint] })
  assert.deepEqual(instances(JSON.parse(await amtool('alert', 'query', '-o', 'json', 'alertname=AmtoolTest'))), ['b'])

  // The routing tree, read from /api/v2/status; the webhook URLs' paths are not shown.
  const routes = await amtool('config', 'routes')
  assert.match(routes, /default-route\s+receiver: hook/)
  assert.match(routes, /\{severity="critical"\}\s+receiver: pager/)
  const shown = await amtool('config', 'show')
  assert.match(shown, /receiver: hook/)
  assert.ok(!shown.includes('SECRETPATH'), 'webhook URL paths are redacted')
  // What the status API shows is a config Alertmanager itself loads (secrets as <secret>).
  const status = await (await fetch(`${server.url}/api/v2/status`)).json() as { config: { original: string } }
  const file = path.join(dir, 'shown.yml')
  fs.writeFileSync(file, status.config.original)
  const checked = await run('amtool', ['check-config', file], { timeoutMs: 20_000 })
  assert.equal(checked.code, 0, `amtool check-config: ${checked.stdout}${checked.stderr}\n${status.config.original}`)
})

test('API: bodies are capped, bad input is named, groups and receivers are listed', { timeout: 20_000 }, async () => {
  const huge = [{ labels: { alertname: 'Huge', blob: 'x'.repeat(5 * 1024 * 1024) } }]
  assert.equal((await postJson(`${server.url}/api/v2/alerts`, huge)).status, 413)
  const bigSilence = { matchers: [{ name: 'a', value: 'x'.repeat(100_000), isRegex: false }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 60_000).toISOString(), createdBy: 't', comment: '' }
  assert.equal((await postJson(`${server.url}/api/v2/silences`, bigSilence)).status, 413)

  const bad = await postJson(`${server.url}/api/v2/alerts`, [{ labels: { alertname: 'Fine' } }, { labels: { 'bad-name': 'x' } }])
  assert.equal(bad.status, 400)
  assert.match(await bad.text(), /1\.labels\.bad-name: invalid name/)
  const badFilter = await fetch(`${server.url}/api/v2/alerts?filter=${encodeURIComponent('alertname=~"("')}`)
  assert.equal(badFilter.status, 400)
  assert.equal((await fetch(`${server.url}/api/v2/alerts?active=maybe`)).status, 400)

  const groups = await (await fetch(`${server.url}/api/v2/alerts/groups?filter=${encodeURIComponent('alertname="Fine"')}`)).json() as { labels: object, receiver: { name: string }, alerts: { labels: object }[] }[]
  assert.deepEqual(groups.map(g => [g.labels, g.receiver.name, g.alerts.length]), [[{ alertname: 'Fine' }, 'hook', 1]])
  assert.deepEqual(await (await fetch(`${server.url}/api/v2/receivers`)).json(), [{ name: 'hook' }, { name: 'pager' }])
  assert.equal((await fetch(`${server.url}/api/v2/silence/no-such-id`)).status, 404)
  assert.equal((await fetch(`${server.url}/api/v2/silence/no-such-id`, { method: 'DELETE' })).status, 404)
  assert.equal(await (await fetch(`${server.url}/-/healthy`)).text(), 'OK')
})
