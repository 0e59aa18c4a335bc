// Elasticsearch's _bulk API as log shippers use it (Fluent Bit `es`, Vector `elasticsearch`,
// Fluentd, @elastic/elasticsearch's bulk helper), and the handshake they make first:
//   GET  /                        version (Fluentd and the official clients read version.number)
//   GET  /_cluster/health         Vector's healthcheck
//   GET  /_cluster/state/version  Vector's api_version: auto
//   POST /_bulk, /<index>/_bulk   NDJSON action/document pairs, gzip allowed
// Every answer carries `X-Elastic-Product: Elasticsearch` (elasticsearch-ruby 8 and the JS
// client refuse a server without it). Per-item results: `index` and `create` store the
// document (201), anything else (`update`, `delete`, a document that is not an object or too
// large) answers 400/413 for that item alone, with `errors: true`, so a shipper drops only
// what can never be stored and retries nothing it need not.
import { randomBytes } from 'node:crypto'
import { badParam } from '../logstore/errors.js'
import { documentRecord } from './mapping.js'
import type { IngestRecord } from '../logstore/ingest-body.js'
import { tooManyRecords } from './append.js'

export const ES_VERSION = '8.17.0'
export const ES_HEADERS = { 'x-elastic-product': 'Elasticsearch' }

export function rootInfo (): Record<string, unknown> {
  return {
    name: 'tidewatch',
    cluster_name: 'tidewatch',
    cluster_uuid: 'tidewatch-ingest',
    version: { number: ES_VERSION, build_flavor: 'default', build_type: 'tar', lucene_version: '9.12.0', minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0' },
    tagline: 'You Know, for Search'
  }
}

export function clusterHealth (): Record<string, unknown> {
  return { cluster_name: 'tidewatch', status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1, active_primary_shards: 1, active_shards: 1, relocating_shards: 0, initializing_shards: 0, unassigned_shards: 0, delayed_unassigned_shards: 0, number_of_pending_tasks: 0, number_of_in_flight_fetch: 0, task_max_waiting_in_queue_millis: 0, active_shards_percent_as_number: 100 }
}

export function clusterStateVersion (): Record<string, unknown> {
  return { cluster_name: 'tidewatch', cluster_uuid: 'tidewatch-ingest', version: 1, state_uuid: 'tidewatch-state' }
}

export interface BulkItem { op: string, index: string, record: IngestRecord | null, error: { status: number, type: string, reason: string } | null }

const STORING = new Set(['index', 'create'])

/** Parses a _bulk body into items; a line that is not JSON is a 400 naming its line. */
export function parseBulk (text: string, defaultIndex: string, now: number, maxRecords: number): BulkItem[] {
  const items: BulkItem[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim()
    if (raw === '') continue
    const action = parseJsonLine(raw, i)
    const op = action !== null && typeof action === 'object' && !Array.isArray(action) ? Object.keys(action)[0] : undefined
    if (op === undefined) throw badParam('body', `line ${i + 1}: expected an action such as {"create":{}} or {"index":{}}`)
    const meta = (action as Record<string, { _index?: unknown }>)[op] ?? {}
    const index = typeof meta?._index === 'string' ? meta._index : defaultIndex
    if (items.length === maxRecords) throw tooManyRecords(maxRecords)
    if (op === 'delete') { items.push({ op, index, record: null, error: refused(op) }); continue }
    // Every other action has a source line after it.
    let j = i + 1
    while (j < lines.length && lines[j].trim() === '') j++
    if (j >= lines.length) throw badParam('body', `line ${i + 1}: the '${op}' action has no document line after it`)
    const docText = lines[j].trim()
    i = j
    if (!STORING.has(op)) { items.push({ op, index, record: null, error: refused(op) }); continue }
    const doc = parseJsonLine(docText, j)
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      items.push({ op, index, record: null, error: { status: 400, type: 'mapper_parsing_exception', reason: `line ${j + 1}: the document must be a JSON object` } })
      continue
    }
    items.push({ op, index, record: documentRecord(doc as Record<string, unknown>, now), error: null })
  }
  if (items.length === 0) throw badParam('body', 'the _bulk body holds no actions')
  return items
}

function refused (op: string): { status: number, type: string, reason: string } {
  return { status: 400, type: 'illegal_argument_exception', reason: `'${op}' is not supported: log ingest stores documents with 'index' or 'create' only` }
}

function parseJsonLine (text: string, i: number): unknown {
  try { return JSON.parse(text) } catch (err) {
    throw badParam('body', `line ${i + 1} is not valid JSON: ${(err as Error).message}`)
  }
}

/** The _bulk answer: per item, 201 or the reason it was refused. */
export function bulkResponse (items: BulkItem[], problems: (string | null)[], took: number): Record<string, unknown> {
  let errors = false
  const out = items.map((item, i) => {
    const problem = item.error ?? (problems[i] !== null ? { status: 413, type: 'illegal_argument_exception', reason: problems[i]! } : null)
    const base = { _index: item.index, _id: newId() }
    if (problem !== null) {
      errors = true
      return { [item.op]: { ...base, status: problem.status, error: { type: problem.type, reason: problem.reason } } }
    }
    return { [item.op]: { ...base, _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: 0, _primary_term: 1, status: 201 } }
  })
  return { took, errors, items: out }
}

let counter = 0
function newId (): string {
  counter = (counter + 1) % 0x1000000
  return randomBytes(9).toString('base64url') + counter.toString(36)
}
