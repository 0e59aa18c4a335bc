/**
 * A record as rules see it: stream labels, the log line and the event time, read from the
 * envelope that Fluent Bit, Fluentd, Vector or Tidewatch's own ingest wraps around a line. One
 * table (docs/rules.md) says which field each comes from; the first field present wins.
 */
import { toEpochMs } from '../shared/epoch.js'
import { sanitizeLabelName } from './logql/parsers.js'

export type StreamLabels = Readonly<Record<string, string>>

export interface LogRecord {
  /** Stream labels: namespace, pod, container, host, image, stream and the pod's labels. */
  labels: StreamLabels
  line: string
  /** Event time, epoch milliseconds. */
  ts: number
}

/** Fields each stream label is read from, in order: Fluent Bit / Fluentd, Vector, flat (Tidewatch ingest, syslog). */
export const LABEL_FIELDS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  namespace: [['kubernetes', 'namespace_name'], ['kubernetes', 'pod_namespace'], ['namespace']],
  pod: [['kubernetes', 'pod_name'], ['pod']],
  container: [['kubernetes', 'container_name'], ['container']],
  host: [['kubernetes', 'host'], ['kubernetes', 'pod_node_name'], ['host'], ['hostname']],
  image: [['kubernetes', 'container_image'], ['image']],
  stream: [['stream']]
}
/** Objects whose entries are the pod's labels. */
export const POD_LABEL_FIELDS: readonly (readonly string[])[] = [['kubernetes', 'labels'], ['kubernetes', 'pod_labels'], ['labels']]
export const LINE_FIELDS = ['log', 'message'] as const
export const TIME_FIELDS = ['time', '@timestamp', 'timestamp'] as const

function at (doc: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = doc
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

function text (v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return undefined
}

function stripNewline (line: string): string {
  if (line.endsWith('\r\n')) return line.slice(0, -2)
  return line.endsWith('\n') ? line.slice(0, -1) : line
}

/** Reads a record's labels, line and time; `kafkaTimestamp` when the record has no time of its own. */
export function readEnvelope (value: string, kafkaTimestamp: number): LogRecord {
  const c = value.charCodeAt(0)
  let doc: unknown
  // Only something that opens like an object is worth parsing; plain-text lines are the line.
  if (c === 0x7b || (c <= 0x20 && /^\s+\{/.test(value.slice(0, 64)))) {
    try { doc = JSON.parse(value) } catch { doc = undefined }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { labels: Object.create(null) as StreamLabels, line: stripNewline(value), ts: kafkaTimestamp }
  }
  return fromDocument(doc as Record<string, unknown>, value, kafkaTimestamp)
}

export function fromDocument (doc: Record<string, unknown>, value: string, kafkaTimestamp: number): LogRecord {
  const labels = Object.create(null) as Record<string, string>
  for (const path of POD_LABEL_FIELDS) {
    const podLabels = at(doc, path)
    if (podLabels === null || typeof podLabels !== 'object' || Array.isArray(podLabels)) continue
    for (const [k, v] of Object.entries(podLabels)) {
      const name = sanitizeLabelName(k)
      const s = text(v)
      if (name !== '' && s !== undefined && !(name in labels)) labels[name] = s
    }
    break
  }
  // The fixed labels win over a pod label of the same name.
  for (const [name, paths] of Object.entries(LABEL_FIELDS)) {
    for (const path of paths) {
      const s = text(at(doc, path))
      if (s !== undefined && s !== '') { labels[name] = s; break }
    }
  }
  let line: string | undefined
  for (const f of LINE_FIELDS) { const v = doc[f]; if (typeof v === 'string' && Object.hasOwn(doc, f)) { line = v; break } }
  let ts: number | null = null
  for (const f of TIME_FIELDS) { if (Object.hasOwn(doc, f) && (ts = toEpochMs(doc[f])) !== null) break }
  return { labels, line: stripNewline(line ?? value), ts: ts ?? kafkaTimestamp }
}
