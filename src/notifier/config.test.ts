import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { ConfigError } from '../functions/config/load.js'
import { parseNotifierConfig } from './config.js'
import { matchersString } from './matchers.js'

const FILE = 'routing.yml'

function problems (text: string): string[] {
  try {
    parseNotifierConfig(FILE, text)
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.message.split('\n')
  }
  assert.fail('expected a ConfigError')
}

const FULL = `
global:
  resolve_timeout: 10m
  slack_api_url: https://hooks.slack.com/services/T000/B000/GLOBALSECRET
  smtp_from: alerts@example.com
  smtp_smarthost: smtp.example.com:587
  smtp_auth_username: alerts
  smtp_auth_password: SMTPSECRET
route:
  receiver: team-slack
  group_by: [alertname, namespace]
  routes:
    - matchers: ['severity="critical"', 'namespace=~"prod-.*"']
      receiver: pager
      group_wait: 10s
      continue: true
    - match: { team: backend }
      match_re: { service: 'api|db' }
      receiver: mail
      repeat_interval: 1h30m
receivers:
  - name: team-slack
    slack_configs:
      - channel: '#alerts'
        title: '{{ .CommonLabels.alertname }}'
  - name: pager
    webhook_configs:
      - url: https://pager.example.com/hook?token=WEBHOOKSECRET
        max_alerts: 20
    alertmanager_configs:
      - url: http://notification-manager:19093
  - name: mail
    email_configs:
      - to: oncall@example.com
        require_tls: false
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
  - source_match: { severity: critical }
    target_match_re: { severity: 'info|debug' }
`

test('an Alertmanager routing file loads with its defaults; secrets never print', () => {
  const c = parseNotifierConfig(FILE, FULL)
  assert.equal(c.resolveTimeoutMs, 600_000)
  assert.deepEqual(c.route.options, { receiver: 'team-slack', groupBy: ['alertname', 'namespace'], groupByAll: false, groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 14_400_000 })
  const [pager, mail] = c.route.routes
  assert.deepEqual([pager.options.receiver, pager.options.groupWaitMs, pager.continue, pager.options.groupBy], ['pager', 10_000, true, ['alertname', 'namespace']])
  assert.equal(pager.key, '{}/{namespace=~"prod-.*",severity="critical"}')
  assert.deepEqual([mail.options.receiver, mail.options.repeatIntervalMs, mail.continue], ['mail', 5_400_000, false])
  assert.equal(mail.key, '{}/{service=~"^(?:api|db)$",team="backend"}')

  const slack = c.receivers.get('team-slack')!.integrations[0]
  assert.ok(slack.type === 'slack')
  assert.deepEqual([slack.index, slack.channel, slack.title?.source, slack.sendResolved], [0, '#alerts', '{{ .CommonLabels.alertname }}', false])
  assert.equal(slack.apiUrl.reveal(), 'https://hooks.slack.com/services/T000/B000/GLOBALSECRET')
  const [hook, forward] = c.receivers.get('pager')!.integrations
  assert.ok(hook.type === 'webhook' && forward.type === 'alertmanager')
  assert.deepEqual([hook.sendResolved, hook.maxAlerts, forward.sendResolved], [true, 20, true])
  const email = c.receivers.get('mail')!.integrations[0]
  assert.ok(email.type === 'email')
  assert.deepEqual([email.to, email.from, email.smarthost, email.hello, email.authUsername, email.requireTls, email.sendResolved],
    ['oncall@example.com', 'alerts@example.com', { host: 'smtp.example.com', port: 587 }, 'localhost', 'alerts', false, false])
  assert.equal(email.authPassword?.reveal(), 'SMTPSECRET')

  assert.deepEqual(c.inhibitRules.map(r => [matchersString(r.sourceMatchers), matchersString(r.targetMatchers), r.equal]), [
    ['{severity="critical"}', '{severity="warning"}', ['alertname']],
    ['{severity="critical"}', '{severity=~"^(?:info|debug)$"}', []]
  ])
  const printed = inspect(c, { depth: 10 }) + JSON.stringify([...c.receivers.values()])
  for (const secret of ['GLOBALSECRET', 'WEBHOOKSECRET', 'SMTPSECRET']) assert.ok(!printed.includes(secret), secret)
  assert.ok(printed.includes('https://pager.example.com/[redacted]'))
})

test('group_by: ... groups by every label; an empty list inherits', () => {
  const c = parseNotifierConfig(FILE, [
    'route:', '  receiver: r', '  group_by: [alertname]', '  routes:',
    "    - { receiver: r, group_by: ['...'] }",
    '    - { receiver: r, group_by: [] }',
    'receivers: [{ name: r }]'
  ].join('\n'))
  assert.deepEqual(c.route.routes.map(r => [r.options.groupByAll, r.options.groupBy]), [[true, ['alertname']], [false, ['alertname']]])
})

test('every problem at once, as file:line:column: field: what to fix', () => {
  const lines = problems([
    'route:',
    '  receiver: nobody',
    '  group_wait: 30',
    '  routes:',
    '    - matchers: [\'severity=~"(crit"\']',
    '      group_by: [alertname, alertname, bad-name]',
    '      recevier: x',
    '    - receiver: missing',
    '      group_interval: 0s',
    'receivers:',
    '  - name: hook',
    '    webhook_configs: [{ url: "ftp://x" }]',
    '  - name: pd',
    '    pagerduty_configs: [{ service_key: k }]',
    '  - name: hook',
    '  - name: slack',
    '    slack_configs: [{ channel: "#x" }]',
    '  - name: mail',
    '    email_configs: [{ to: a@b.c }]',
    'inhibit_rules:',
    '  - source_match_re: { severity: "(" }',
    '    equal: [bad-name]',
    'templates: [/etc/alertmanager/*.tmpl]'
  ].join('\n'))
  assert.deepEqual(lines, [
    "routing.yml:21:34: inhibit_rules.0.source_match_re.severity: regex '(': invalid regular expression: missing closing ): `(`",
    'routing.yml:22:13: inhibit_rules.0.equal.0: invalid label name; use letters, digits and _, not starting with a digit',
    "routing.yml:23:12: templates: template files are not supported; write the template in the receiver field itself, e.g. title: '{{ .GroupLabels.alertname }}' (docs/notifier.md, Templates)",
    'routing.yml:3:15: route.group_wait: expected a duration such as 30s, 5m or 1h30m',
    "routing.yml:6:29: route.routes.0.group_by.1: 'alertname' is listed twice",
    "routing.yml:6:40: route.routes.0.group_by.2: invalid label name 'bad-name'",
    `routing.yml:5:18: route.routes.0.matchers.0: matcher 'severity=~"(crit"': invalid regular expression: missing closing ): \`(crit\``,
    "routing.yml:7:17: route.routes.0.recevier: unknown field 'recevier'; supported here: receiver, group_by, continue, matchers, match, match_re, group_wait, group_interval, repeat_interval, routes",
    'routing.yml:9:23: route.routes.1.group_interval: must be longer than 0',
    'routing.yml:12:30: receivers.0.webhook_configs.0.url: expected an http:// or https:// URL',
    "routing.yml:14:24: receivers.1.pagerduty_configs: receiver type 'pagerduty' is not supported; supported: webhook_configs, slack_configs, email_configs, alertmanager_configs",
    "routing.yml:15:11: receivers.2.name: a receiver named 'hook' is already defined; names must be unique",
    'routing.yml:17:21: receivers.3.slack_configs.0.api_url: required, here or as global.slack_api_url',
    'routing.yml:19:21: receivers.4.email_configs.0.from: required, here or as global.smtp_from',
    'routing.yml:19:21: receivers.4.email_configs.0.smarthost: required, here or as global.smtp_smarthost',
    "routing.yml:8:17: route.routes.1.receiver: no receiver named 'missing'; defined receivers: 'hook', 'pd', 'slack', 'mail'",
    "routing.yml:2:13: route.receiver: no receiver named 'nobody'; defined receivers: 'hook', 'pd', 'slack', 'mail'"
  ])
})

test('message templates are compiled and tried at load; mistakes name the field and line', () => {
  assert.deepEqual(problems([
    'route: { receiver: r }',
    'receivers:',
    '  - name: r',
    '    slack_configs:',
    "      - api_url: 'https://hooks.slack.test/x'",
    "        title: '{{ .Status | shout }}'",
    "        text: '{{ range .Alerts }}'",
    "        pretext: '{{ template \"slack.default.title\" . }}'"
  ].join('\n')), [
    "routing.yml:6:16: receivers.0.slack_configs.0.title: template: unknown function 'shout'; available: len, toUpper, toLower, title, trimSpace, join, urlquery, html, number, truncate, default, eq, ne, lt, le, gt, ge, not, and, or",
    'routing.yml:7:15: receivers.0.slack_configs.0.text: template: at offset 2: {{ range }} without {{ end }}'
  ])
})

test('global: durations and unsupported Alertmanager fields', () => {
  assert.deepEqual(problems('global:\n  resolve_timeout: 5 minutes\n  http_config: {}\nroute: { receiver: r }\nreceivers: [{ name: r }]'), [
    "routing.yml:2:20: global.resolve_timeout: '5 minutes' is not a duration; write it like 30s, 5m, 1h30m or 1d",
    'routing.yml:3:16: global.http_config: http_config is not supported yet; put credentials in the URL or remove it'
  ])
  assert.deepEqual(problems('route: { receiver: r, mute_time_intervals: [night] }\nreceivers: [{ name: r }]'), [
    'routing.yml:1:44: route.mute_time_intervals: time intervals are not supported yet; remove it'
  ])
})

test('the root route: needs a receiver, matches everything, has no continue', () => {
  assert.deepEqual(problems('route: { group_by: [a] }\nreceivers: [{ name: r }]'), ['routing.yml:1:8: route.receiver: required on the root route: it takes every alert no child route takes'])
  assert.deepEqual(problems('route: { receiver: r, matchers: [a="b"], continue: true }\nreceivers: [{ name: r }]'), [
    'routing.yml:1:33: route.matchers: the root route must match every alert; move its matchers to a child route',
    'routing.yml:1:52: route.continue: not allowed on the root route: it has no siblings'
  ])
  assert.deepEqual(problems('receivers: [{ name: r }]'), ['routing.yml:1:1: route: required: the root route, with at least a receiver'])
  assert.deepEqual(problems('route: [\n'), [problems('route: [\n')[0]])
  assert.match(problems('route: [\n')[0], /^routing\.yml:\d+:\d+: YAML: /)
  assert.deepEqual(problems(''), ['routing.yml:1:1: expected a mapping with route and receivers'])
})

test('storm control settings: a receiver rate_limit and the per-alertname limit (Tidewatch extensions)', () => {
  const c = parseNotifierConfig(FILE, 'route: { receiver: r }\nreceivers: [{ name: r, rate_limit: { interval: 30s, burst: 3 } }, { name: s }]\nlimits: { max_active_alerts_per_alertname: 500 }')
  assert.deepEqual(c.receivers.get('r')?.rateLimit, { intervalMs: 30_000, burst: 3 })
  assert.equal(c.receivers.get('s')?.rateLimit, undefined)
  assert.equal(c.maxActiveAlertsPerAlertname, 500)
  assert.equal(parseNotifierConfig(FILE, 'route: { receiver: r }\nreceivers: [{ name: r }]').maxActiveAlertsPerAlertname, 0)
  assert.deepEqual(problems('route: { receiver: r }\nreceivers: [{ name: r, rate_limit: { every: 1s } }]\nlimits: { max_alerts: 1 }'), [
    "routing.yml:3:23: limits.max_alerts: unknown field 'max_alerts'; supported here: max_active_alerts_per_alertname, max_alerts_body_bytes, max_alerts_per_request, max_labels_per_alert, max_label_name_bytes, max_label_value_bytes, max_annotation_value_bytes, max_alert_bytes, max_silence_body_bytes, max_silence_matchers, max_silence_comment_bytes",
    'routing.yml:2:36: receivers.0.rate_limit.interval: required',
    "routing.yml:2:45: receivers.0.rate_limit.every: unknown field 'every'; supported here: interval, burst"
  ])
})

test('receiver timeout: 10s unless set; Alertmanager\'s 0s (no timeout) is the default too, so no request waits forever', () => {
  const c = parseNotifierConfig(FILE, [
    'route: { receiver: r }',
    'receivers:',
    '  - name: r',
    "    webhook_configs: [{ url: 'http://a.test/x' }, { url: 'http://a.test/y', timeout: 2s }, { url: 'http://a.test/z', timeout: 0s }]",
    "    slack_configs: [{ api_url: 'https://hooks.slack.test/x', timeout: 30s }]",
    "    alertmanager_configs: [{ url: 'http://am.test:9093' }]"
  ].join('\n'))
  assert.deepEqual(c.receivers.get('r')!.integrations.map(i => i.type === 'email' ? undefined : i.timeoutMs), [10_000, 2000, 10_000, 30_000, 10_000])
  assert.deepEqual(problems("route: { receiver: r }\nreceivers: [{ name: r, webhook_configs: [{ url: 'http://a.test', timeout: soon }] }]"), [
    "routing.yml:2:75: receivers.0.webhook_configs.0.timeout: 'soon' is not a duration; write it like 30s, 5m, 1h30m or 1d"
  ])
})
