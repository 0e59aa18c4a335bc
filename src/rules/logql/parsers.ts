/**
 * LogQL's parsers as Loki runs them: `| json`, `| logfmt`, `| regexp`, `| pattern`, `| unpack`.
 * Extracted names are sanitised to [a-zA-Z_][a-zA-Z0-9_]*; a name that is already a stream
 * label gets the suffix `_extracted`; a line that does not parse keeps going with `__error__`
 * set (JSONParserErr, LogfmtParserErr), so a label filter can drop or keep it.
 */
import { compileRe2 } from '../../shared/re2.js'
import type { Extraction } from './ast.js'

export type Labels = Map<string, string>

/** What a parser sees: the current line and labels, and the stream's own labels. */
export interface Entry { line: string, labels: Labels, stream: Readonly<Record<string, string>>, ts: number }

export const ERROR_LABEL = '__error__'
export const ERROR_DETAILS_LABEL = '__error_details__'

export function setError (e: Entry, error: string, details?: string): void {
  if (e.labels.has(ERROR_LABEL)) return
  e.labels.set(ERROR_LABEL, error)
  if (details !== undefined) e.labels.set(ERROR_DETAILS_LABEL, details)
}

export function sanitizeLabelName (key: string): string {
  const k = key.trim()
  if (k === '') return ''
  return (/^[0-9]/.test(k) ? '_' : '') + k.replace(/[^a-zA-Z0-9_]/g, '_')
}

function extracted (e: Entry, name: string, value: string, seen: Set<string>): void {
  const key = Object.hasOwn(e.stream, name) ? name + '_extracted' : name
  // Within one parse the first occurrence wins, as in Loki.
  if (seen.has(key)) return
  seen.add(key)
  e.labels.set(key, value)
}

function scalarText (v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return undefined
}

function flattenJson (e: Entry, obj: Record<string, unknown>, prefix: string, seen: Set<string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const part = sanitizeLabelName(k)
    if (part === '') continue
    const name = prefix === '' ? part : `${prefix}_${part}`
    if (v !== null && typeof v === 'object') {
      if (!Array.isArray(v)) flattenJson(e, v as Record<string, unknown>, name, seen) // arrays are skipped
      continue
    }
    const text = scalarText(v)
    if (text !== undefined) extracted(e, name, text, seen)
  }
}

function parseObject (line: string): Record<string, unknown> | string {
  let doc: unknown
  try {
    doc = JSON.parse(line)
  } catch (err) {
    return (err as Error).message
  }
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? doc as Record<string, unknown> : 'expecting a JSON object'
}

/** `json.path[0]["key"]` as steps. */
export function jsonPath (path: string): (string | number)[] | null {
  const steps: (string | number)[] = []
  const re = /\s*(?:\.?([A-Za-z_][A-Za-z0-9_]*)|\[\s*(\d+)\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\])/y
  let i = 0
  while (i < path.length) {
    re.lastIndex = i
    const m = re.exec(path)
    if (m === null || (i > 0 && m[1] !== undefined && path[i] !== '.')) return null
    let step: string | number
    try { step = m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(`"${m[3]}"`) as string) } catch { return null }
    steps.push(step)
    i = re.lastIndex
  }
  return steps.length > 0 ? steps : null
}

export function jsonParser (params: Extraction[]): (e: Entry) => void {
  if (params.length === 0) {
    return e => {
      const doc = parseObject(e.line)
      if (typeof doc === 'string') return setError(e, 'JSONParserErr', doc)
      flattenJson(e, doc, '', new Set())
    }
  }
  const paths = params.map(p => {
    const steps = jsonPath(p.path)
    if (steps === null) throw new Error(`cannot read the JSON path '${p.path}'; write it like a.b, list[0] or a["key with spaces"]`)
    return { label: p.label, steps }
  })
  return e => {
    const doc = parseObject(e.line)
    if (typeof doc === 'string') return setError(e, 'JSONParserErr', doc)
    for (const { label, steps } of paths) {
      let v: unknown = doc
      for (const s of steps) v = v !== null && typeof v === 'object' && Object.hasOwn(v, s) ? (v as Record<string | number, unknown>)[s] : undefined
      const text = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
      e.labels.set(Object.hasOwn(e.stream, label) ? label + '_extracted' : label, text)
    }
  }
}

/** logfmt pairs: `k=v`, `k="quoted \" value"`, bare `k` (empty value); null on a malformed pair. */
export function* logfmtPairs (line: string): Generator<[string, string] | null> {
  let i = 0
  const n = line.length
  while (i < n) {
    while (i < n && line.charCodeAt(i) <= 32) i++
    if (i >= n) return
    const start = i
    while (i < n && line.charCodeAt(i) > 32 && line[i] !== '=' && line[i] !== '"') i++
    const key = line.slice(start, i)
    if (key === '') { while (i < n && line.charCodeAt(i) > 32) i++; yield null; continue }
    if (line[i] !== '=') {
      if (i < n && line.charCodeAt(i) > 32) { while (i < n && line.charCodeAt(i) > 32) i++; yield null; continue }
      yield [key, '']
      continue
    }
    i++
    if (line[i] === '"') {
      let value = ''
      let j = i + 1
      for (; j < n && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < n) {
          const c = line[++j]
          value += c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c
        } else value += line[j]
      }
      if (j >= n) { yield null; return }
      i = j + 1
      yield [key, value]
    } else {
      const vs = i
      while (i < n && line.charCodeAt(i) > 32) i++
      const value = line.slice(vs, i)
      if (value.includes('=') || value.includes('"')) { yield null; continue }
      yield [key, value]
    }
  }
}

export function logfmtParser (strict: boolean, keepEmpty: boolean, params: Extraction[]): (e: Entry) => void {
  const wanted = params.length === 0 ? null : new Map(params.map(p => [p.path, p.label]))
  return e => {
    const seen = new Set<string>()
    if (wanted !== null) for (const label of wanted.values()) if (!Object.hasOwn(e.stream, label)) e.labels.set(label, '')
    for (const pair of logfmtPairs(e.line)) {
      if (pair === null) {
        if (strict) return setError(e, 'LogfmtParserErr', 'malformed logfmt pair')
        continue
      }
      const key = sanitizeLabelName(pair[0])
      if (key === '') continue
      if (wanted !== null) {
        const label = wanted.get(key)
        if (label !== undefined) e.labels.set(Object.hasOwn(e.stream, label) ? label + '_extracted' : label, pair[1])
        continue
      }
      if (pair[1] === '' && !keepEmpty) continue
      extracted(e, key, pair[1], seen)
    }
  }
}

export function regexpParser (pattern: string): (e: Entry) => void {
  const re = compileRe2(pattern)
  if (re.groupNames.size === 0) throw new Error('the regexp parser needs at least one named group, e.g. (?P<status>\\d+)')
  for (const name of re.groupNames.values()) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`invalid extracted label name '${name}'`)
  }
  return e => {
    const m = re.exec(e.line)
    if (m === null) return
    const seen = new Set<string>()
    for (const [index, name] of re.groupNames) if (m[index] !== null) extracted(e, name, m[index] ?? '', seen)
  }
}

type PatternPart = { literal: string } | { capture: string }

/** `<ip> - <_> "<method> <path>"`: captures run to the next literal; literals are anything else. */
export function parsePattern (pattern: string): PatternPart[] {
  const parts: PatternPart[] = []
  const re = /<([a-zA-Z_][a-zA-Z0-9_]*)>/g
  let last = 0
  for (let m = re.exec(pattern); m !== null; m = re.exec(pattern)) {
    if (m.index > last) parts.push({ literal: pattern.slice(last, m.index) })
    const prev = parts[parts.length - 1]
    if (prev !== undefined && 'capture' in prev) throw new Error(`consecutive captures '<${prev.capture}><${m[1]}>' are not allowed; put a literal between them`)
    parts.push({ capture: m[1] })
    last = re.lastIndex
  }
  if (last < pattern.length) parts.push({ literal: pattern.slice(last) })
  const names = parts.flatMap(p => 'capture' in p && p.capture !== '_' ? [p.capture] : [])
  if (names.length === 0) throw new Error('a pattern needs at least one named capture, e.g. <status>')
  if (new Set(names).size !== names.length) throw new Error('a capture name appears twice in the pattern')
  return parts
}

export function patternParser (pattern: string): (e: Entry) => void {
  const parts = parsePattern(pattern)
  return e => {
    let rest = e.line
    if (rest === '') return
    let i = 0
    const first = parts[0]
    if ('literal' in first) {
      if (!rest.startsWith(first.literal)) return
      rest = rest.slice(first.literal.length)
      i = 1
    }
    const seen = new Set<string>()
    for (; i < parts.length; i += 2) {
      const capture = (parts[i] as { capture: string }).capture
      const next = parts[i + 1] as { literal: string } | undefined
      const at = next === undefined ? -1 : rest.indexOf(next.literal)
      // A capture at the end, or whose literal is missing, takes the rest of the line.
      const value = next === undefined || at < 0 ? rest : rest.slice(0, at)
      if (capture !== '_') extracted(e, capture, value, seen)
      if (next === undefined || at < 0) return
      rest = rest.slice(at + next.literal.length)
    }
  }
}

/** Promtail's `pack` stage, undone: string fields become labels, `_entry` the line. */
export function unpackParser (e: Entry): void {
  if (!e.line.startsWith('{')) return setError(e, 'JSONParserErr', 'expecting a JSON object')
  const doc = parseObject(e.line)
  if (typeof doc === 'string') return setError(e, 'JSONParserErr', doc)
  if (typeof doc._entry !== 'string') return
  for (const [k, v] of Object.entries(doc)) {
    if (k === '_entry' || typeof v !== 'string') continue
    e.labels.set(sanitizeLabelName(Object.hasOwn(e.stream, k) ? k + '_extracted' : k), v)
  }
  e.line = doc._entry
}
