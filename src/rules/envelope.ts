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

function text (v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return undefined
}

function object (v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined
}

// Label keys repeat from record to record: sanitise each once (bounded).
const sanitized = new Map<string, string>()
function labelName (key: string): string {
  let name = sanitized.get(key)
  if (name === undefined) {
    if (sanitized.size >= 10_000) sanitized.clear()
    sanitized.set(key, name = sanitizeLabelName(key))
  }
  return name
}

/** Event time in ms: RFC 3339 in UTC is parsed directly (the common case), anything else by toEpochMs. */
function eventTime (v: unknown): number | null {
  if (typeof v === 'string' && v.length >= 20 && v.charCodeAt(10) === 84 /* T */ && v.charCodeAt(v.length - 1) === 90 /* Z */) {
    const ms = Date.parse(v)
    if (Number.isFinite(ms) && ms >= 0) return Math.floor(ms)
  }
  return toEpochMs(v)
}

export function stripNewline (line: string): string {
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
    return { labels: {}, line: stripNewline(value), ts: kafkaTimestamp }
  }
  return fromDocument(doc as Record<string, unknown>, value, kafkaTimestamp)
}

export function fromDocument (doc: Record<string, unknown>, value: string, kafkaTimestamp: number): LogRecord {
  const line = typeof doc.log === 'string' ? doc.log : typeof doc.message === 'string' ? doc.message : value
  return { labels: documentLabels(doc), line: stripNewline(line), ts: documentTime(doc, kafkaTimestamp) }
}

/** A parsed envelope's stream labels (fresh object; the caller may add `topic`). */
export function documentLabels (doc: Record<string, unknown>): Record<string, string> {
  // Property reads on a parsed JSON object are safe: anything but a string, number or boolean
  // (an inherited method, __proto__) is ignored. The reads follow LABEL_FIELDS, unrolled.
  const k8s = object(doc.kubernetes)
  const labels: Record<string, string> = {}
  const podLabels = object(k8s?.labels) ?? object(k8s?.pod_labels) ?? object(doc.labels)
  if (podLabels !== undefined) {
    for (const k in podLabels) {
      const name = labelName(k)
      const v = text(podLabels[k])
      if (name !== '' && name !== '__proto__' && v !== undefined && !Object.hasOwn(labels, name)) labels[name] = v
    }
  }
  // The fixed labels win over a pod label of the same name.
  const namespace = text(k8s?.namespace_name) ?? text(k8s?.pod_namespace) ?? text(doc.namespace)
  if (namespace !== undefined) labels.namespace = namespace
  const pod = text(k8s?.pod_name) ?? text(doc.pod)
  if (pod !== undefined) labels.pod = pod
  const container = text(k8s?.container_name) ?? text(doc.container)
  if (container !== undefined) labels.container = container
  const host = text(k8s?.host) ?? text(k8s?.pod_node_name) ?? text(doc.host) ?? text(doc.hostname)
  if (host !== undefined) labels.host = host
  const image = text(k8s?.container_image) ?? text(doc.image)
  if (image !== undefined) labels.image = image
  const stream = text(doc.stream)
  if (stream !== undefined) labels.stream = stream
  return labels
}

/** A parsed envelope's event time (ms), or `kafkaTimestamp`. */
export function documentTime (doc: Record<string, unknown>, kafkaTimestamp: number): number {
  return eventTime(doc.time) ?? eventTime(doc['@timestamp']) ?? eventTime(doc.timestamp) ?? kafkaTimestamp
}
