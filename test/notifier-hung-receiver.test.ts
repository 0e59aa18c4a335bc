// A receiver that hangs must not hold its integration forever. `tidewatch notifier` delivers six
// groups to a real HTTP server that first accepts connections and never answers, then sends the
// headers of an answer and never finishes its body, then recovers: every request is cut off at
// the receiver's `timeout`, the delivery worker and its retries carry on (more attempts than the
// four the integration may have in flight), and once the server answers every group is
// delivered, once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { CLI, LineProcess, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

type Mode = 'silent' | 'stalled body' | 'answering'

/** A webhook receiver whose behaviour the test switches; it counts attempts per mode. */
async function hangingReceiver (): Promise<{ url: string, mode: Mode, attempts: Map<Mode, number>, delivered: string[], stop: () => Promise<void> }> {
  const state = { mode: 'silent' as Mode, attempts: new Map<Mode, number>(), delivered: [] as string[] }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const mode = state.mode
      state.attempts.set(mode, (state.attempts.get(mode) ?? 0) + 1)
      if (mode === 'silent') return // accepted, read, never answered
      if (mode === 'stalled body') {
        res.writeHead(503, { 'content-type': 'text/plain', 'content-length': '1000' })
        res.write('overloa') // and never the rest
        return
      }
      state.delivered.push(JSON.parse(Buffer.concat(chunks).toString()).groupLabels.alertname)
      res.writeHead(200).end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  })
}

const GROUPS = ['G1', 'G2', 'G3', 'G4', 'G5', 'G6']

test('a receiver that never answers, then never finishes its answer, then recovers: every group is delivered once', { timeout: 120_000 }, async () => {
  const receiver = await hangingReceiver()
  const dir = tempDir('tidewatch-hung-')
  const configFile = path.join(dir, 'routing.yml')
  fs.writeFileSync(configFile, `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 10m
receivers:
  - name: hook
    webhook_configs: [{ url: '${receiver.url}/hook', timeout: 1s }]
`)
  const p = new LineProcess(process.execPath, [CLI, 'notifier', '--config', configFile, '--port', '0', '--data-dir', path.join(dir, 'data')])
  try {
    const line = await waitFor(() => p.lines.find(l => l.includes('listening on')), { what: `the notifier to listen (stderr: ${p.stderr})` })
    const url = /listening on (http:\/\/\S+)/.exec(line)![1]
    const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(GROUPS.map(alertname => ({ labels: { alertname } }))) })
    assert.equal(res.status, 200)

    // At most 4 requests are in flight per integration: 8 attempts means hung ones were cut off
    // and the worker went on to the others and to retries.
    await waitFor(() => (receiver.attempts.get('silent') ?? 0) >= 8, { what: 'attempts to go on past requests that are never answered', timeoutMs: 60_000 })
    receiver.mode = 'stalled body'
    await waitFor(() => (receiver.attempts.get('stalled body') ?? 0) >= 8, { what: 'attempts to go on past answers whose body never ends', timeoutMs: 60_000 })
    receiver.mode = 'answering'
    await waitFor(() => GROUPS.every(g => receiver.delivered.includes(g)), { what: 'every group delivered once the receiver answers', timeoutMs: 60_000 })
    assert.deepEqual([...receiver.delivered].sort(), GROUPS, 'each group delivered exactly once')
    assert.match(p.stderr, /no answer within 1000 ms/, 'the timeout is logged')
    assert.ok(!p.stderr.includes('/hook'), 'the receiver URL path is not logged')
  } finally {
    await p.stop('SIGKILL')
    await receiver.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
