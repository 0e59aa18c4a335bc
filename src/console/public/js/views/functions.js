// Functions: one card per workload — a function, or a rules workload (its rules are in the Rules
// view) — with its replicas now and wanted, lag, throughput, errors
// and dead letters (undecodable batches among them), the last problem a replica met, the chart
// of replicas against lag, lag per partition, and the last scaling decision with its reason.
// Redrawn after every poll of /api/v1/functions.
import { h, fill, formatCount, formatRate, relativeTime, emptyState } from '../dom.js'
import { replicaLagChart, rateSparkline } from '../chart.js'
import { samplesOf, subscribeFunctions } from '../function-history.js'

export const title = 'Functions'

export function mount (root) {
  const list = h('div', { class: 'stack' })
  fill(root,
    h('header', { class: 'view-header' },
      h('h1', {}, 'Functions'),
      h('p', { class: 'lede' }, 'Replicas follow the consumer lag of each function’s input topic: out to the partition count under load, back to zero when it is quiet.')),
    list)
  return subscribeFunctions(state => {
    if (!state.loaded) {
      fill(list, state.error ? errorNote(state.error) : h('p', { class: 'muted' }, 'Loading functions…'))
      return
    }
    if (state.functions.length === 0) {
      fill(list, emptyState('No functions are running.',
        h('p', {}, 'Start Tidewatch with a project that lists functions, e.g. ', h('code', {}, 'tidewatch up'), ' (the default project runs examples/logs-handler).')))
      return
    }
    fill(list, state.error ? errorNote(state.error) : null, state.functions.map(functionCard))
  })
}

function errorNote (err) {
  return h('p', { class: 'notice notice-error' }, `Could not refresh: ${err.message}. Retrying…`)
}

function functionCard (f) {
  const r = f.replicas
  const samples = samplesOf(f.name)
  return h('article', { class: 'card function-card', dataset: { function: f.name } },
    h('div', { class: 'card-head' },
      h('h2', {}, f.name),
      f.kind === 'rules' ? h('span', { class: 'badge badge-scale' }, 'rules') : null,
      h('span', { class: 'meta' }, `${f.mode === 'autoscale' ? `autoscaled ${r.min}–${r.max}` : `fixed at ${r.max}`} · reads `, h('code', {}, f.topic), ' as group ', h('code', {}, f.consumerGroup))),
    f.error ? h('p', { class: 'notice notice-error' }, `Lag cannot be read: ${f.error}`) : null,
    f.lastError ? h('p', { class: 'notice', 'data-testid': 'last-error' },
      h('strong', {}, `Last problem, ${relativeTime(f.lastError.time)}: `), f.lastError.message) : null,
    h('div', { class: 'stats' },
      stat('Replicas', h('span', {}, h('span', { 'data-testid': 'replicas-current' }, formatCount(r.current)), h('span', { class: 'stat-of' }, ` / ${formatCount(r.desired)} wanted`)),
        `${r.ready} ready${r.stopping > 0 ? ` · ${r.stopping} stopping` : ''}${r.spare ? ' · spare loaded' : ''}`),
      stat('Lag', h('span', { 'data-testid': 'lag-total' }, formatCount(f.lag.total)), 'records behind'),
      stat('Throughput', formatRate(f.recordsPerSecond), 'records/s', rateSparkline(samples)),
      stat('Handler errors', formatCount(f.handlerErrors), 'since start', null, f.handlerErrors > 0 ? 'stat-warn' : ''),
      f.kind === 'rules'
        ? stat('Rules', h('a', { href: '#/rules' }, formatCount(f.rules?.length ?? 0)), `${(f.rules ?? []).filter(x => x.state === 'firing').length} firing`)
        : stat('Dead letters', h('span', { 'data-testid': 'dead-letters' }, formatCount(f.deadLetters)),
          h('span', {}, 'in ', h('code', {}, `${f.name}.dlq`), f.undecodableBatches > 0 ? ` · ${formatCount(f.undecodableBatches)} undecodable batch${f.undecodableBatches === 1 ? '' : 'es'}` : ''),
          null, f.deadLetters > 0 ? 'stat-warn' : '')),
    h('div', { class: 'chart-block' },
      h('div', { class: 'legend' },
        h('span', { class: 'key key-replicas' }, 'replicas'),
        h('span', { class: 'key key-desired' }, 'wanted'),
        h('span', { class: 'key key-lag' }, 'lag (right axis)'),
        h('span', { class: 'legend-note' }, 'sampled every second while this page is open')),
      replicaLagChart(samples, { maxReplicas: r.max })),
    partitions(f.lag.partitions),
    lastEvent(f.lastEvent))
}

function stat (label, value, note, extra = null, cls = '') {
  return h('div', { class: `stat ${cls}` },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-note' }, note),
    extra)
}

function partitions (list) {
  if (list.length === 0) return null
  const max = Math.max(1, ...list.map(p => p.lag))
  return h('details', { class: 'partitions' },
    h('summary', {}, `Lag per partition (${list.length})`),
    h('div', { class: 'partition-bars' }, list.map(p =>
      h('div', { class: 'partition', title: `partition ${p.partition}: end offset ${p.endOffset}, committed ${p.committed}` },
        h('span', { class: 'partition-name' }, `p${p.partition}`),
        h('span', { class: 'bar' }, h('span', { class: 'bar-fill', style: `width:${(100 * p.lag / max).toFixed(1)}%` })),
        h('span', { class: 'partition-lag' }, formatCount(p.lag))))))
}

function lastEvent (e) {
  if (e === null) return h('p', { class: 'last-event muted' }, 'No scaling decision yet: the function waits at its minimum until records arrive.')
  return h('p', { class: 'last-event' },
    h('span', { class: 'muted' }, `Last scaled ${relativeTime(e.time)}: `),
    h('strong', {}, `${e.from} → ${e.to}`), ' — ', e.reason, ' ',
    h('a', { href: '#/events' }, 'all events'))
}
