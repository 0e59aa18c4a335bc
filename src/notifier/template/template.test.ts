import { test } from 'node:test'
import assert from 'node:assert/strict'
import { alert } from '../pipeline/test-support.js'
import type { QueuedNotification } from '../store/outbox.js'
import { DEFAULT_TEMPLATES, renderField, Template, TemplateError, templateData, escapeHtml } from './index.js'

function notification (n = 3, limitedAlerts?: number): QueuedNotification {
  const firing = Array.from({ length: n }, (_, i) => alert({ alertname: 'NotFound', namespace: 'shop', path: `/p/${i}` }))
  return { id: 1, integration: 'team/slack/0', receiver: 'team', groupKey: '{}:{alertname="NotFound"}', groupLabels: { alertname: 'NotFound' }, firing, resolved: [], reason: 'first notification', log: { at: 0, firing: [], resolved: [] }, logRetentionMs: 1, queuedAt: 0, limitedAlerts }
}

const data = templateData(notification(), 'http://tw:8080', 2)
const render = (src: string, d: unknown = data): string => new Template(src).render(d, { named: DEFAULT_TEMPLATES })

test('templates: fields, len, pipes and functions, as in Alertmanager templates', () => {
  assert.equal(render('{{ .GroupLabels.alertname }} in {{ .CommonLabels.namespace }}'), 'NotFound in shop')
  assert.equal(render('{{ len .Alerts }} / {{ .Alerts.Firing | len }} / {{ .Alerts.Resolved | len }}'), '3 / 3 / 0')
  assert.equal(render('[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}]'), '[FIRING:3]')
  assert.equal(render('{{ .CommonLabels.SortedPairs.Values | join " " }}|{{ join "," .CommonLabels.Names }}'), 'NotFound shop|alertname,namespace')
  assert.equal(render('{{ range .ListedAlerts }}{{ .Labels.path }};{{ end }}{{ if .MoreAlerts }}+{{ number .MoreAlerts }}{{ end }}'), '/p/0;/p/1;+1')
  assert.equal(render('{{ with .CommonAnnotations.summary }}{{ . }}{{ else }}no summary{{ end }}'), 'no summary')
  assert.equal(render('{{ if eq .Status "resolved" }}R{{ else if gt (len .Alerts) 2 }}many{{ else }}few{{ end }}'), 'many')
  assert.equal(render('{{ range .Alerts }}{{ $.Receiver }}{{ end }}'), 'teamteamteam')
  assert.equal(render('a  {{- /* gone */ -}}  b {{- " c" }}'), 'ab c')
  assert.equal(render('{{ .Missing.Deeper }}{{ .GroupLabels.nope }}'), '', 'a missing field is empty, as with missingkey=zero')
  assert.equal(render('{{ template "slack.default.title" . }}'), '[FIRING:3] NotFound (shop)')
  assert.equal(render('{{ truncate 5 "abcdefgh" }} {{ "a b" | urlquery }} {{ default "x" .Nope }}'), 'abcd… a%20b x')
})

test('templates: data only — no prototype, no code, bounded output', () => {
  assert.equal(render('{{ .constructor }}{{ .Alerts.constructor }}{{ .__proto__ }}{{ .GroupLabels.toString }}'), '')
  assert.throws(() => render('{{ process }}'), /unknown function 'process'/)
  assert.throws(() => render('{{ .Status "x" }}'), /only a function can take arguments/)
  assert.throws(() => render('{{ template "mine" . }}'), /no template named "mine"/)
  const big = { Alerts: Array.from({ length: 1000 }, () => ({})) }
  assert.throws(() => new Template('{{ range .Alerts }}{{ range $.Alerts }}xxxxxxxx{{ end }}{{ end }}').render(big), /output longer than/)
  assert.equal(new Template('<b>{{ .X }}</b>').render({ X: '<script>' }, { escape: escapeHtml }), '<b>&lt;script&gt;</b>')
})

test('templates: parse errors say what and where', () => {
  for (const [src, message] of [
    ['{{ if .X }}open', /without \{\{ end \}\}/],
    ['{{ end }}', /without \{\{ if \}\}/],
    ['{{ .X', /'\{\{' without '\}\}'/],
    ['{{ "unterminated }}', /unterminated string/],
    ['{{ (len .X }}', /missing '\)'/],
    ['{{ define "x" }}{{ end }}', /not supported/],
    ['{{ .X | }}', /empty command/]
  ] as const) assert.throws(() => new Template(src), (err: Error) => err instanceof TemplateError && message.test(err.message), src)
})

test('renderField: the default when unset, the default (and a warning) when the template fails', () => {
  assert.equal(renderField(undefined, 'slack.default.title', data), '[FIRING:3] NotFound (shop)')
  assert.equal(renderField(new Template('{{ .GroupLabels.alertname }}!'), 'slack.default.title', data), 'NotFound!')
  const warnings: unknown[] = []
  const logger = { warn: (o: unknown) => warnings.push(o) } as any
  assert.equal(renderField(new Template('{{ nope }}'), 'slack.default.title', data, logger), '[FIRING:3] NotFound (shop)')
  assert.equal(warnings.length, 1)
})

test('defaults: listed alerts, "and N more" counting alerts over the per-alertname limit', () => {
  const d = templateData(notification(30, 1000), 'http://tw:8080')
  assert.equal(DEFAULT_TEMPLATES['slack.default.title'](d), '[FIRING:1030] NotFound (shop)')
  const text = DEFAULT_TEMPLATES['slack.default.text'](d)
  assert.equal(text.split('\n').length, 21)
  assert.match(text, /^• path=\/p\/0\n/)
  assert.match(text, /… and 1,010 more$/)
  const html = DEFAULT_TEMPLATES['email.default.html'](d)
  assert.match(html, /<h2>\[FIRING:1030\] NotFound \(shop\)<\/h2>/)
  assert.match(html, /… and 1,010 more/)
})
