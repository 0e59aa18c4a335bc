// The e-mail receiver against a local SMTP server (the smtp-server package) that requires a
// login: Alertmanager's email_configs shape, default subject and body carrying the group and its
// alerts, templated subject/body/headers, transient SMTP errors retried and permanent ones not,
// and the SMTP password never in a log line, an error or the status API.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { NotifierServer, postJson } from './helpers/notifier-server.js'
import { SmtpSink } from './helpers/notifier-smtp.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

const PASSWORD = 'hunter2-Sm7p-secret'
let transientLeft = 1

let smtp: SmtpSink
let server: NotifierServer
const logLines: string[] = []
const dir = tempDir('tidewatch-email-')

before(async () => {
  smtp = await SmtpSink.start({
    user: 'alerts',
    password: PASSWORD,
    rejectRcpt: address => {
      if (address === 'nobody@example.com') return { code: 550, message: 'No such user here' }
      if (address === 'busy@example.com' && transientLeft-- > 0) return { code: 451, message: 'Try again later' }
      return undefined
    }
  })
  server = await NotifierServer.start({
    dataDir: path.join(dir, 'data'),
    backoff: { initialMs: 50, maxMs: 200 },
    logger: pino({ level: 'debug' }, new Writable({ write (chunk, _enc, cb) { logLines.push(String(chunk)); cb() } })),
    config: `
global:
  smtp_smarthost: '127.0.0.1:${smtp.port}'
  smtp_from: 'tidewatch@example.com'
  smtp_auth_username: alerts
  smtp_auth_password: '${PASSWORD}'
  smtp_require_tls: false
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 100ms
  routes:
    - { receiver: custom, matchers: [alertname="Custom"] }
    - { receiver: refused, matchers: [alertname="Refused"] }
    - { receiver: busy, matchers: [alertname="Busy"] }
receivers:
  - name: ops
    email_configs: [{ to: 'ops@example.com, oncall@example.com', headers: { X-Team: '{{ .CommonLabels.team }}' } }]
  - name: custom
    email_configs:
      - to: custom@example.com
        headers: { Subject: '{{ len .Alerts }} x {{ .GroupLabels.alertname }} ({{ .Status }})' }
        text: '{{ range .Alerts }}{{ .Labels.instance }}={{ .Annotations.summary }};{{ end }}'
        html: '<p>{{ .CommonAnnotations.summary }}</p>'
  - name: refused
    email_configs: [{ to: nobody@example.com }]
  - name: busy
    email_configs: [{ to: busy@example.com }]
`
  })
})

after(async () => {
  await server?.close()
  await smtp?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
})

const mailTo = (address: string) => () => smtp.mails.find(m => m.to.includes(address))

test('email: the default subject and body carry the group and its alerts', { timeout: 20_000 }, async () => {
  const alerts = ['db-1', 'db-2'].map(instance => ({ labels: { alertname: 'DiskFull', instance, env: 'prod', team: 'storage' }, annotations: { summary: `disk on ${instance} is 97% full` }, generatorURL: `http://tw:8080/context?instance=${instance}` }))
  assert.equal((await postJson(`${server.url}/api/v2/alerts`, alerts)).status, 200)
  const mail = await waitFor(mailTo('ops@example.com'), { what: 'the e-mail to ops' })
  assert.deepEqual(mail.to.sort(), ['oncall@example.com', 'ops@example.com'])
  assert.equal(mail.from, 'tidewatch@example.com')
  assert.equal(mail.user, 'alerts', 'the notifier logged in')
  assert.equal(mail.subject, '[FIRING:2] DiskFull (prod storage)')
  assert.equal(mail.headers['x-team'], 'storage')
  for (const body of [mail.text, mail.html]) {
    assert.match(body, /alertname=DiskFull/)
    assert.match(body, /instance=db-1/)
    assert.match(body, /disk on db-2 is 97% full/)
  }
  assert.match(mail.text, /^\[FIRING:2\] DiskFull \(prod storage\)\n/)
  assert.match(mail.text, /• instance=db-1 — disk on db-1 is 97% full\n• instance=db-2 — disk on db-2 is 97% full/)
  assert.match(mail.html, /<a href="http:\/\/tw:8080\/context\?instance=db-1">source<\/a>/)
})

test('email: subject, body and headers from templates; HTML values escaped', { timeout: 20_000 }, async () => {
  const alerts = ['a', 'b'].map(instance => ({ labels: { alertname: 'Custom', instance }, annotations: { summary: '<b>x</b>' } }))
  assert.equal((await postJson(`${server.url}/api/v2/alerts`, alerts)).status, 200)
  const mail = await waitFor(mailTo('custom@example.com'), { what: 'the templated e-mail' })
  assert.equal(mail.subject, '2 x Custom (firing)')
  assert.equal(mail.text, 'a=<b>x</b>;b=<b>x</b>;')
  assert.equal(mail.html, '<p>&lt;b&gt;x&lt;/b&gt;</p>')
})

test('email: a 4xx answer is retried, a 5xx one is final; the password is never shown', { timeout: 20_000 }, async () => {
  assert.equal((await postJson(`${server.url}/api/v2/alerts`, [{ labels: { alertname: 'Busy' } }, { labels: { alertname: 'Refused' } }])).status, 200)
  await waitFor(mailTo('busy@example.com'), { what: 'the e-mail accepted after a 451' })
  const failed = await waitFor(() => server.notifier.deliveries.find(d => d.integration === 'refused/email/0'), { what: 'the refused e-mail recorded' })
  assert.equal(failed.outcome, 'failed')
  assert.match(failed.reason ?? '', /^refused\/email\/0 \(smtp:\/\/127\.0\.0\.1:\d+\): SMTP 550: .*No such user here/)
  const busy = server.notifier.deliveries.find(d => d.integration === 'busy/email/0')
  assert.equal(busy?.outcome, 'delivered')
  assert.equal(busy?.attempts, 2)
  assert.equal(smtp.mails.filter(m => m.to.includes('busy@example.com')).length, 1)

  const status = await (await fetch(`${server.url}/api/v2/status`)).text()
  assert.match(status, /auth_password: '?<secret>'?/)
  const everything = [status, logLines.join(''), JSON.stringify(server.notifier.deliveries), JSON.stringify(server.notifier.config)].join('\n')
  assert.ok(!everything.includes(PASSWORD), 'the SMTP password is not in the status API, the log, delivery records or the printed config')
  assert.ok(logLines.join('').includes('451'), 'the transient failure was logged')
})
