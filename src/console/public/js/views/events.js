// Scaling events, newest first, as they happen: /api/v1/events is polled for events after the
// last seq seen, so each poll carries only what is new.
import { getJson, poll } from '../api.js'
import { h, fill, clockTime, relativeTime, emptyState } from '../dom.js'

export const title = 'Scaling events'

const POLL_MS = 1500
const KEEP = 500

const TYPE_LABELS = { scale: 'scaled', 'replica-exit': 'replica exited', 'crash-loop': 'crash loop', error: 'error' }

export function mount (root) {
  const body = h('div', {})
  fill(root,
    h('header', { class: 'view-header' },
      h('h1', {}, 'Scaling events'),
      h('p', { class: 'lede' }, 'Every change in replicas with the autoscaler’s reason, and replicas that exited or crash-looped. Kept in events.jsonl in the data directory too.')),
    body)
  let events = []
  let lastSeq = 0
  let loaded = false
  return poll(async () => {
    const { events: fresh } = await getJson(`/api/v1/events?after=${lastSeq}&limit=${KEEP}`)
    if (fresh.length > 0) {
      lastSeq = fresh[fresh.length - 1].seq
      events = [...fresh.reverse(), ...events].slice(0, KEEP)
    }
    // Redraw also without news: the relative times move on.
    if (fresh.length > 0 || !loaded || events.length > 0) render(body, events)
    loaded = true
  }, POLL_MS, err => { if (!loaded) fill(body, h('p', { class: 'notice notice-error' }, `Could not load events: ${err.message}`)) })
}

function render (body, events) {
  if (events.length === 0) {
    fill(body, emptyState('No scaling events yet.',
      h('p', {}, 'A function at zero replicas starts one as soon as a record reaches its topic. Send a line, e.g. with ',
        h('code', {}, 'kcat -b 127.0.0.1:9092 -P -t logs'), ', and the decision shows here.')))
    return
  }
  fill(body, h('div', { class: 'card flush' }, h('table', { class: 'table events-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Function'), h('th', {}, 'What'), h('th', { class: 'num' }, 'Replicas'), h('th', {}, 'Why'))),
    h('tbody', {}, events.map(e => h('tr', { class: `event event-${e.type}` },
      h('td', { class: 'nowrap', title: e.time }, clockTime(Date.parse(e.time)), h('div', { class: 'sub' }, relativeTime(e.time))),
      h('td', {}, e.function),
      h('td', {}, h('span', { class: `badge badge-${e.type}` }, TYPE_LABELS[e.type] ?? e.type)),
      h('td', { class: 'num nowrap' }, e.from !== undefined && e.to !== undefined ? `${e.from} → ${e.to}` : '—'),
      h('td', { class: 'reason' }, e.reason)))))))
}
