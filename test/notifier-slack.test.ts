// The Slack receiver against a local stand-in for Slack's incoming webhook that accepts at most
// one message per second and answers anything faster with 429 and Retry-After, as Slack does.
// Its first second counts as already used (another app posted), so the notifier meets a 429 at once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { Notifier } from '../src/notifier/notifier.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'
import fs from 'node:fs'

const GROUPS = ['Disk', 'Cpu', 'Memory', 'Latency', 'Errors', 'Queue']

test('slack: one message per group, none lost or duplicated, never faster than 1/s, 429 Retry-After honoured', { timeout: 60_000 }, async () => {
  let lastAccepted = Date.now()
  const accepted: { at: number, body: any }[] = []
  let tooFast = 0
  const slack = await WebhookSink.start(req => {
    const now = Date.now()
    if (now - lastAccepted < 1000) { tooFast++; return { status: 429, headers: { 'retry-after': '1' }, body: '{"ok":false,"error":"rate_limited","retry_after":1}' } }
    lastAccepted = now
    accepted.push({ at: now, body: req.body })
    return { status: 200, body: 'ok' }
  })
  const logLines: string[] = []
  const logger = pino({ level: 'debug' }, new Writable({ write (chunk, _enc, cb) { logLines.push(String(chunk)); cb() } }))
  const hook = `${slack.url}/services/T000/B000/SECRETTOKEN`
  const dir = tempDir('tidewatch-slack-')
  const configFile = path.join(dir, 'routing.yml')
  fs.writeFileSync(configFile, `
route:
  receiver: slack
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1s
receivers:
  - name: slack
    slack_configs: [{ api_url: '${hook}', channel: '#alerts' }]
`)
  const notifier = await Notifier.start({ configFile, dataDir: path.join(dir, 'data'), logger, backoff: { initialMs: 100, maxMs: 2000 } })
  try {
    const body = GROUPS.flatMap(alertname => [1, 2].map(i => ({ labels: { alertname, instance: `host-${i}`, env: 'prod' }, annotations: { summary: `${alertname} on host-${i}` } })))
    assert.deepEqual(notifier.post(body).problems, [])
    await waitFor(() => notifier.pendingNotifications === 0 && accepted.length >= GROUPS.length, { what: 'every group delivered to Slack', timeoutMs: 30_000 })

    const titles = accepted.map(a => a.body.attachments[0].title as string)
    assert.deepEqual([...titles].sort(), GROUPS.map(g => `[FIRING:2] ${g} (prod)`).sort(), 'each group exactly once')
    for (const a of accepted) {
      const att = a.body.attachments[0]
      assert.equal(att.color, 'danger')
      assert.equal(a.body.channel, '#alerts')
      assert.match(att.text, /instance=host-1 — \w+ on host-1\n• instance=host-2/)
      assert.match(att.title_link, /\/#\/alerts\?receiver=slack$/)
    }
    const gaps = accepted.slice(1).map((a, i) => a.at - accepted[i].at)
    assert.ok(gaps.every(g => g >= 1000), `gaps between accepted messages: ${gaps.join(', ')} ms`)
    assert.ok(tooFast >= 1, 'the 429 path was exercised')
    // Pacing itself, the notifier meets a 429 about once (the first second is taken); arrival
    // jitter on a loaded machine can add one now and then. Without its own limit it would send
    // every group at once and retry them all each second: 6 + 5 + 4 + 3 + 2 + 1 = 21 answers of 429.
    assert.ok(tooFast <= GROUPS.length, `the notifier kept to the limit itself (${tooFast} answered 429)`)
    assert.ok(notifier.deliveries.every(d => d.outcome === 'delivered'))
    const logs = logLines.join('')
    assert.ok(logs.includes('429'), 'the rate-limited attempt was logged')
    assert.ok(!logs.includes('SECRETTOKEN'), 'the webhook URL never reaches the log')
  } finally {
    await notifier.close()
    await slack.stop()
  }
})
