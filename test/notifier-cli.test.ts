// `tidewatch notifier` as a user runs it: a child process on a free port, an alert posted over
// HTTP reaches the webhook, Ctrl-C (SIGTERM) shuts it down cleanly; a token guards it when asked,
// and it refuses to listen beyond loopback without one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'

function routingFile (dir: string, sink: string): string {
  const file = path.join(dir, 'routing.yml')
  fs.writeFileSync(file, `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
receivers:
  - name: hook
    webhook_configs: [{ url: '${sink}/hook' }]
`)
  return file
}

async function listening (p: LineProcess): Promise<string> {
  const line = await waitFor(() => p.lines.find(l => l.includes('listening on')), { what: `the notifier to listen (stderr: ${p.stderr})` })
  return /listening on (http:\/\/\S+)/.exec(line)![1]
}

test('tidewatch notifier: an alert posted to the API reaches the webhook; SIGTERM stops it cleanly', { timeout: 30_000 }, async () => {
  const sink = await WebhookSink.start()
  const dir = tempDir('tidewatch-notifier-cli-')
  const p = new LineProcess(process.execPath, [CLI, 'notifier', '--config', routingFile(dir, sink.url), '--port', '0', '--data-dir', path.join(dir, 'data')])
  try {
    const url = await listening(p)
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ labels: { alertname: 'FromCli', instance: 'a' } }]) })
    assert.equal(res.status, 200, await res.text())
    const hook = await waitFor(() => sink.at('/hook')[0], { what: 'the webhook notification' })
    assert.equal(hook.body.groupKey, '{}:{alertname="FromCli"}')
    assert.equal(hook.body.externalURL, url)
    assert.equal(await p.stop('SIGTERM'), 0)
    assert.doesNotMatch(p.stderr, /"level":(50|60)/, 'no error logged on the way down')
    assert.ok(fs.existsSync(path.join(dir, 'data', 'nflog.jsonl')), 'the notification log is on disk')
  } finally {
    await p.stop('SIGKILL')
    await sink.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('tidewatch notifier: --token guards every request; a non-loopback host without a token is refused', { timeout: 30_000 }, async () => {
  const dir = tempDir('tidewatch-notifier-cli-')
  const file = routingFile(dir, 'http://127.0.0.1:9')
  const refused = await run(process.execPath, [CLI, 'notifier', '--config', file, '--host', '0.0.0.0', '--port', '0', '--data-dir', path.join(dir, 'data')], { env: { TIDEWATCH_API_TOKEN: '' } })
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /refusing to serve the notifier API on 0\.0\.0\.0 without a token/)

  const p = new LineProcess(process.execPath, [CLI, 'notifier', '--config', file, '--port', '0', '--token', 's3cret', '--data-dir', path.join(dir, 'data')])
  try {
    const url = await listening(p)
    assert.equal((await fetch(`${url}/api/v2/alerts`)).status, 401)
    assert.equal((await fetch(`${url}/api/v2/alerts`, { headers: { authorization: 'Bearer wrong!' } })).status, 401)
    assert.equal((await fetch(`${url}/api/v2/alerts`, { headers: { authorization: 'Bearer s3cret' } })).status, 200)
  } finally {
    await p.stop('SIGTERM')
  }

  fs.writeFileSync(file, 'route:\n  receiver: nobody\nreceivers: []\n')
  const bad = await run(process.execPath, [CLI, 'notifier', '--config', file, '--data-dir', path.join(dir, 'data')])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /routing\.yml:2:\d+: route\.receiver: no receiver named 'nobody'/)
  fs.rmSync(dir, { recursive: true, force: true })
})
