// Context of one record: the lines just before and after it in its partition, in exact offset
// order, with the record itself highlighted — what an alert's generatorURL opens. "Same pod"
// keeps only lines of the record's pod; "Earlier" / "Later" read further from the ends shown.
import { getJson } from '../api.js'
import { h, fill, clockTime, describeRecord, emptyState } from '../dom.js'

export const title = 'Context'

const STEP = 20

export function mount (root, params, path) {
  const [topic, partitionText, offsetText] = path.map(decodeURIComponent)
  const partition = Number(partitionText)
  const offset = Number(offsetText)
  if (!topic || !Number.isInteger(partition) || !Number.isInteger(offset)) {
    fill(root, emptyState('This link does not name a record.', h('p', {}, 'A context link looks like #/context/TOPIC/PARTITION/OFFSET. Find a line under ', h('a', { href: '#/search' }, 'Search'), ' and follow its context link.')))
    return () => {}
  }
  const samePod = params.get('samePod') === '1'
  const base = `/api/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/offsets`
  const state = { records: [], reachedStart: false, reachedEnd: false, pod: null }
  let alive = true

  const toggle = h('input', { type: 'checkbox', checked: samePod, 'data-testid': 'same-pod' })
  toggle.addEventListener('change', () => {
    const next = new URLSearchParams(params)
    if (toggle.checked) next.set('samePod', '1'); else next.delete('samePod')
    location.hash = `#/context/${encodeURIComponent(topic)}/${partition}/${offset}${next.size > 0 ? `?${next}` : ''}`
  })
  const anchorCard = h('div', {})
  const lines = h('div', {})
  const earlier = h('button', { class: 'button button-quiet', onclick: () => load('earlier') }, `Earlier ${STEP} lines`)
  const later = h('button', { class: 'button button-quiet', onclick: () => load('later') }, `Later ${STEP} lines`)
  const message = h('p', { class: 'notice notice-error', hidden: true })
  fill(root,
    h('header', { class: 'view-header' },
      h('h1', {}, 'Context'),
      h('p', { class: 'lede' }, 'The record, and the lines around it in ', h('code', {}, `${topic}`), ` partition ${partition}, in offset order.`)),
    anchorCard,
    h('div', { class: 'toolbar' },
      h('label', { class: 'toggle' }, toggle, ' Only lines from the same pod'),
      h('span', { class: 'spacer' }),
      h('a', { class: 'button button-quiet', href: `#/search?topic=${encodeURIComponent(topic)}` }, 'Search this topic')),
    message,
    h('div', { class: 'card flush' }, h('div', { class: 'load-more' }, earlier), lines, h('div', { class: 'load-more' }, later)))

  const url = (at, before, after) => `${base}/${at}/context?before=${before}&after=${after}${samePod ? '&samePod=true' : ''}`

  async function load (which) {
    try {
      if (which === 'initial') {
        const c = await getJson(url(offset, STEP, STEP))
        Object.assign(state, { records: [...c.before, c.anchor, ...c.after], reachedStart: c.reachedStart, reachedEnd: c.reachedEnd, pod: c.pod })
        if (!alive) return
        renderAnchor(anchorCard, topic, partition, c.anchor)
      } else if (which === 'earlier') {
        const c = await getJson(url(state.records[0].offset, STEP, 0))
        state.records = [...c.before, ...state.records]
        state.reachedStart = c.reachedStart
      } else {
        const c = await getJson(url(state.records[state.records.length - 1].offset, 0, STEP))
        state.records = [...state.records, ...c.after]
        state.reachedEnd = c.reachedEnd
      }
      if (!alive) return
      message.hidden = true
      renderLines(lines, state.records, offset)
      earlier.disabled = state.reachedStart
      earlier.textContent = state.reachedStart ? 'Start of the partition' : `Earlier ${STEP} lines`
      // The end of a partition moves on as records arrive, so "later" stays available.
      later.textContent = state.reachedEnd ? 'Check for newer lines' : `Later ${STEP} lines`
      if (which === 'initial') lines.querySelector('.anchor')?.scrollIntoView({ block: 'center' })
    } catch (err) {
      if (!alive) return
      message.hidden = false
      message.textContent = err.message
      if (which === 'initial') fill(lines, emptyState('This record cannot be shown.', h('p', {}, 'It may have been removed by retention, or the link names another partition.')))
    }
  }
  void load('initial')
  return () => { alive = false }
}

function renderAnchor (box, topic, partition, r) {
  const { message, pod, namespace, doc } = describeRecord(r.value)
  fill(box, h('section', { class: 'card anchor-card' },
    h('div', { class: 'anchor-meta' },
      h('span', {}, h('span', { class: 'muted' }, 'Time '), clockTime(r.timestamp)),
      h('span', {}, h('span', { class: 'muted' }, 'Pod '), pod ?? '—', namespace ? h('span', { class: 'muted' }, ` in ${namespace}`) : null),
      h('span', {}, h('span', { class: 'muted' }, 'Record '), `${topic} / ${partition} / ${r.offset}`)),
    h('pre', { class: 'anchor-line' }, message),
    doc !== null ? h('details', {}, h('summary', {}, 'Whole record'), h('pre', { class: 'json' }, JSON.stringify(doc, null, 2))) : null))
}

function renderLines (box, records, anchorOffset) {
  let lastPod = null
  fill(box, h('table', { class: 'table log-table context-table' },
    h('tbody', {}, records.map(r => {
      const { message, pod } = describeRecord(r.value)
      // A pod name only where it changes, so a run of lines from one pod reads as a block.
      const podCell = pod === lastPod ? '' : (pod ?? '—')
      lastPod = pod
      const isAnchor = r.offset === anchorOffset
      return h('tr', { class: `log-row${isAnchor ? ' anchor' : ''}`, dataset: { offset: r.offset }, 'aria-current': isAnchor ? 'true' : null },
        h('td', { class: 'num mono offset' }, r.offset),
        h('td', { class: 'nowrap mono time' }, clockTime(r.timestamp)),
        h('td', { class: 'pod' }, podCell),
        h('td', { class: 'mono line' }, message))
    }))))
}
