// `tidewatch up --token`: probed as an attacker on the same machine or network would probe it.
// Every listener of the process is found from /proc (not from what it prints), and every data
// route on each is asked without the token; the broker never leaves loopback; the token given
// in a file is not in the process's command line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { tempDir } from './helpers/processes.js'
import { startUp } from './helpers/tidewatch-up.js'
import { listeningSockets } from './helpers/sockets.js'
import { waitFor } from './helpers/wait.js'
import { accessLogRecord, DEMO_PODS, seededRandom } from '../src/demo/access-logs.js'

const TOKEN = 'up-security-token-7f3a9c'

// What an unauthenticated caller might try on any HTTP listener of `up`.
const PROBES: { method: string, path: string, body?: unknown }[] = [
  { method: 'GET', path: '/api/v2/alerts' },
  { method: 'GET', path: '/api/v2/alerts/groups' },
  { method: 'GET', path: '/api/v2/status' },
  { method: 'GET', path: '/api/v2/silences' },
  { method: 'GET', path: '/api/v2/receivers' },
  { method: 'POST', path: '/api/v2/alerts', body: [{ labels: { alertname: 'Injected' } }] },
  { method: 'POST', path: '/api/v2/silences', body: { matchers: [{ name: 'alertname', value: '.+', isRegex: true }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(), createdBy: 'x', comment: 'x' } },
  { method: 'DELETE', path: '/api/v2/silence/00000000-0000-0000-0000-000000000000' },
  { method: 'GET', path: '/api/v1/functions' },
  { method: 'GET', path: '/api/v1/events' },
  { method: 'GET', path: '/api/v1/topics' },
  { method: 'GET', path: '/api/v1/search?topic=logs' },
  { method: 'POST', path: '/api/v1/ingest/logs', body: { log: 'x' } },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: '/console/api/deliveries' },
  // The shippers' ingest APIs (src/ingest), the Elasticsearch handshake included (`GET /` is
  // the console's public page for a browser, Elasticsearch's root for any other client).
  { method: 'GET', path: '/' },
  { method: 'POST', path: '/_bulk', body: { create: {} } },
  { method: 'POST', path: '/logs/_bulk', body: { create: {} } },
  { method: 'GET', path: '/_cluster/health' },
  { method: 'GET', path: '/elasticsearch/' },
  { method: 'POST', path: '/loki/api/v1/push', body: { streams: [] } },
  { method: 'POST', path: '/v1/logs', body: { resourceLogs: [] } }
]

async function probe (base: string, p: typeof PROBES[number], authorization?: string): Promise<number> {
  const headers: Record<string, string> = {}
  if (p.body !== undefined) headers['content-type'] = 'application/json'
  if (authorization !== undefined) headers.authorization = authorization
  const res = await fetch(`${base}${p.path}`, { method: p.method, headers, body: p.body === undefined ? undefined : JSON.stringify(p.body) })
  await res.body?.cancel()
  return res.status
}

/** Whether the port answers HTTP at all (the broker speaks Kafka: it closes or never answers). */
async function speaksHttp (port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })
    await res.body?.cancel()
    return true
  } catch {
    return false
  }
}

test('up --token-file: no listener of the process answers a data route without the token, the replicas still deliver, the token is not in ps', async () => {
  const dir = tempDir()
  const tokenFile = path.join(dir, 'token')
  fs.writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 })
  const up = await startUp({ dataDir: path.join(dir, 'data'), tokenFile })
  const auth = `Bearer ${TOKEN}`
  try {
    const pid = up.process.child.pid!
    assert.ok(!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(TOKEN), 'the token is not on the command line')
    // A replica must be running for its listener to matter: make one by sending a 404.
    const line = accessLogRecord(seededRandom(5), { now: new Date(), pod: DEMO_PODS[0], status: 404 })
    assert.equal(await probe(up.url, { method: 'POST', path: '/api/v1/ingest/logs', body: JSON.parse(line) }, auth), 200)
    await waitFor(async () => {
      const res = await fetch(`${up.url}/api/v2/alerts`, { headers: { authorization: auth } })
      return ((await res.json()) as unknown[]).length > 0
    }, { what: 'the alert a replica posted through its own listener', timeoutMs: 60_000 })

    const brokerPort = Number(up.bootstrap.split(':').pop())
    const listeners = listeningSockets(pid)
    assert.ok(listeners.length >= 3, `the API, the broker and the replicas' listener: ${JSON.stringify(listeners)}`)
    let httpListeners = 0
    for (const l of listeners) {
      if (l.port === brokerPort) continue
      assert.ok(await speaksHttp(l.port), `port ${l.port} is HTTP`)
      httpListeners++
      for (const p of PROBES) {
        assert.equal(await probe(`http://127.0.0.1:${l.port}`, p), 401, `${p.method} ${p.path} on port ${l.port} without a token`)
        assert.equal(await probe(`http://127.0.0.1:${l.port}`, p, 'Bearer not-the-token'), 401, `${p.method} ${p.path} on port ${l.port} with a wrong token`)
      }
    }
    assert.ok(httpListeners >= 2, 'the main port and the replicas\' listener were both probed')
    const silences = await fetch(`${up.url}/api/v2/silences`, { headers: { authorization: auth } })
    assert.deepEqual(await silences.json(), [], 'no probe created a silence')
    const alerts = await (await fetch(`${up.url}/api/v2/alerts`, { headers: { authorization: auth } })).json() as { labels: Record<string, string> }[]
    assert.ok(!alerts.some(a => a.labels.alertname === 'Injected'), 'no probe injected an alert')
    assert.ok(!up.process.stderr.includes(TOKEN) && !up.process.lines.join('\n').includes(TOKEN), 'the token is never printed')
  } finally {
    assert.equal(await up.stop(), 0)
  }
})

test('up --host 0.0.0.0 --token: the API is exposed behind the token, the embedded broker stays on loopback', async () => {
  const dir = tempDir()
  const up = await startUp({ dataDir: path.join(dir, 'data'), token: TOKEN, host: '0.0.0.0' })
  try {
    const brokerPort = Number(up.bootstrap.split(':').pop())
    const apiPort = Number(new URL(up.url).port)
    const listeners = listeningSockets(up.process.child.pid!)
    const broker = listeners.filter(l => l.port === brokerPort)
    assert.ok(broker.length > 0)
    for (const l of broker) assert.match(l.address, /^(127\.0\.0\.1|::1)$/, 'the broker listens on loopback only')
    assert.ok(listeners.some(l => l.port === apiPort && (l.address === '0.0.0.0' || l.address === '::')), 'the API listens on every interface')
    for (const l of listeners.filter(x => x.port !== brokerPort && x.port !== apiPort)) assert.match(l.address, /^(127\.0\.0\.1|::1)$/, 'internal listeners stay on loopback')
    assert.equal(await probe(`http://127.0.0.1:${apiPort}`, { method: 'GET', path: '/api/v1/topics' }), 401)
  } finally {
    assert.equal(await up.stop(), 0)
  }
})
