// Rules: every rule of every rules workload, with its state over its series (firing if any
// alert fires, else pending, else inactive), the value it measured at its last evaluation (the
// left side of its threshold), the alerts it has pending or firing now, and the latest ones it
// fired and resolved. Polled from /api/v1/rules every 2 s; the owners report every second.
import { getJson, poll } from '../api.js'
import { h, fill, relativeTime, emptyState } from '../dom.js'
import { labelChips } from './alerts.js'

export const title = 'Rules'

const POLL_MS = 2000
const value = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 6 })

export function mount (root) {
  const list = h('div', { class: 'stack' })
  fill(root,
    h('header', { class: 'view-header' },
      h('h1', {}, 'Rules'),
      h('p', { class: 'lede' }, 'Loki/Prometheus alerting rules evaluated as records arrive, in event time. Each rule’s state is over all its series; its alerts go to the notifier.')),
    list)
  let loaded = false
  return poll(async () => {
    const { workloads } = await getJson('/api/v1/rules')
    loaded = true
    if (workloads.length === 0) {
      fill(list, emptyState('No rules are running.',
        h('p', {}, 'List rule files in the project file, e.g. ', h('code', {}, 'rules: [./rules.yaml]'), ', and run ', h('code', {}, 'tidewatch up'), '. Check a rule file first with ', h('code', {}, 'tidewatch test rules.yaml --input sample.log'), '.')))
      return
    }
    fill(list, workloads.map(workloadSection))
  }, POLL_MS, err => { if (!loaded) fill(list, h('p', { class: 'notice notice-error' }, `Could not load rules: ${err.message}`)) })
}

function workloadSection (w) {
  const rules = w.rules ?? []
  const c = w.contributions
  return h('section', { class: 'stack', dataset: { workload: w.name } },
    h('h2', { class: 'section-title' }, w.name, ' ',
      h('span', { class: 'meta' }, `${rules.length} rule${rules.length === 1 ? '' : 's'} · reads `, h('code', {}, w.topic), ` · ${w.replicas.current} replica${w.replicas.current === 1 ? '' : 's'}`,
        c && c.late > 0 ? ` · ${c.late} late record${c.late === 1 ? '' : 's'} dropped` : '')),
    rules.length === 0 ? h('p', { class: 'muted' }, 'Waiting for the replicas’ first report…') : rules.map(ruleCard))
}

function ruleCard (r) {
  return h('article', { class: `card rule-card rule-${r.state}`, dataset: { rule: r.id } },
    h('div', { class: 'card-head' },
      h('h2', {}, r.alert),
      h('span', { class: `badge badge-rule-${r.state}`, 'data-testid': 'rule-state' }, r.state),
      h('span', { class: 'meta' }, `group ${r.group}`, r.kind !== 'metric' ? ` · ${r.kind.replace('_', ' ')}` : '')),
    h('pre', { class: 'rule-expr' }, h('code', {}, r.expr.trim())),
    h('div', { class: 'rule-stats' },
      h('span', {}, h('span', { class: 'stat-label' }, 'Last value '), h('strong', { 'data-testid': 'rule-value' }, r.value === null ? '—' : value.format(r.value))),
      h('span', {}, h('span', { class: 'stat-label' }, 'Alerts '), h('strong', { 'data-testid': 'rule-alert-count' }, String(r.alerts.length))),
      h('span', { class: 'muted' }, r.evaluatedAt === null ? (r.kind === 'metric' ? 'not evaluated yet' : 'evaluated per line') : `evaluated at ${new Date(r.evaluatedAt).toLocaleTimeString('en-GB')} (event time)`)),
    r.alerts.length === 0 ? null : h('table', { class: 'table rule-alerts' },
      h('thead', {}, h('tr', {}, h('th', {}, 'State'), h('th', {}, 'Labels'), h('th', {}, 'Value'), h('th', {}, 'Since'))),
      h('tbody', {}, r.alerts.map(a => h('tr', { class: `rule-alert rule-alert-${a.state}` },
        h('td', {}, h('span', { class: `badge badge-rule-${a.state}` }, a.state)),
        h('td', {}, labelChips(withoutName(a.labels))),
        h('td', { class: 'nowrap' }, value.format(a.value)),
        h('td', { class: 'nowrap', title: a.firedAt ?? a.activeAt }, relativeTime(a.firedAt ?? a.activeAt)))))),
    r.recent.length === 0 ? null : h('details', { class: 'rule-recent' },
      h('summary', {}, `Raised lately (${r.recent.length})`),
      h('ul', {}, [...r.recent].reverse().map(c => h('li', {},
        h('span', { class: `badge badge-rule-${c.state}` }, c.state), ' ', labelChips(withoutName(c.labels)), ' ',
        h('span', { class: 'muted', title: c.at }, `${relativeTime(c.at)} · value ${value.format(c.value)}`))))))
}

function withoutName (labels) {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'alertname'))
}
