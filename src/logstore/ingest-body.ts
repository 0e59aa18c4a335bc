// Parsing an ingest request body into log records. Accepted shapes, which cover Fluent Bit's
// `http` output (`format json` sends a JSON array; `format json_lines` sends NDJSON, labelled
// application/x-ndjson since Fluent Bit 3.0 and application/json before) and most other shippers:
//   - a JSON array of objects, or a single JSON object (application/json);
//   - NDJSON: one object per line, blank lines ignored (application/x-ndjson, or application/json
//     when the body is not one JSON document but every line is).
// Errors name the line and column (and for arrays the record index), so a shipper's operator
// can find the bad record.
import zlib from 'node:zlib'
import { LogStoreError, badParam } from './errors.js'
import { toEpochMs } from '../shared/epoch.js'

export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines']
export const JSON_TYPES = ['application/json']

export interface IngestRecord {
  /** The record serialized as JSON: what is stored as the Kafka record value. */
  value: string
  /** Epoch milliseconds: the record's own time when it has one, else the time of ingest. */
  timestamp: number
  doc: Record<string, unknown>
}

/** Fields tried, in order, for a record's time: Fluent Bit's kafka and http outputs, then CRI/docker `time`. */
export const TIMESTAMP_FIELDS = ['@timestamp', 'date', 'time']

/** Undoes Content-Encoding (gzip, as Fluent Bit's `compress gzip` sends), within `maxBytes`. */
export function decodeContentEncoding (body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const enc = (encoding ?? 'identity').trim().toLowerCase()
  if (enc === 'identity' || enc === '') return body
  if (enc !== 'gzip' && enc !== 'x-gzip') throw new LogStoreError(415, `Content-Encoding '${encoding}' is not supported: send gzip or no encoding`, 'content-encoding')
  try {
    return zlib.gunzipSync(body, { maxOutputLength: maxBytes })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new LogStoreError(413, `the gzip body expands to more than the ingest limit of ${maxBytes} bytes; send smaller requests`, 'body')
    }
    throw badParam('body', `the body is not valid gzip: ${(err as Error).message}`)
  }
}

/** Records accepted in one ingest request by default. */
export const DEFAULT_INGEST_MAX_RECORDS = 100_000

/**
 * Parses `text` by content type; `now` stamps records without a time of their own. More than
 * `maxRecords` records is a 413 (checked while parsing, so a body of millions of tiny records
 * costs no more than the limit's worth of work).
 */
export function parseIngestBody (text: string, contentType: string | undefined, now: number, maxRecords = DEFAULT_INGEST_MAX_RECORDS): IngestRecord[] {
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase()
  if (NDJSON_TYPES.includes(mime)) return parseNdjson(text, now, null, maxRecords)
  if (!JSON_TYPES.includes(mime)) {
    throw new LogStoreError(415, `Content-Type '${contentType ?? '(none)'}' is not accepted: send application/json (an array of objects or one object) or application/x-ndjson (one object per line)`, 'content-type')
  }
  if (text.trim() === '') throw badParam('body', 'the body is empty: send a JSON array of records, one JSON object, or NDJSON')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    // Fluent Bit before 3.0 labels json_lines as application/json.
    if (looksLikeNdjson(text)) return parseNdjson(text, now, err as Error, maxRecords)
    throw badParam('body', `invalid JSON at ${locate(text, err as Error)}`)
  }
  if (Array.isArray(parsed)) {
    if (parsed.length > maxRecords) throw tooManyRecords(maxRecords)
    return parsed.map((doc, i) => toRecord(doc, now, () => `record ${i} of the array (line ${lineOfElement(text, i)})`))
  }
  return [toRecord(parsed, now, () => 'the body')]
}

function tooManyRecords (maxRecords: number): LogStoreError {
  return new LogStoreError(413, `the body holds more than ${maxRecords} records, the ingest limit per request (ingestMaxRecords); send smaller requests`, 'body')
}

function parseNdjson (text: string, now: number, jsonError: Error | null, maxRecords: number): IngestRecord[] {
  const out: IngestRecord[] = []
  let lineNo = 0
  for (let start = 0; start <= text.length; lineNo++) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    const i = lineNo
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end)
    start = end + 1
    if (line.trim() === '') continue
    if (out.length === maxRecords) throw tooManyRecords(maxRecords)
    let doc: unknown
    try {
      doc = JSON.parse(line)
    } catch (err) {
      const prefix = jsonError === null ? '' : 'the body is neither one JSON document nor NDJSON; '
      throw badParam('body', `${prefix}invalid JSON on line ${i + 1}, column ${columnOf(line, err as Error)}: ${reason(err as Error)}`)
    }
    out.push(toRecord(doc, now, () => `line ${i + 1}`))
  }
  if (out.length === 0) throw badParam('body', 'the body holds no records: every line is blank')
  return out
}

function toRecord (doc: unknown, now: number, where: () => string): IngestRecord {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    const kind = doc === null ? 'null' : Array.isArray(doc) ? 'an array' : `a ${typeof doc}`
    throw badParam('body', `${where()} is ${kind}; each record must be a JSON object`)
  }
  const obj = doc as Record<string, unknown>
  return { value: JSON.stringify(obj), timestamp: recordTimestamp(obj) ?? now, doc: obj }
}

/** The record's own time in epoch ms from its first usable timestamp field, or null. */
export function recordTimestamp (doc: Record<string, unknown>): number | null {
  for (const field of TIMESTAMP_FIELDS) {
    const ms = toEpochMs(doc[field])
    if (ms !== null) return ms
  }
  return null
}

// Two non-blank lines, the first an object: looked at without splitting the whole body.
function looksLikeNdjson (text: string): boolean {
  const first = /\S/.exec(text)
  if (first === null || text[first.index] !== '{') return false
  const newline = text.indexOf('\n', first.index)
  return newline >= 0 && /\S/.test(text.slice(newline, newline + 64 * 1024))
}

function reason (err: Error): string {
  return err.message.replace(/ in JSON at position \d+.*$/s, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of input')
}

function positionOf (text: string, err: Error): number {
  const m = / at position (\d+)/.exec(err.message)
  return m !== null ? Number(m[1]) : text.length
}

function columnOf (line: string, err: Error): number {
  return positionOf(line, err) + 1
}

/** "line L, column C: reason" for a JSON.parse error over the whole body. */
function locate (text: string, err: Error): string {
  const pos = positionOf(text, err)
  const before = text.slice(0, pos)
  const line = before.split('\n').length
  const column = pos - before.lastIndexOf('\n')
  return `line ${line}, column ${column} (character ${pos}): ${reason(err)}`
}

// The line an array element starts on, for error messages only: re-scans the text, which is
// cheap next to the failed request it explains.
function lineOfElement (text: string, index: number): number {
  let depth = 0
  let inString = false
  let inScalar = false
  let seen = -1
  let line = 1
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\n') line++
    if (inString) { if (c === '\\') i++; else if (c === '"') inString = false; continue }
    const separator = c === ',' || c === ']' || /\s/.test(c)
    if (inScalar && separator) inScalar = false
    if (depth === 1 && !inScalar && !separator) {
      if (++seen === index) return line
      if (c !== '"' && c !== '[' && c !== '{') inScalar = true
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') depth++
    else if (c === ']' || c === '}') depth--
  }
  return line
}
