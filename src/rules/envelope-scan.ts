/**
 * readEnvelope (envelope.ts) for a record's raw bytes, without JSON.parse of the whole record:
 * one pass over the bytes checks the record is a JSON document exactly as JSON.parse would
 * (strings, escapes, numbers, literals, nesting, nothing after the closing brace) and notes
 * where each top-level member the envelope reads starts and ends. Only those members are
 * decoded — a string without escapes straight from its bytes, anything else by JSON.parse of
 * its own bytes, the `kubernetes` / `labels` objects once per distinct text (they repeat for
 * every record of a pod) — and the line only when a rule asks for it. The labels and time then
 * come from the same functions readEnvelope uses, so the result is the same.
 *
 * Per record of a pod seen just before, less still: a `kubernetes` object whose bytes equal one
 * of the last few read is that object (equal bytes: the same valid JSON, ending at the same
 * place) and is neither scanned nor decoded again; an RFC 3339 UTC `time` is read from its bytes
 * (the day parsed once by Date.parse, the rest by digits: what Date.parse gives for it).
 *
 * Anything the scan does not handle returns null and the caller uses readEnvelope: a record that
 * does not start with `{` (plain text, leading whitespace), a top-level key with an escape (it
 * could spell a name the envelope reads), nesting deeper than MAX_DEPTH, and every record
 * JSON.parse would refuse (readEnvelope then makes it a plain-text line). A duplicated member
 * needs no special case: the last one wins, as in JSON.parse.
 */
import { documentLabels, documentTime, stripNewline, type LogRecord } from './envelope.js'
import { cachedObject, recentObject, type CachedObject } from './envelope-objects.js'
import { utcTime } from './utc-time.js'

const MAX_DEPTH = 64
const EMPTY = Buffer.alloc(0)

// Set by stringEnd: whether the string just scanned has an escape.
let escaped = false

function skipWs (b: Buffer, i: number): number {
  while (i < b.length) {
    const c = b[i]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i
    i++
  }
  return i
}

function isHex (c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

function isDigit (c: number): boolean { return c >= 0x30 && c <= 0x39 }

/** `i` is just past an opening quote: the index of the closing quote, or -1 for a string JSON.parse refuses. */
function stringEnd (b: Buffer, i: number): number {
  escaped = false
  const n = b.length
  while (i < n) {
    const c = b[i]
    if (c === 0x22) return i
    if (c < 0x20) return -1
    if (c === 0x5c) {
      escaped = true
      const e = b[i + 1]
      if (e === 0x75) {
        if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1
        i += 6
        continue
      }
      // " \ / b f n r t
      if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1
      i += 2
      continue
    }
    i++
  }
  return -1
}

/** The end of a JSON number starting at `i`, or -1. */
function numberEnd (b: Buffer, i: number): number {
  if (b[i] === 0x2d) i++
  if (b[i] === 0x30) i++
  else if (b[i] >= 0x31 && b[i] <= 0x39) { i++; while (isDigit(b[i])) i++ } else return -1
  if (b[i] === 0x2e) {
    i++
    if (!isDigit(b[i])) return -1
    while (isDigit(b[i])) i++
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++
    if (b[i] === 0x2b || b[i] === 0x2d) i++
    if (!isDigit(b[i])) return -1
    while (isDigit(b[i])) i++
  }
  return i
}

function literalEnd (b: Buffer, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return -1
  return i + word.length
}

/** The end of the JSON value starting at `i`, or -1. */
function valueEnd (b: Buffer, i: number, depth: number): number {
  const c = b[i]
  if (c === 0x22) { const e = stringEnd(b, i + 1); return e < 0 ? -1 : e + 1 }
  if (c === 0x7b) return containerEnd(b, i, depth, true)
  if (c === 0x5b) return containerEnd(b, i, depth, false)
  if (c === 0x2d || isDigit(c)) return numberEnd(b, i)
  if (c === 0x74) return literalEnd(b, i, 'true')
  if (c === 0x66) return literalEnd(b, i, 'false')
  if (c === 0x6e) return literalEnd(b, i, 'null')
  return -1
}

/** The end of the object (`{`) or array (`[`) at `i`, or -1. */
function containerEnd (b: Buffer, i: number, depth: number, isObject: boolean): number {
  if (depth >= MAX_DEPTH) return -1
  const close = isObject ? 0x7d : 0x5d
  i = skipWs(b, i + 1)
  if (b[i] === close) return i + 1
  for (;;) {
    if (isObject) {
      if (b[i] !== 0x22) return -1
      const k = stringEnd(b, i + 1)
      if (k < 0) return -1
      i = skipWs(b, k + 1)
      if (b[i] !== 0x3a) return -1
      i = skipWs(b, i + 1)
    }
    i = valueEnd(b, i, depth + 1)
    if (i < 0) return -1
    i = skipWs(b, i)
    if (b[i] === 0x2c) { i = skipWs(b, i + 1); continue }
    return b[i] === close ? i + 1 : -1
  }
}

/** Top-level members the envelope reads, by id: documentLabels / documentTime read 0–11; 12, 13 are the line. */
const NAMES = ['kubernetes', 'namespace', 'pod', 'container', 'host', 'hostname', 'image', 'stream', 'labels', 'time', '@timestamp', 'timestamp', 'log', 'message'] as const
const KUBERNETES = 0
const STREAM = 7
const TIME = 9
const LOG = 12
const MESSAGE = 13
const BY_LENGTH: number[][] = []
NAMES.forEach((n, id) => { (BY_LENGTH[n.length] ??= []).push(id) })

/** Which of NAMES the key b[s, e) is (no escapes in it), or -1. */
const NAME_BYTES = NAMES.map(n => Buffer.from(n, 'latin1'))

function memberId (b: Buffer, s: number, e: number): number {
  const ids = BY_LENGTH[e - s]
  if (ids === undefined) return -1
  next: for (let j = 0; j < ids.length; j++) {
    const name = NAME_BYTES[ids[j]]
    for (let k = 0; k < name.length; k++) if (b[s + k] !== name[k]) continue next
    return ids[j]
  }
  return -1
}



/** The value of the member text b[s, e), as JSON.parse of the whole record gives it. */
function decode (b: Buffer, s: number, e: number, hasEscape: boolean): unknown {
  const c = b[s]
  if (c === 0x22 && !hasEscape) return b.toString('utf8', s + 1, e - 1)
  if (c === 0x7b) return cachedObject(b, s, e).value
  return JSON.parse(b.toString('utf8', s, e))
}

/**
 * The members documentLabels / documentTime read, decoded when read: a property absent from
 * the record reads as undefined, as on the object JSON.parse makes. One is reused for every
 * record (nothing keeps it past scanEnvelope).
 */
class Members {
  /** Per id: start, end (start −1: absent); bit id of `escapes`: the string has an escape. */
  readonly at: number[] = new Array<number>(2 * NAMES.length).fill(-1)
  /** Bit id: at[2 id] was set by the record scanned last (reset before the next, rather than all of `at`). */
  set = 0
  escapes = 0
  b: Buffer = EMPTY
  value (id: number): unknown {
    const s = this.at[2 * id]
    return s < 0 ? undefined : decode(this.b, s, this.at[2 * id + 1], (this.escapes & (1 << id)) !== 0)
  }
}
for (let id = 0; id < LOG; id++) Object.defineProperty(Members.prototype, NAMES[id], { get (this: Members) { return this.value(id) } })
const members = new Members()

/** A scanned record: labels and time read, the line decoded on first use. */
export class ScannedRecord implements LogRecord {
  #line: string | undefined
  /**
   * `shared`: the labels object is frozen and the same for every record with the same label
   * members (a pod's `kubernetes` object and `stream`), so a caller may remember what it derived
   * from it by identity. The line is the string b[lineStart, lineEnd) (quotes included), or
   * with lineStart −1 the record's whole text.
   */
  constructor (readonly labels: Readonly<Record<string, string>>, readonly ts: number, readonly shared: boolean, private readonly b: Buffer, private readonly lineStart: number, private readonly lineEnd: number, private readonly lineEscaped: boolean) {}

  get line (): string {
    if (this.#line === undefined) {
      // No `log` or `message` string: the record's text is the line.
      const text = this.lineStart < 0 ? this.b.toString('utf8') : decode(this.b, this.lineStart, this.lineEnd, this.lineEscaped) as string
      this.#line = stripNewline(text)
    }
    return this.#line
  }
}

// The `stream` member of the record before (stdout, stderr): the same bytes give the same string.
let lastStream = ''
let lastStreamBytes = Buffer.alloc(0)

/** m.value(STREAM), without a new string when its bytes are the last one's. */
function streamValue (m: Members): unknown {
  const s = m.at[2 * STREAM]
  const e = m.at[2 * STREAM + 1]
  const b = m.b
  if (s < 0 || b[s] !== 0x22 || (m.escapes & (1 << STREAM)) !== 0) return m.value(STREAM)
  const n = e - s - 2
  let same = n === lastStreamBytes.length
  for (let i = 0; same && i < n; i++) same = b[s + 1 + i] === lastStreamBytes[i]
  if (!same) {
    lastStream = b.toString('utf8', s + 1, e - 1)
    lastStreamBytes = Buffer.from(b.subarray(s + 1, e - 1))
  }
  return lastStream
}

/** The record readEnvelope(b.toString('utf8'), kafkaTimestamp) gives, or null when the scan does not handle it. */
export function scanEnvelope (b: Buffer, kafkaTimestamp: number): ScannedRecord | null {
  try {
    return scan(b, kafkaTimestamp)
  } finally {
    // The reused members keep no record's bytes (a slice of a whole fetched response) alive.
    members.b = EMPTY
  }
}

function scan (b: Buffer, kafkaTimestamp: number): ScannedRecord | null {
  if (b[0] !== 0x7b) return null
  const m = members
  const at = m.at
  for (let id = 0; m.set !== 0; id++, m.set >>>= 1) if ((m.set & 1) !== 0) at[2 * id] = -1
  m.escapes = 0
  m.b = b
  let kubernetes: CachedObject | undefined
  let present = 0
  let i = skipWs(b, 1)
  if (b[i] === 0x7d) i++
  else {
    for (;;) {
      if (b[i] !== 0x22) return null
      const ks = i + 1
      const ke = stringEnd(b, ks)
      if (ke < 0 || escaped) return null
      i = skipWs(b, ke + 1)
      if (b[i] !== 0x3a) return null
      const vs = skipWs(b, i + 1)
      const id = memberId(b, ks, ke)
      // The pod of a record just read: its object's bytes again, already checked and parsed.
      const known = id === KUBERNETES && b[vs] === 0x7b ? recentObject(b, vs) : undefined
      if (id === KUBERNETES) kubernetes = known
      const ve = known !== undefined ? vs + known.bytes.length : valueEnd(b, vs, 1)
      if (ve < 0) return null
      if (id >= 0) {
        // The last of a duplicated member wins, as in JSON.parse.
        at[2 * id] = vs
        at[2 * id + 1] = ve
        present |= 1 << id
        m.set |= 1 << id
        if (b[vs] === 0x22 && escaped) m.escapes |= 1 << id
        else m.escapes &= ~(1 << id)
      }
      i = skipWs(b, ve)
      if (b[i] === 0x2c) { i = skipWs(b, i + 1); continue }
      if (b[i] !== 0x7d) return null
      i++
      break
    }
  }
  if (skipWs(b, i) !== b.length) return null
  const doc = m as unknown as Record<string, unknown>
  const timeAt = at[2 * TIME]
  const fast = timeAt >= 0 && b[timeAt] === 0x22 && (m.escapes & (1 << TIME)) === 0 ? utcTime(b, timeAt + 1, at[2 * TIME + 1] - 1) : null
  const ts = fast ?? documentTime(doc, kafkaTimestamp)
  // The line: `log` if a string, else `message` if a string, else the record's text.
  const lineId = present & (1 << LOG) && b[at[2 * LOG]] === 0x22 ? LOG : present & (1 << MESSAGE) && b[at[2 * MESSAGE]] === 0x22 ? MESSAGE : -1
  const lineStart = lineId < 0 ? -1 : at[2 * lineId]
  const lineEnd = lineId < 0 ? -1 : at[2 * lineId + 1]
  const lineEscaped = lineId >= 0 && (m.escapes & (1 << lineId)) !== 0
  // The common shape — labels from a `kubernetes` object and `stream` alone — is worked out once per pod and stream.
  const labelMembers = present & ((1 << LOG) - 1) & ~((1 << 9) | (1 << 10) | (1 << 11))
  if ((labelMembers & ~(1 << STREAM)) === 1 << KUBERNETES && b[at[0]] === 0x7b) {
    const cached = kubernetes ?? cachedObject(b, at[0], at[1])
    const stream = streamValue(m)
    const key = typeof stream === 'string' ? stream : stream === undefined ? undefined : null
    if (key !== null) {
      let labels = cached.labelsByStream.get(key)
      if (labels === undefined) {
        if (cached.labelsByStream.size >= 16) cached.labelsByStream.clear()
        cached.labelsByStream.set(key, labels = Object.freeze(documentLabels(doc)))
      }
      return new ScannedRecord(labels, ts, true, b, lineStart, lineEnd, lineEscaped)
    }
  }
  return new ScannedRecord(documentLabels(doc), ts, false, b, lineStart, lineEnd, lineEscaped)
}
