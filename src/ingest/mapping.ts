// Every ingest API ends here: a line, its time, its stream and its labels become the same
// record `tidewatch tail` produces (collect/envelope.ts), so a rule or a function cannot tell
// how a line came. Labels are sorted onto Fluent Bit's `kubernetes` object by the names the
// shippers use (OTLP's k8s.* resource attributes, Loki/Promtail's namespace/pod/container,
// Vector's kubernetes.pod_namespace …); anything else becomes a pod label
// (`kubernetes.labels`), which is where rules read labels beyond the fixed ones.
import { envelope, nanosToRfc3339, K8S_ATTRIBUTES } from '../collect/envelope.js'
import { recordTimestamp, type IngestRecord } from '../logstore/ingest-body.js'
import { toEpochMs } from '../shared/epoch.js'

export interface Line {
  log: string
  /** RFC 3339; null: the time of ingest. */
  time: string | null
  stream?: string | null
  /** Flat labels (Loki stream labels, OTLP resource attributes). */
  labels?: Record<string, string>
  /** Further fields kept at the top level (structured metadata, record attributes). */
  extra?: Record<string, unknown> | null
}

/** Labels → `kubernetes` object and stream. */
export function sortLabels (labels: Record<string, string>): { kubernetes: Record<string, unknown>, stream: string | null } {
  const kubernetes: Record<string, unknown> = {}
  const pod: Record<string, string> = {}
  let stream: string | null = null
  for (const [k, v] of Object.entries(labels)) {
    if (k === 'stream' || k === 'log.iostream') { stream = v; continue }
    const field = K8S_ATTRIBUTES[k]
    if (field !== undefined) { if (kubernetes[field] === undefined) kubernetes[field] = v } else pod[k] = v
  }
  if (Object.keys(pod).length > 0) kubernetes.labels = pod
  return { kubernetes, stream }
}

/** The record for one line. `now` stamps lines without a time. */
export function lineRecord (l: Line, now: number): IngestRecord {
  const { kubernetes, stream } = sortLabels(l.labels ?? {})
  const time = l.time ?? new Date(now).toISOString()
  const doc = envelope({ log: l.log, time, stream: l.stream ?? stream, kubernetes, extra: l.extra })
  return { value: JSON.stringify(doc), timestamp: Date.parse(time) || now, doc }
}

// Vector's kubernetes_logs names, onto Fluent Bit's.
const VECTOR_K8S: Record<string, string> = { pod_namespace: 'namespace_name', pod_node_name: 'host', pod_uid: 'pod_id', pod_labels: 'labels', container_image: 'container_image' }

/**
 * A document a shipper sent as it is (Elasticsearch _bulk): Fluent Bit/Fluentd's envelope,
 * Vector's (message, timestamp, kubernetes.pod_namespace …) or any other object. Its line is
 * `log`, else `message`, else the document; its time `time`, `@timestamp` or `timestamp`.
 */
export function documentRecord (doc: Record<string, unknown>, now: number): IngestRecord {
  const { log, message, time, stream, kubernetes } = doc
  const extra: Record<string, unknown> = {}
  for (const k of Object.keys(doc)) {
    if (k === 'log' || k === 'time' || k === 'stream' || k === 'kubernetes' || k === '@timestamp' || k === 'timestamp' || k === 'date') continue
    if (k === 'message' && typeof log !== 'string') continue
    extra[k] = doc[k]
  }
  const line = typeof log === 'string' ? log : typeof message === 'string' ? message : JSON.stringify(doc)
  const ms = recordTimestamp(doc) ?? toEpochMs(doc.timestamp)
  const rfc = typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? time : ms !== null ? nanosToRfc3339(BigInt(Math.round(ms * 1e6))) : null
  let k8s: Record<string, unknown> | null = null
  if (kubernetes !== null && typeof kubernetes === 'object' && !Array.isArray(kubernetes)) {
    k8s = {}
    for (const [k, v] of Object.entries(kubernetes as Record<string, unknown>)) {
      const name = VECTOR_K8S[k] ?? k
      if (k8s[name] === undefined) k8s[name] = v
    }
  }
  const out = envelope({ log: line, time: rfc ?? new Date(now).toISOString(), stream: typeof stream === 'string' ? stream : null, kubernetes: k8s, extra })
  return { value: JSON.stringify(out), timestamp: ms ?? now, doc: out }
}

/** Parses Prometheus/Loki label text `{a="b", c="d"}` (with \" \\ \n escapes); null when malformed. */
export function parseLabelText (text: string): Record<string, string> | null {
  const out: Record<string, string> = {}
  let i = text.indexOf('{')
  if (i < 0) return null
  i++
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++
    if (text[i] === '}') return out
    const m = /^[A-Za-z_.][\w.]*/.exec(text.slice(i, i + 256))
    if (m === null) return null
    i += m[0].length
    while (text[i] === ' ') i++
    if (text[i] !== '=' || text[i + 1] !== '"') return null
    i += 2
    let v = ''
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') { i++; v += text[i] === 'n' ? '\n' : text[i] } else v += text[i]
    }
    if (i >= text.length) return null
    i++
    out[m[0]] = v
  }
}
