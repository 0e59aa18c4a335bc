// OTLP/HTTP logs (POST /v1/logs), as the OpenTelemetry SDKs' exporters and the Collector's
// otlphttp exporter send it: application/x-protobuf (ExportLogsServiceRequest, decoded with
// opentelemetry-proto's own files) or application/json (the same message in OTLP's JSON
// mapping: lowerCamelCase, 64-bit integers as strings, ids as hex). Resource attributes
// (k8s.namespace.name, k8s.pod.name, k8s.container.name, k8s.node.name, service.name …) become
// the record's labels; a record's attributes its top-level fields; `log.iostream` its stream.
// A record that cannot be stored is counted in partialSuccess.rejectedLogRecords (OTLP's
// answer to a partial acceptance: 200, and the client does not retry those).
import { badParam } from '../logstore/errors.js'
import type { IngestRecord } from '../logstore/ingest-body.js'
import { nanosToRfc3339 } from '../collect/envelope.js'
import { lineRecord } from './mapping.js'
import { ingestSchemas } from './protos.js'
import { tooManyRecords } from './append.js'

type AnyValue = { stringValue?: string, boolValue?: boolean, intValue?: string | number, doubleValue?: number, bytesValue?: string | Uint8Array, arrayValue?: { values?: AnyValue[] }, kvlistValue?: { values?: KeyValue[] } }
type KeyValue = { key?: string, value?: AnyValue }
interface LogRecord { timeUnixNano?: string | number, observedTimeUnixNano?: string | number, severityText?: string, severityNumber?: number, body?: AnyValue, attributes?: KeyValue[], traceId?: string | Uint8Array, spanId?: string | Uint8Array }
interface Request { resourceLogs?: { resource?: { attributes?: KeyValue[] }, scopeLogs?: { scope?: { name?: string }, logRecords?: LogRecord[] }[] }[] }

function plain (v: AnyValue | undefined): unknown {
  if (v === undefined || v === null) return null
  if (v.stringValue !== undefined) return v.stringValue
  if (v.boolValue !== undefined) return v.boolValue
  if (v.intValue !== undefined) { const n = Number(v.intValue); return Number.isSafeInteger(n) ? n : String(v.intValue) }
  if (v.doubleValue !== undefined) return v.doubleValue
  if (v.bytesValue !== undefined) return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue).toString('base64')
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(plain)
  if (v.kvlistValue !== undefined) return Object.fromEntries((v.kvlistValue.values ?? []).map(kv => [kv.key ?? '', plain(kv.value)]))
  return null
}

function text (v: unknown): string { return typeof v === 'string' ? v : JSON.stringify(v) }

function hex (id: string | Uint8Array | undefined): string | undefined {
  if (id === undefined || id.length === 0) return undefined
  return typeof id === 'string' ? id : Buffer.from(id).toString('hex')
}

function records (req: Request, now: number, maxRecords: number): IngestRecord[] {
  const out: IngestRecord[] = []
  for (const rl of req.resourceLogs ?? []) {
    const labels: Record<string, string> = {}
    for (const kv of rl.resource?.attributes ?? []) if (kv.key !== undefined) labels[kv.key] = text(plain(kv.value))
    for (const sl of rl.scopeLogs ?? []) {
      for (const r of sl.logRecords ?? []) {
        if (out.length === maxRecords) throw tooManyRecords(maxRecords)
        const extra: Record<string, unknown> = {}
        let stream: string | null = null
        for (const kv of r.attributes ?? []) {
          if (kv.key === 'log.iostream') stream = text(plain(kv.value))
          else if (kv.key !== undefined) extra[kv.key] = plain(kv.value)
        }
        if (r.severityText !== undefined && r.severityText !== '') extra.severity = r.severityText
        const traceId = hex(r.traceId)
        if (traceId !== undefined) extra.trace_id = traceId
        const spanId = hex(r.spanId)
        if (spanId !== undefined) extra.span_id = spanId
        const nanos = nonZero(r.timeUnixNano) ?? nonZero(r.observedTimeUnixNano)
        out.push(lineRecord({ log: text(plain(r.body) ?? ''), time: nanos !== null ? nanosToRfc3339(nanos) : null, stream, labels, extra }, now))
      }
    }
  }
  return out
}

function nonZero (v: string | number | undefined): bigint | null {
  if (v === undefined) return null
  if (!/^\d{1,20}$/.test(String(v))) throw badParam('body', `timeUnixNano '${String(v).slice(0, 40)}' is not a whole number of nanoseconds`)
  const n = BigInt(v)
  return n === 0n ? null : n
}

export function parseOtlpProtobuf (body: Buffer, now: number, maxRecords: number): IngestRecord[] {
  const type = ingestSchemas().otlpLogsRequest
  let req: Request
  try { req = type.toObject(type.decode(body), { longs: String }) as Request } catch (err) {
    throw badParam('body', `the body is not an OTLP ExportLogsServiceRequest: ${(err as Error).message}`)
  }
  return records(req, now, maxRecords)
}

export function parseOtlpJson (text: string, now: number, maxRecords: number): IngestRecord[] {
  let doc: unknown
  try { doc = JSON.parse(text) } catch (err) { throw badParam('body', `the body is not valid JSON: ${(err as Error).message}`) }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw badParam('body', 'expected an ExportLogsServiceRequest: {"resourceLogs":[…]}')
  return records(doc as Request, now, maxRecords)
}

/** The answer, in the request's encoding; partialSuccess only when something was rejected. */
export function otlpResponse (protobuf: boolean, rejected: number, reason: string): Buffer | Record<string, unknown> {
  const body = rejected > 0 ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage: reason } } : {}
  if (!protobuf) return rejected > 0 ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: reason } } : {}
  const type = ingestSchemas().otlpLogsResponse
  return Buffer.from(type.encode(type.fromObject(body)).finish())
}
