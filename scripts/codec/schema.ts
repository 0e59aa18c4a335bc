import fs from 'node:fs'

/** An inclusive version range; `max` is Infinity for "N+", and min > max for "none". */
export interface Range { min: number, max: number }

export const NONE: Range = { min: 1, max: 0 }

export function parseRange (spec: string | undefined, fallback: Range = NONE): Range {
  if (spec === undefined) return fallback
  const s = spec.trim()
  if (s === 'none') return NONE
  if (s.endsWith('+')) return { min: Number(s.slice(0, -1)), max: Infinity }
  const dash = s.indexOf('-')
  if (dash > 0) return { min: Number(s.slice(0, dash)), max: Number(s.slice(dash + 1)) }
  return { min: Number(s), max: Number(s) }
}

export function isEmpty (r: Range): boolean { return r.min > r.max }

export function intersect (a: Range, b: Range): Range {
  return { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) }
}

/** True when `inner` covers every version of `outer` that exists. */
export function covers (inner: Range, outer: Range): boolean {
  return isEmpty(outer) || (inner.min <= outer.min && inner.max >= outer.max)
}

export interface FieldSpec {
  name: string
  type: string
  versions: Range
  nullable: Range
  tagged: Range
  tag: number | null
  default: string | undefined
  /** A field-level override of the message's flexible versions (RequestHeader's ClientId). */
  flexible: Range | null
  fields: FieldSpec[] | null
}

export interface MessageSpec {
  name: string
  kind: string
  apiKey: number
  valid: Range
  flexible: Range
  fields: FieldSpec[]
  commonStructs: Map<string, FieldSpec[]>
}

interface RawField {
  name: string
  type: string
  versions?: string
  nullableVersions?: string
  taggedVersions?: string
  tag?: number
  default?: string | number | boolean
  flexibleVersions?: string
  fields?: RawField[]
}

function field (raw: RawField): FieldSpec {
  return {
    name: raw.name,
    type: raw.type,
    versions: parseRange(raw.versions),
    nullable: parseRange(raw.nullableVersions),
    tagged: parseRange(raw.taggedVersions),
    tag: raw.tag ?? null,
    default: raw.default === undefined ? undefined : String(raw.default),
    flexible: raw.flexibleVersions === undefined ? null : parseRange(raw.flexibleVersions),
    fields: raw.fields === undefined ? null : raw.fields.map(field)
  }
}

/** Kafka's message files are JSON with whole-line `//` comments. */
export function loadMessage (file: string): MessageSpec {
  const text = fs.readFileSync(file, 'utf8').split('\n').filter(l => !l.trim().startsWith('//')).join('\n')
  const raw = JSON.parse(text)
  const common = new Map<string, FieldSpec[]>()
  for (const s of raw.commonStructs ?? []) common.set(s.name, s.fields.map(field))
  return {
    name: raw.name,
    kind: raw.type,
    apiKey: raw.apiKey ?? -1,
    valid: parseRange(raw.validVersions),
    flexible: parseRange(raw.flexibleVersions),
    fields: raw.fields.map(field),
    commonStructs: common
  }
}
