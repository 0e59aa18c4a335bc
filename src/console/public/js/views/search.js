// Log search over a topic of the broker: text, regex, field filters and a time range, newest
// first, shown as the server streams them. The query lives in the URL (#/search?topic=…&q=…),
// so a search can be linked to and the browser's back button returns to the previous one.
import { getJson, streamNdjson } from '../api.js'
import { h, fill, clockTime, describeRecord, highlight, formatCount, emptyState } from '../dom.js'

export const title = 'Search'

const RANGES = [['15m', 'Last 15 minutes', 15 * 60_000], ['1h', 'Last hour', 3_600_000], ['24h', 'Last 24 hours', 86_400_000], ['7d', 'Last 7 days', 7 * 86_400_000], ['all', 'All time', null], ['custom', 'Between…', null]]

export function mount (root, params) {
  const abort = new AbortController()
  const results = h('div', { class: 'results' })
  const form = searchForm(params)
  fill(root,
    h('header', { class: 'view-header' },
      h('h1', {}, 'Search logs'),
      h('p', { class: 'lede' }, 'Scans a topic’s partitions newest first. Text is case-insensitive; regexes use RE2 syntax; field filters match JSON values by dotted path.')),
    form.element,
    results)
  void loadTopics(form.topic, params.get('topic'))
  if (params.get('topic')) void runSearch(results, params, abort.signal)
  else fill(results, emptyState('Search for a line.', h('p', {}, 'For example, text ', h('code', {}, ' 404 '), ' with the field filter ', h('code', {}, 'kubernetes.namespace_name=demo-project'), '.')))
  return () => abort.abort()
}

async function loadTopics (select, wanted) {
  try {
    const { topics } = await getJson('/api/v1/topics')
    const names = topics.map(t => t.name)
    const chosen = wanted ?? (names.includes('logs') ? 'logs' : names[0])
    if (chosen && !names.includes(chosen)) names.unshift(chosen)
    fill(select, names.length === 0 ? h('option', { value: '' }, 'no topics yet') : names.map(n => h('option', { value: n, selected: n === chosen }, n)))
  } catch (err) {
    fill(select, h('option', { value: wanted ?? '' }, wanted ?? `topics unavailable: ${err.message}`))
  }
}

function searchForm (params) {
  const topic = h('select', { name: 'topic', 'aria-label': 'Topic' }, h('option', { value: params.get('topic') ?? '' }, params.get('topic') ?? 'loading…'))
  const q = h('input', { name: 'q', type: 'search', placeholder: 'text, e.g. " 404 "', value: params.get('q') ?? '', 'aria-label': 'Text' })
  const regex = h('input', { name: 'regex', type: 'text', placeholder: 'regex, e.g. "GET /wp-[a-z]+"', value: params.get('regex') ?? '', class: 'mono', 'aria-label': 'Regex' })
  const fields = h('div', { class: 'field-rows' })
  const addField = value => {
    const row = h('div', { class: 'field-row' },
      h('input', { name: 'field', type: 'text', class: 'mono', placeholder: 'kubernetes.namespace_name=demo-project', value, 'aria-label': 'Field filter' }),
      h('button', { type: 'button', class: 'button button-icon', title: 'Remove this filter', onclick: () => row.remove() }, '×'))
    fields.append(row)
  }
  for (const f of params.getAll('field')) addField(f)
  const range = h('select', { name: 'range', 'aria-label': 'Time range' }, RANGES.map(([v, label]) => h('option', { value: v, selected: v === (params.get('range') ?? 'all') }, label)))
  const from = h('input', { name: 'from', type: 'datetime-local', step: 1, value: params.get('from') ?? '', 'aria-label': 'From' })
  const to = h('input', { name: 'to', type: 'datetime-local', step: 1, value: params.get('to') ?? '', 'aria-label': 'To' })
  const custom = h('span', { class: 'custom-range', hidden: range.value !== 'custom' }, from, ' – ', to)
  range.addEventListener('change', () => { custom.hidden = range.value !== 'custom' })

  const element = h('form', { class: 'card search-form' },
    h('div', { class: 'form-grid' },
      h('label', {}, 'Topic', topic),
      h('label', { class: 'grow' }, 'Text', q),
      h('label', { class: 'grow' }, 'Regex', regex)),
    h('div', { class: 'form-grid' },
      h('div', { class: 'grow' }, h('span', { class: 'label-text' }, 'Field filters'), fields,
        h('button', { type: 'button', class: 'button button-link', onclick: () => addField('') }, '+ Add a field filter')),
      h('label', {}, 'Time', range, custom),
      h('div', { class: 'form-submit' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Search'))))
  element.addEventListener('submit', ev => {
    ev.preventDefault()
    const next = new URLSearchParams()
    next.set('topic', topic.value)
    if (q.value !== '') next.set('q', q.value)
    if (regex.value !== '') next.set('regex', regex.value)
    for (const input of fields.querySelectorAll('input')) if (input.value.trim() !== '') next.append('field', input.value.trim())
    next.set('range', range.value)
    if (range.value === 'custom') { if (from.value) next.set('from', from.value); if (to.value) next.set('to', to.value) }
    next.set('t', String(Date.now())) // a new hash, so the same search runs again
    location.hash = `#/search?${next}`
  })
  return { element, topic }
}

/** The API query for the form's parameters: relative ranges end now. */
function apiQuery (params) {
  const api = new URLSearchParams()
  for (const k of ['topic', 'q', 'regex']) if (params.get(k)) api.set(k, params.get(k))
  for (const f of params.getAll('field')) api.append('field', f)
  const range = RANGES.find(r => r[0] === params.get('range'))
  if (range && range[2] !== null) api.set('from', String(Date.now() - range[2]))
  if (params.get('range') === 'custom') {
    // datetime-local is the browser's local time; the API wants an absolute time.
    if (params.get('from')) api.set('from', String(new Date(params.get('from')).getTime()))
    if (params.get('to')) api.set('to', String(new Date(params.get('to')).getTime()))
  }
  if (params.get('before')) api.set('to', params.get('before'))
  api.set('limit', '200')
  return api
}

async function runSearch (box, params, signal) {
  const summary = h('p', { class: 'summary muted' }, 'Searching…')
  const rows = h('tbody', {})
  const table = h('table', { class: 'table log-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Pod'), h('th', {}, 'Line'), h('th', {}))),
    rows)
  fill(box, summary, h('div', { class: 'card flush' }, table))
  let count = 0
  try {
    await streamNdjson(`/api/v1/search?${apiQuery(params)}`, line => {
      if (line.type === 'record') {
        count++
        rows.append(resultRow(line, params.get('q')))
      } else if (line.type === 'summary') {
        fill(summary, summaryText(line, params))
      } else if (line.type === 'error') {
        fill(summary, h('span', { class: 'notice notice-error' }, `The search stopped: ${line.error}`))
      }
    }, signal)
    if (count === 0) table.replaceWith(emptyState('Nothing matched.', h('p', {}, 'Widen the time range, drop a filter, or check the topic.')))
  } catch (err) {
    if (signal.aborted) return
    fill(box, h('p', { class: 'notice notice-error' }, err.message))
  }
}

function resultRow (r, needle) {
  const { message, pod, namespace } = describeRecord(r.value)
  const href = `#/context/${encodeURIComponent(r.topic)}/${r.partition}/${r.offset}`
  return h('tr', { class: 'log-row', dataset: { offset: r.offset, partition: r.partition } },
    h('td', { class: 'nowrap mono time', title: new Date(r.timestamp).toISOString() }, clockTime(r.timestamp)),
    h('td', { class: 'pod' }, pod ?? h('span', { class: 'muted' }, '—'), namespace ? h('div', { class: 'sub' }, namespace) : null),
    h('td', { class: 'mono line' }, highlight(message, needle)),
    h('td', { class: 'nowrap' }, h('a', { href, class: 'context-link', title: `partition ${r.partition}, offset ${r.offset}` }, 'Context →')))
}

function summaryText (s, params) {
  const parts = [`${formatCount(s.matched)} match${s.matched === 1 ? '' : 'es'}`, `scanned ${formatCount(s.scannedRecords)} records in ${formatCount(s.tookMs)} ms`]
  const out = [parts.join(' · ')]
  if (s.truncated && s.scannedDownTo !== null) {
    const older = new URLSearchParams(params)
    older.set('before', String(s.scannedDownTo))
    out.push(' · ', s.reason === 'limit' ? 'showing the newest; ' : 'stopped early; ', h('a', { href: `#/search?${older}` }, 'search older lines'))
  }
  if (s.skipped.length > 0) out.push(h('div', { class: 'notice' }, `${s.skipped.length} batch(es) could not be read: ${s.skipped[0].reason}`))
  return out
}
