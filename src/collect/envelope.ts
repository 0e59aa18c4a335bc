// The record a collected line becomes: Fluent Bit's envelope after its kubernetes filter, the
// shape rules (rules/envelope.ts) and functions (examples/logs-handler) already read:
//   {"time":"…","stream":"stdout","log":"…","kubernetes":{"pod_name",…}}
// Every way into Tidewatch (tail, Elasticsearch _bulk, Loki push, OTLP) builds it here, so a
// rule or function cannot tell how a line came.
export interface EnvelopeFields {
  log: string
  /** RFC 3339 with nanoseconds as the runtime wrote it (or made from a nanosecond epoch). */
  time: string
  stream?: string | null
  kubernetes?: Record<string, unknown> | null
  /** Further fields (an Elasticsearch document's own, an OTLP record's attributes). */
  extra?: Record<string, unknown> | null
}

/** The envelope as a JSON object. */
export function envelope (f: EnvelopeFields): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (f.extra !== undefined && f.extra !== null) {
    for (const k of Object.keys(f.extra)) if (k !== 'log' && k !== 'time' && k !== 'stream' && k !== 'kubernetes') out[k] = f.extra[k]
  }
  out.time = f.time
  if (f.stream !== undefined && f.stream !== null) out.stream = f.stream
  out.log = f.log
  if (f.kubernetes !== undefined && f.kubernetes !== null && Object.keys(f.kubernetes).length > 0) out.kubernetes = f.kubernetes
  return out
}

/** RFC 3339 UTC with nanoseconds from nanoseconds since the epoch (a bigint keeps them exact). */
export function nanosToRfc3339 (nanos: bigint): string {
  const ms = nanos / 1_000_000n
  const iso = new Date(Number(ms)).toISOString() // 2024-05-01T12:00:00.123Z
  const frac = (nanos % 1_000_000_000n + 1_000_000_000n) % 1_000_000_000n
  return `${iso.slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`
}

/** Epoch milliseconds of an RFC 3339 time (nanoseconds dropped); null when it is not one. */
export function rfc3339ToMs (time: string): number | null {
  const ms = Date.parse(time)
  return Number.isFinite(ms) ? ms : null
}

/** The Kubernetes labels shippers use, mapped onto Fluent Bit's `kubernetes` object. */
export const K8S_ATTRIBUTES: Readonly<Record<string, string>> = {
  'k8s.namespace.name': 'namespace_name',
  'k8s.pod.name': 'pod_name',
  'k8s.pod.uid': 'pod_id',
  'k8s.container.name': 'container_name',
  'k8s.node.name': 'host',
  'container.id': 'container_id',
  'container.image.name': 'container_image',
  // Loki / Promtail / Alloy stream labels.
  namespace: 'namespace_name',
  pod: 'pod_name',
  container: 'container_name',
  node_name: 'host',
  host: 'host'
}
