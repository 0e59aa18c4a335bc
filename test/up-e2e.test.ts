// `tidewatch up` as a user runs it: the bundled logs-handler project, one port for everything.
// A 404 line comes in over HTTP ingest; the function (from zero replicas) makes an alert; the
// notifier holds it; its generatorURL leads to the record and its neighbours in the log store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import net from 'node:net'
import { CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { startUp } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'
import type { FunctionStatus } from '../src/scaling/function-controller.js'
import { accessLogRecord, DEMO_PODS, seededRandom } from '../src/demo/access-logs.js'


async function json<T> (url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init)
  assert.ok(res.ok, `${url}: HTTP ${res.status} ${await res.clone().text()}`)
  return await res.json() as T
}


test('tidewatch up: a 404 line ingested over HTTP becomes an alert that links to the line in its context; Ctrl-C stops everything', async () => {
  const dir = tempDir()
  const { process: up, url: api } = await startUp({ dataDir: path.join(dir, 'data'), env: { TIDEWATCH_LOG_LEVEL: 'info' } })
  try {
    assert.ok(up.lines.some(l => /functions\s+logs-handler \(0-10 replicas, reading logs\)/.test(l)), up.lines.join('\n'))

    const quiet = (await json<{ functions: FunctionStatus[] }>(`${api}/api/v1/functions`)).functions[0]
    assert.equal(quiet.replicas.current, 0, 'no replica before any log line')

    // A few ordinary lines from the same pod, the 404, and more lines after it.
    const rand = seededRandom(7)
    const pod = DEMO_PODS[0]
    const line = (status: 200 | 404): unknown => JSON.parse(accessLogRecord(rand, { now: new Date(), pod, status }))
    const body = [line(200), line(200), line(200), line(404), line(200), line(200)]
    const ingested = await json<{ accepted: number }>(`${api}/api/v1/ingest/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    assert.equal(ingested.accepted, 6)

    const alerts = await waitFor(async () => {
      const list = await json<{ labels: Record<string, string>, generatorURL: string }[]>(`${api}/api/v2/alerts`)
      return list.length > 0 ? list : null
    }, { what: 'the alert in the notifier', timeoutMs: 60_000 })
    assert.equal(alerts.length, 1)
    assert.equal(alerts[0].labels.alertname, '404 Request')
    assert.equal(alerts[0].labels.namespace, 'demo-project')
    assert.equal(alerts[0].labels.pod, pod.pod)
    await waitFor(() => up.lines.some(l => l.startsWith('alert firing') && l.includes(pod.pod)), { what: 'the alert printed' })
    assert.ok(up.lines.some(l => /logs-handler {2}0 → 1 {2}lag \d+ > activationLagThreshold 0/.test(l)), `the activation printed:\n${up.lines.join('\n')}`)

    // The alert's link names the exact record; the log store gives it with its neighbours.
    const link = new URL(alerts[0].generatorURL)
    assert.equal(link.origin, new URL(api).origin, 'alerts link to this console')
    const [topic, partition, offset] = ['topic', 'partition', 'offset'].map(k => link.searchParams.get(k))
    const context = await json<{ before: { value: string }[], anchor: { value: string }, after: { value: string }[] }>(
      `${api}/api/v1/topics/${topic}/partitions/${partition}/offsets/${offset}/context?before=5&after=5&samePod=true`)
    assert.match(context.anchor.value, / 404 /)
    assert.equal(context.before.length, 3, 'the three lines before it')
    assert.equal(context.after.length, 2, 'the two lines after it')

    const busy = (await json<{ functions: FunctionStatus[] }>(`${api}/api/v1/functions`)).functions[0]
    assert.equal(busy.lastEvent?.from, 0)
    assert.ok((busy.lastEvent?.to ?? 0) >= 1, 'the autoscaler started a replica')
  } finally {
    const code = await up.stop('SIGINT')
    assert.equal(code, 0, up.stderr.split('\n').filter(l => !l.includes('"level":30')).join('\n'))
  }
  const pids = up.stderr.split('\n').filter(l => l.includes('"replica process started"')).map(l => (JSON.parse(l) as { pid: number }).pid)
  assert.ok(pids.length >= 1)
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'every replica process has exited')
  assert.ok(fs.existsSync(path.join(dir, 'data', 'notifier')), 'the notifier keeps its state in the data dir')
})

test('tidewatch up with a token: every route needs it, and the functions\' alerts still reach the notifier', async () => {
  const dir = tempDir()
  const { process: up, url: api } = await startUp({ dataDir: path.join(dir, 'data'), token: 's3cret-token' })
  const auth = { authorization: 'Bearer s3cret-token' }
  try {
    for (const route of ['/api/v1/functions', '/api/v2/alerts', '/api/v1/topics', '/metrics']) {
      assert.equal((await fetch(`${api}${route}`)).status, 401, `${route} without the token`)
      assert.equal((await fetch(`${api}${route}`, { headers: { authorization: 'Bearer wrong' } })).status, 401, `${route} with a wrong token`)
    }
    const line = accessLogRecord(seededRandom(3), { now: new Date(), pod: DEMO_PODS[1], status: 404 })
    const ingest = await fetch(`${api}/api/v1/ingest/logs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: line })
    assert.equal(ingest.status, 200)
    const alerts = await waitFor(async () => {
      const list = await json<{ labels: Record<string, string> }[]>(`${api}/api/v2/alerts`, { headers: auth })
      return list.length > 0 ? list : null
    }, { what: 'the alert, posted by a replica that has no token', timeoutMs: 60_000 })
    assert.equal(alerts[0].labels.pod, DEMO_PODS[1].pod)
    assert.ok(!up.stderr.includes('s3cret-token') && !up.lines.join('\n').includes('s3cret-token'), 'the token is never printed')
  } finally {
    assert.equal(await up.stop('SIGTERM'), 0)
  }
})

test('tidewatch up on a broker port another program holds: a clear message and exit code 2, not a stack trace', async () => {
  const other = net.createServer()
  await new Promise<void>(resolve => other.listen(0, '127.0.0.1', resolve))
  const port = (other.address() as net.AddressInfo).port
  try {
    const r = await run(process.execPath, [CLI, 'up', '--broker-port', String(port), '--port', '0', '--data-dir', path.join(tempDir(), 'data')], { timeoutMs: 60_000 })
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stderr.trim(), `tidewatch: 127.0.0.1:${port} is already in use by another program; pick another port (--port, --broker-port; 0 picks a free one) or stop that program`)
  } finally {
    other.close()
  }
})

test('tidewatch up --demo: the storm needs several replicas (each 404 costs an owner lookup), and the alerts carry the owner', async () => {
  const dir = tempDir()
  const up = new LineProcess(process.execPath, [CLI, 'up', '--demo', '--port', '0', '--broker-port', '0', '--data-dir', path.join(dir, 'data')], { ALERTMANAGER_URL: undefined, TIDEWATCH_PUBLIC_URL: undefined, SLACK_WEBHOOK_URL: undefined, TIDEWATCH_API_TOKEN: undefined, TIDEWATCH_DEMO_ENRICH_URL: undefined })
  try {
    await waitFor(() => up.lines.some(l => l.startsWith('Ctrl-C')) || up.child.exitCode !== null, { what: 'up --demo to start', timeoutMs: 60_000 })
    assert.ok(up.lines.some(l => /each 404 costs an owner lookup of ~30 ms/.test(l)), 'the demo says what its load costs')
    // The first storm starts 10 s into the cycle and lasts 4 s.
    const step = await waitFor(() => up.lines.find(l => /logs-handler {2}\d+ → ([2-9]|\d\d) /.test(l)), { what: 'a scaling step to 2 or more replicas', timeoutMs: 120_000 })
    assert.match(step, /lag \d+ \/ lagThreshold 10/)
    await waitFor(() => up.lines.some(l => l.startsWith('alert firing') && l.includes('team=web')), { what: 'an alert with the owner from the lookup', timeoutMs: 60_000 })
  } finally {
    assert.equal(await up.stop('SIGINT'), 0, up.stderr.slice(-2000))
  }
})
