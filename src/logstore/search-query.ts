// A search request: which topic and time range to scan, and which records match. Parsing
// validates every parameter and names the bad one; the text filter runs before the JSON fields,
// so most records are rejected before their value is parsed.
import { badParam } from './errors.js'
import { compileSearchRegex } from './safe-regex.js'
import { parseWholeNumber } from '../shared/numbers.js'
import type { Re2 } from '../shared/re2.js'
import { fieldEquals, parseJsonValue, valueAtPath } from './field-path.js'
import type { StoredRecord } from '../protocol/record-batch/index.js'

export const DEFAULT_SEARCH_LIMIT = 100
export const MAX_SEARCH_LIMIT = 1000
const MAX_TEXT_LENGTH = 1024
const MAX_FIELDS = 20

export interface FieldFilter { path: string, value: string }

export interface SearchQuery {
  topic: string
  /** Case-insensitive substring of the record value. */
  text?: string
  /** RE2-syntax regex, searched for (not anchored) in the record value. */
  regex?: string
  /** All must hold: the JSON value at `path` equals `value`. */
  fields: FieldFilter[]
  /** Inclusive bounds on the record timestamp, epoch milliseconds. */
  from?: number
  to?: number
  limit: number
}

/** What a search query string may carry (repeatable `field`, so arrays are accepted). */
export interface SearchParams {
  topic?: string
  q?: string
  regex?: string
  field?: string | string[]
  from?: string
  to?: string
  limit?: string
}

export function parseSearchParams (p: SearchParams): SearchQuery {
  const topic = single(p.topic, 'topic')
  if (topic === undefined || topic === '') throw badParam('topic', 'topic is required')
  const text = single(p.q, 'q')
  if (text !== undefined && text.length > MAX_TEXT_LENGTH) throw badParam('q', `q is ${text.length} characters; the limit is ${MAX_TEXT_LENGTH}`)
  const regex = single(p.regex, 'regex')
  const rawFields = p.field === undefined ? [] : Array.isArray(p.field) ? p.field : [p.field]
  if (rawFields.length > MAX_FIELDS) throw badParam('field', `at most ${MAX_FIELDS} field filters`)
  const fields = rawFields.map(parseFieldFilter)
  const from = parseTime(single(p.from, 'from'), 'from')
  const to = parseTime(single(p.to, 'to'), 'to')
  if (from !== undefined && to !== undefined && from > to) throw badParam('from', `from (${new Date(from).toISOString()}) is after to (${new Date(to).toISOString()})`)
  const limitText = single(p.limit, 'limit')
  const limit = limitText === undefined ? DEFAULT_SEARCH_LIMIT : parseWholeNumber(limitText)
  if (limit === null || limit < 1 || limit > MAX_SEARCH_LIMIT) throw badParam('limit', `limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT} in decimal digits, got '${limitText}'`)
  return { topic, text: text === '' ? undefined : text, regex: regex === '' ? undefined : regex, fields, from, to, limit }
}

function single (v: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(v)) throw badParam(name, `${name} may be given only once`)
  return v
}

function parseFieldFilter (raw: string): FieldFilter {
  const eq = raw.indexOf('=')
  const path = eq < 0 ? '' : raw.slice(0, eq).trim()
  if (eq < 0 || path === '' || path.split('.').some(part => part === '')) {
    throw badParam('field', `field filter '${raw}' must look like path=value, e.g. kubernetes.namespace_name=demo-project`)
  }
  return { path, value: raw.slice(eq + 1) }
}

/** Epoch milliseconds or an ISO 8601 date/time (with a zone, or UTC when it has none). */
export function parseTime (text: string | undefined, field: string): number | undefined {
  if (text === undefined || text === '') return undefined
  if (/^-?\d+$/.test(text)) return Number(text)
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text)
  const ms = iso === null ? NaN : Date.parse(iso[4] === undefined && iso[1] !== undefined ? text.replace(' ', 'T') + 'Z' : text.replace(' ', 'T'))
  if (Number.isNaN(ms)) throw badParam(field, `${field} must be epoch milliseconds or an ISO 8601 time such as 2024-11-22T05:20:00Z, got '${text}'`)
  return ms
}

/**
 * The query's filters: `prefilter` (text, then JSON fields, the cheap checks) and `regex`
 * (RE2, run on what the prefilter kept).
 */
export function compileFilters (q: SearchQuery): { prefilter: (r: StoredRecord) => boolean, regex: Re2 | null } {
  const needles = q.text === undefined ? [] : textNeedles(q.text)
  const regex = q.regex === undefined ? null : compileSearchRegex(q.regex)
  const fields = q.fields
  const prefilter = (r: StoredRecord): boolean => {
    if (needles.length > 0) {
      const lower = (r.value ?? '').toLowerCase()
      if (!needles.some(n => lower.includes(n))) return false
    }
    if (fields.length > 0) {
      const doc = parseJsonValue(r.value)
      if (doc === undefined) return false
      for (const f of fields) if (!fieldEquals(valueAtPath(doc, f.path), f.value)) return false
    }
    return true
  }
  return { prefilter, regex }
}

// Values are usually JSON, where a log line's quotes and backslashes appear escaped. Searching
// for the text as typed and as JSON would escape it finds `say "hi"` either way.
function textNeedles (text: string): string[] {
  const lower = text.toLowerCase()
  const escaped = JSON.stringify(lower).slice(1, -1)
  return escaped === lower ? [lower] : [lower, escaped]
}
