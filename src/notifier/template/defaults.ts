/**
 * The default messages, as named templates a user template can call
 * (`{{ template "slack.default.title" . }}`, as in Alertmanager's own template files). They are
 * code, not template text, so their output is exact and tested: Alertmanager's Slack title
 * `[FIRING:3] HighErrors shop (prod critical)`, one line per listed alert, then
 * "… and 1,234 more".
 */
import { escapeHtml, type NamedTemplates } from '../../shared/template/render.js'
import type { TemplateData } from './data.js'

const MAX_TITLE_RUNES = 1024

function values (set: Readonly<Record<string, string>>): string {
  return Object.keys(set).sort().map(k => set[k]).join(' ')
}

/** Alertmanager's default title and e-mail subject. */
export function defaultTitle (d: TemplateData): string {
  const status = d.Status.toUpperCase() + (d.Status === 'firing' ? `:${d.FiringCount}` : '')
  const extra: Record<string, string> = {}
  for (const [k, v] of Object.entries(d.CommonLabels)) if (d.GroupLabels[k] === undefined) extra[k] = v
  const rest = Object.keys(extra).length > 0 ? ` (${values(extra)})` : ''
  return truncateRunes(`[${status}] ${values(d.GroupLabels)}${rest}`, MAX_TITLE_RUNES)
}

function more (d: TemplateData): string {
  return d.MoreAlerts > 0 ? `… and ${d.MoreAlerts.toLocaleString('en-US')} more` : ''
}

/** One line per listed alert (its distinct labels, then its summary), then "… and N more". */
export function defaultText (d: TemplateData): string {
  const lines = d.ListedAlerts.map(a => `${a.Status === 'firing' ? '•' : '✓'} ${a.Distinct}${a.Summary !== '' ? ` — ${a.Summary}` : ''}`)
  if (d.MoreAlerts > 0) lines.push(more(d))
  return lines.join('\n')
}

export function defaultTitleLink (d: TemplateData): string {
  return `${d.ExternalURL}/#/alerts?receiver=${encodeURIComponent(d.Receiver)}`
}

/** The e-mail body as HTML: the group, its common labels, then a table of the listed alerts. */
export function defaultEmailHtml (d: TemplateData): string {
  const e = escapeHtml
  const labels = (set: Readonly<Record<string, string>>): string => Object.keys(set).sort().map(k => `${e(k)}=${e(set[k])}`).join(', ')
  const rows = d.ListedAlerts.map(a => `<tr><td>${a.Status === 'firing' ? 'FIRING' : 'RESOLVED'}</td><td>${e(a.Distinct)}</td><td>${e(a.Summary)}</td><td>${e(a.StartsAt)}</td><td>${a.GeneratorURL !== '' ? `<a href="${e(a.GeneratorURL)}">source</a>` : ''}</td></tr>`)
  return [
    '<!DOCTYPE html><html><body>',
    `<h2>${e(defaultTitle(d))}</h2>`,
    `<p>Group: ${labels(d.GroupLabels)}<br>Common labels: ${labels(d.CommonLabels)}<br>Receiver: ${e(d.Receiver)}</p>`,
    '<table border="1" cellpadding="4"><tr><th>Status</th><th>Alert</th><th>Summary</th><th>Since</th><th></th></tr>',
    ...rows,
    '</table>',
    d.MoreAlerts > 0 ? `<p>${e(more(d))}</p>` : '',
    `<p><a href="${e(defaultTitleLink(d))}">View in Tidewatch</a></p>`,
    '</body></html>'
  ].filter(s => s !== '').join('\n')
}

/** The e-mail body as plain text. */
export function defaultEmailText (d: TemplateData): string {
  const labels = (set: Readonly<Record<string, string>>): string => Object.keys(set).sort().map(k => `${k}=${set[k]}`).join(', ')
  return [
    defaultTitle(d),
    '',
    `Group: ${labels(d.GroupLabels)}`,
    `Common labels: ${labels(d.CommonLabels)}`,
    '',
    defaultText(d),
    '',
    `View in Tidewatch: ${defaultTitleLink(d)}`
  ].join('\n')
}

export const DEFAULT_TEMPLATES: NamedTemplates = {
  __subject: defaultTitle,
  'slack.default.title': defaultTitle,
  'slack.default.text': defaultText,
  'slack.default.titlelink': defaultTitleLink,
  'slack.default.fallback': (d: TemplateData) => `${defaultTitle(d)} | ${defaultTitleLink(d)}`,
  'slack.default.username': () => 'Tidewatch',
  'slack.default.color': (d: TemplateData) => d.Status === 'firing' ? 'danger' : 'good',
  'slack.default.pretext': () => '',
  'slack.default.footer': () => '',
  'email.default.subject': defaultTitle,
  'email.default.html': defaultEmailHtml,
  'email.default.text': defaultEmailText
}

function truncateRunes (s: string, max: number): string {
  const runes = [...s]
  return runes.length <= max ? s : runes.slice(0, max - 1).join('') + '…'
}
