// Alerts: active alerts by group (Alertmanager's /api/v2/alerts/groups) with whether each group's
// notification went out (/console/api/deliveries), a Silence button per alert, and the
// silences with a button to expire them. Polled every 2 s.
import { getJson, poll, sendJson, ApiError } from '../api.js'
import { h, fill, relativeTime, emptyState } from '../dom.js'
import { openSilenceDialog } from './silence-dialog.js'

export const title = 'Alerts'

const POLL_MS = 2000

export function mount (root) {
  const groupsBox = h('div', { class: 'stack' })
  const silencesBox = h('div', {})
  fill(root,
    h('header', { class: 'view-header' },
      h('h1', {}, 'Alerts'),
      h('p', { class: 'lede' }, 'Alerts sent by functions, grouped as the notifier routes them, with the delivery of each group’s notification.')),
    groupsBox,
    h('h2', { class: 'section-title' }, 'Silences'),
    silencesBox)
  let loaded = false
  const refresh = async () => {
    const [groups, deliveries, silences] = await Promise.all([
      getJson('/api/v2/alerts/groups'),
      getJson('/console/api/deliveries').catch(err => { if (err instanceof ApiError && err.status === 404) return null; throw err }),
      getJson('/api/v2/silences')
    ])
    renderGroups(groupsBox, groups, deliveries, silences, refresh)
    renderSilences(silencesBox, silences, refresh)
    loaded = true
  }
  return poll(refresh, POLL_MS, err => { if (!loaded) fill(groupsBox, h('p', { class: 'notice notice-error' }, `Could not load alerts: ${err.message}`)) })
}

/** A link into this console for a generatorURL that points at a record's context. */
export function contextHref (generatorURL) {
  try {
    const u = new URL(generatorURL)
    if (u.hash.startsWith('#/context/')) return u.hash
    const topic = u.searchParams.get('topic')
    const partition = u.searchParams.get('partition')
    const offset = u.searchParams.get('offset')
    if (u.pathname.endsWith('/context') && topic && partition && offset) return `#/context/${encodeURIComponent(topic)}/${partition}/${offset}`
  } catch {}
  return null
}

function renderGroups (box, groups, deliveries, silences, refresh) {
  if (groups.length === 0) {
    const origin = location.origin
    fill(box, emptyState('No alerts yet.',
      h('p', {}, 'With the default project, a 404 served by a WordPress pod in demo-project raises one. Produce such a line:'),
      h('pre', { class: 'command' }, `curl -X POST ${origin}/api/v1/ingest/logs \\\n  -H 'content-type: application/json' \\\n  -d '{"log":"10.0.0.7 - - \\"GET /missing.png HTTP/1.1\\" 404 162","kubernetes":{"namespace_name":"demo-project","pod_name":"wordpress-v1-f54f697c5-hdn2z"}}'`),
      h('p', {}, 'Watch the function start a replica under ', h('a', { href: '#/functions' }, 'Functions'), '; the alert shows here a moment later.')))
    return
  }
  const silenceById = new Map(silences.map(s => [s.id, s]))
  fill(box, groups.map(g => {
    const delivery = deliveries?.groups.find(d => d.receiver === g.receiver.name && sameLabels(d.groupLabels, g.labels))
    // Labels every alert of the group shares are shown once, so each row shows what sets it apart.
    const shared = g.alerts.length < 2 ? {} : commonLabels(g.alerts.map(a => a.labels), g.labels)
    const newestFirst = [...g.alerts].sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt))
    return h('section', { class: 'card alert-group' },
      h('div', { class: 'card-head' },
        h('h2', {}, labelChips(g.labels, true)),
        h('span', { class: 'meta' }, `${g.alerts.length} alert${g.alerts.length === 1 ? '' : 's'} · to receiver `, h('code', {}, g.receiver.name)),
        Object.keys(shared).length > 0 ? h('span', { class: 'meta' }, 'all with ', labelChips(shared)) : null),
      deliveryLine(delivery, deliveries),
      h('table', { class: 'table alerts-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'State'), h('th', {}, 'Labels'), h('th', {}, 'Since'), h('th', {}, 'Log line'), h('th', {}))),
        h('tbody', {}, newestFirst.map(a => alertRow(a, { ...g.labels, ...shared }, silenceById, refresh)))))
  }))
}

function alertRow (a, groupLabels, silenceById, refresh) {
  const href = a.generatorURL ? contextHref(a.generatorURL) : null
  const silencedBy = a.status.silencedBy.map(id => silenceById.get(id)).filter(Boolean)
  const own = Object.fromEntries(Object.entries(a.labels).filter(([k]) => groupLabels[k] === undefined))
  return h('tr', { class: `alert alert-${a.status.state}`, dataset: { fingerprint: a.fingerprint } },
    h('td', {}, h('span', { class: `badge badge-${a.status.state}` }, a.status.state === 'suppressed' ? (silencedBy.length > 0 ? 'silenced' : 'inhibited') : 'firing')),
    h('td', {}, labelChips(own), a.annotations?.summary ? h('div', { class: 'sub' }, a.annotations.summary) : null),
    h('td', { class: 'nowrap', title: a.startsAt }, relativeTime(a.startsAt)),
    h('td', { class: 'nowrap' }, href ? h('a', { href, class: 'context-link' }, 'Show in context') : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'actions' }, silencedBy.length > 0
      ? h('span', { class: 'muted', title: silencedBy[0].endsAt }, `silenced until ${new Date(Date.parse(silencedBy[0].endsAt)).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`)
      : h('button', { class: 'button button-quiet', onclick: () => openSilenceDialog(a.labels, refresh) }, 'Silence…')))
}

function deliveryLine (d, all) {
  if (all === null) return null
  if (d === undefined) return h('p', { class: 'delivery muted' }, 'Delivery: not known yet.')
  if (d.integrations.length === 0) return h('p', { class: 'delivery muted' }, `Not delivered anywhere: receiver “${d.receiver}” has no Slack, webhook or e-mail configured, so these alerts are shown here (and printed by tidewatch up) only.`)
  return h('ul', { class: 'delivery' }, d.integrations.map(i => {
    if (i.last === null) {
      const why = d.lastFlushAt === null ? 'waiting for the group’s first flush (group_wait)' : all.pending > 0 ? 'queued, sending…' : 'nothing new to send'
      return h('li', {}, h('span', { class: 'dot dot-wait' }), h('code', {}, i.integration), ` ${why}`)
    }
    if (i.last.outcome === 'delivered') {
      return h('li', { class: 'delivery-ok' }, h('span', { class: 'dot dot-ok' }), h('code', {}, i.integration), ` delivered ${relativeTime(i.last.at)}`, i.last.attempts > 1 ? ` after ${i.last.attempts} attempts` : '')
    }
    return h('li', { class: 'delivery-failed' }, h('span', { class: 'dot dot-failed' }), h('code', {}, i.integration), ` refused ${relativeTime(i.last.at)}: ${i.last.reason ?? 'no reason given'}`)
  }))
}

function commonLabels (labelSets, except) {
  const [first, ...rest] = labelSets
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => except[k] === undefined && rest.every(l => l[k] === v)))
}

function sameLabels (a, b) {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every(k => a[k] === b[k])
}

export function labelChips (labels, strong = false) {
  const entries = Object.entries(labels)
  if (entries.length === 0) return h('span', { class: 'muted' }, '(all alerts)')
  return h('span', { class: 'chips' }, entries.map(([k, v]) =>
    h('span', { class: `chip${strong ? ' chip-strong' : ''}` }, h('span', { class: 'chip-key' }, k), '=', h('span', { class: 'chip-value' }, v))))
}

function renderSilences (box, silences, refresh) {
  const current = silences.filter(s => s.status.state !== 'expired')
  const expired = silences.filter(s => s.status.state === 'expired').slice(0, 5)
  if (current.length === 0 && expired.length === 0) {
    fill(box, h('p', { class: 'muted' }, 'No silences. “Silence…” on an alert mutes alerts with the same labels for a while; they still show here.'))
    return
  }
  fill(box, h('div', { class: 'card flush' }, h('table', { class: 'table silences-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'State'), h('th', {}, 'Matchers'), h('th', {}, 'Ends'), h('th', {}, 'By'), h('th', {}))),
    h('tbody', {}, [...current, ...expired].map(s => h('tr', { class: `silence silence-${s.status.state}`, dataset: { silence: s.id } },
      h('td', {}, h('span', { class: `badge badge-silence-${s.status.state}` }, s.status.state)),
      h('td', {}, h('span', { class: 'chips' }, s.matchers.map(m => h('span', { class: 'chip' }, h('span', { class: 'chip-key' }, m.name), matcherOp(m), h('span', { class: 'chip-value' }, m.value)))),
        s.comment ? h('div', { class: 'sub' }, s.comment) : null),
      h('td', { class: 'nowrap', title: s.endsAt }, s.status.state === 'expired' ? `ended ${relativeTime(s.endsAt)}` : relativeTime(s.endsAt)),
      h('td', {}, s.createdBy),
      h('td', { class: 'actions' }, s.status.state === 'expired' ? null : h('button', {
        class: 'button button-quiet',
        onclick: async ev => {
          ev.currentTarget.disabled = true
          await sendJson('DELETE', `/api/v2/silence/${encodeURIComponent(s.id)}`)
          await refresh()
        }
      }, 'Expire'))))))))
}

function matcherOp (m) {
  const equal = m.isEqual !== false
  return m.isRegex ? (equal ? '=~' : '!~') : (equal ? '=' : '!=')
}
