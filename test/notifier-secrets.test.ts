// Secrets in the routing file stay secret. `tidewatch up` runs with a routing file holding a
// webhook URL with user:password, a token in its path and its query, a Slack webhook URL, an SMTP
// password and a URL in a YAML comment, logging at debug level; the receivers answer with errors
// that echo what they were sent. None of the secrets appears in GET /api/v2/status, in any line
// the process prints, in the console's delivery status or in the data dir — and the webhook
// with user:password is delivered, its credentials sent as an Authorization header.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { CLI, LineProcess, tempDir } from './helpers/processes.js'
import { LOGS_HANDLER_PROJECT } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'

const SECRETS = ['PASSWORD1', 'PATHTOKEN1234', 'QUERYTOKEN1', 'SLACKSECRET1', 'SMTPSECRET1', 'COMMENTSECRET1']
const BASIC = Buffer.from('alice:PASSWORD1').toString('base64')

async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

interface Deliveries { groups: { receiver: string, integrations: { integration: string, last: { outcome: string, reason: string | null } | null }[] }[] }

test('no secret of the routing file reaches the status API, the logs, the delivery status or the data dir; URL credentials go as Authorization', { timeout: 120_000 }, async () => {
  let hookCalls = 0
  // The first answer echoes the request line and its credentials, as a careless proxy might.
  const hook = await WebhookSink.start(req => ++hookCalls === 1
    ? { status: 503, body: `upstream down for POST http://alice:PASSWORD1@${req.headers.host}${req.path} (path ${req.path}, authorization ${req.headers.authorization})` }
    : { status: 200 })
  let slackCalls = 0
  const slack = await WebhookSink.start(req => ++slackCalls === 1 ? { status: 500, body: `no such hook ${req.path}` } : { status: 400, body: `invalid_token for ${req.path}` })
  const dir = tempDir('tidewatch-secrets-')
  const routing = path.join(dir, 'routing.yml')
  fs.writeFileSync(routing, `
# The old receiver, kept for reference: https://bob:COMMENTSECRET1@hooks.example.com/services/COMMENTSECRET1
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 100ms
  group_interval: 1s
  routes:
    - { matchers: [alertname="ToSlack"], receiver: slack }
    - { matchers: [alertname="ToMail"], receiver: mail }
receivers:
  - name: hook
    webhook_configs: [{ url: '${hook.url.replace('http://', 'http://alice:PASSWORD1@')}/hook/PATHTOKEN1234?token=QUERYTOKEN1' }]
  - name: slack
    slack_configs: [{ api_url: '${slack.url}/services/T0/B0/SLACKSECRET1' }]
  - name: mail
    email_configs: [{ to: oncall@example.com, from: tidewatch@example.com, smarthost: '127.0.0.1:${await closedPort()}', auth_username: alerts, auth_password: SMTPSECRET1, require_tls: false }]
`)
  const project = path.join(dir, 'tidewatch.yaml')
  fs.writeFileSync(project, `functions: ['${path.join(path.dirname(LOGS_HANDLER_PROJECT), 'function.yaml')}']\nnotifier: ./routing.yml\n`)
  const dataDir = path.join(dir, 'data')
  const up = new LineProcess(process.execPath, [CLI, 'up', '--config', project, '--port', '0', '--broker-port', '0', '--data-dir', dataDir],
    { ...process.env, TIDEWATCH_LOG_LEVEL: 'debug', ALERTMANAGER_URL: undefined, TIDEWATCH_PUBLIC_URL: undefined, SLACK_WEBHOOK_URL: undefined, TIDEWATCH_API_TOKEN: undefined })
  try {
    await waitFor(() => {
      if (up.child.exitCode !== null) throw new Error(`tidewatch up exited: ${up.stderr}`)
      return up.lines.some(l => l.startsWith('Ctrl-C'))
    }, { what: 'tidewatch up to start', timeoutMs: 60_000 })
    const api = up.lines.find(l => l.trim().startsWith('console'))!.trim().split(/\s+/)[1].replace(/\/$/, '')
    const res = await fetch(`${api}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(['Hooked', 'ToSlack', 'ToMail'].map(alertname => ({ labels: { alertname } }))) })
    assert.equal(res.status, 200)

    // The webhook: refused once (with the echo), then delivered with Basic credentials.
    const delivered = await waitFor(() => hook.requests[1], { what: 'the webhook delivered after its 503' })
    assert.equal(delivered.headers.authorization, `Basic ${BASIC}`)
    assert.equal(delivered.path, '/hook/PATHTOKEN1234?token=QUERYTOKEN1')
    const deliveries = async (): Promise<Deliveries> => await (await fetch(`${api}/console/api/deliveries`)).json() as Deliveries
    const outcome = async (integration: string): Promise<{ outcome: string, reason: string | null } | undefined> =>
      (await deliveries()).groups.flatMap(g => g.integrations).find(i => i.integration === integration)?.last ?? undefined
    await waitFor(async () => (await outcome('hook/webhook/0'))?.outcome === 'delivered', { what: 'the webhook delivery in the console' })
    const refused = await waitFor(async () => await outcome('slack/slack/0'), { what: 'Slack\'s refusal in the console' })
    assert.equal(refused.outcome, 'failed')
    assert.match(refused.reason ?? '', /^slack\/slack\/0 \(http:\/\/127\.0\.0\.1:\d+\/\[redacted\]\): HTTP 400: invalid_token for \[redacted\]$/)
    await waitFor(() => /ECONNREFUSED/.test(up.stderr), { what: 'the e-mail failure logged' })
    assert.match(up.stderr, /HTTP 503: upstream down/, 'the webhook\'s echoing answer was logged (redacted)')

    const status = await (await fetch(`${api}/api/v2/status`)).json() as { config: { original: string } }
    assert.ok(!status.config.original.includes('old receiver'), 'comments are not shown')
    assert.match(status.config.original, /auth_password: <secret>/)
    assert.match(status.config.original, /url: http:\/\/127\.0\.0\.1:\d+\/<secret>/)
    const shown: Record<string, string> = {
      status: JSON.stringify(status),
      receivers: await (await fetch(`${api}/api/v2/receivers`)).text(),
      deliveries: JSON.stringify(await deliveries()),
      stdout: up.lines.join('\n'),
      stderr: up.stderr
    }
    for (const f of fs.readdirSync(path.join(dataDir, 'notifier'))) shown[`notifier/${f}`] = fs.readFileSync(path.join(dataDir, 'notifier', f), 'utf8')
    assert.match(shown.stderr, /"level":20,.*"msg":"flushed"/, 'debug logging was on')
    for (const [where, text] of Object.entries(shown)) {
      for (const secret of [...SECRETS, BASIC]) assert.ok(!text.includes(secret), `${secret} appears in ${where}`)
    }
  } finally {
    await up.stop('SIGINT')
    await up.stop('SIGKILL')
    await hook.stop()
    await slack.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
