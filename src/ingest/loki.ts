// Loki's push API (POST /loki/api/v1/push) as Promtail, Grafana Alloy, the Loki Docker driver
// and client libraries send it:
// - application/x-protobuf: a snappy-compressed (block format) logproto.PushRequest, decoded
//   with Loki's own push.proto;
// - application/json: {"streams":[{"stream":{labels},"values":[["<ns epoch>","line",{meta}]]}]}.
// Stream labels become the record's labels (mapping.ts), structured metadata top-level fields.
// Loki answers 204; so does this.
import { compressionsAlgorithms } from '@platformatic/kafka'
import { LogStoreError, badParam } from '../logstore/errors.js'
import type { IngestRecord } from '../logstore/ingest-body.js'
import { nanosToRfc3339 } from '../collect/envelope.js'
import { lineRecord, parseLabelText } from './mapping.js'
import { ingestSchemas } from './protos.js'
import { tooManyRecords } from './append.js'

/** The snappy block's uncompressed length (its leading varint), checked before decompressing. */
export function snappyLength (body: Buffer): number {
  let n = 0
  for (let i = 0, shift = 0; i < Math.min(body.length, 5); i++, shift += 7) {
    n += (body[i] & 0x7f) * 2 ** shift
    if ((body[i] & 0x80) === 0) return n
  }
  throw badParam('body', 'the body is not snappy-compressed (Loki\'s protobuf push is snappy block format)')
}

export function decodeSnappy (body: Buffer, maxBytes: number): Buffer {
  const length = snappyLength(body)
  if (length > maxBytes) throw new LogStoreError(413, `the snappy body expands to ${length} bytes, more than the ingest limit of ${maxBytes} (ingest.maxBytes); send smaller requests`, 'body')
  try {
    const out = compressionsAlgorithms.snappy.decompressSync(body)
    return Buffer.isBuffer(out) ? out : Buffer.from(out)
  } catch (err) {
    throw badParam('body', `the body is not valid snappy: ${(err as Error).message}`)
  }
}

interface Entry { ts: string, line: string, meta: Record<string, string> | null }

function streamRecords (labels: Record<string, string>, entries: Entry[], out: IngestRecord[], now: number, maxRecords: number): void {
  for (const e of entries) {
    if (out.length === maxRecords) throw tooManyRecords(maxRecords)
    let time: string | null = null
    if (/^\d{1,19}$/.test(e.ts)) time = nanosToRfc3339(BigInt(e.ts))
    else throw badParam('body', `timestamp '${e.ts.slice(0, 40)}' is not nanoseconds since the epoch as a decimal string`)
    out.push(lineRecord({ log: e.line, time, labels, extra: e.meta }, now))
  }
}

export function parseLokiProtobuf (body: Buffer, maxBytes: number, now: number, maxRecords: number): IngestRecord[] {
  const raw = decodeSnappy(body, maxBytes)
  const type = ingestSchemas().lokiPushRequest
  let msg
  try { msg = type.toObject(type.decode(raw), { longs: String }) as { streams?: { labels?: string, entries?: { timestamp?: { seconds?: string, nanos?: number }, line?: string, structuredMetadata?: { name: string, value: string }[] }[] }[] } } catch (err) {
    throw badParam('body', `the body is not a Loki PushRequest: ${(err as Error).message}`)
  }
  const out: IngestRecord[] = []
  for (const [i, s] of (msg.streams ?? []).entries()) {
    const labels = parseLabelText(s.labels ?? '')
    if (labels === null) throw badParam('body', `stream ${i}: labels '${(s.labels ?? '').slice(0, 100)}' are not of the form {name="value", …}`)
    streamRecords(labels, (s.entries ?? []).map(e => ({
      ts: (BigInt(e.timestamp?.seconds ?? '0') * 1_000_000_000n + BigInt(e.timestamp?.nanos ?? 0)).toString(),
      line: e.line ?? '',
      meta: e.structuredMetadata !== undefined && e.structuredMetadata.length > 0 ? Object.fromEntries(e.structuredMetadata.map(m => [m.name, m.value])) : null
    })), out, now, maxRecords)
  }
  return out
}

export function parseLokiJson (text: string, now: number, maxRecords: number): IngestRecord[] {
  let doc: unknown
  try { doc = JSON.parse(text) } catch (err) { throw badParam('body', `the body is not valid JSON: ${(err as Error).message}`) }
  const streams = (doc as { streams?: unknown })?.streams
  if (!Array.isArray(streams)) throw badParam('body', 'expected {"streams":[{"stream":{…},"values":[["<unix ns>","line"]]}]}')
  const out: IngestRecord[] = []
  streams.forEach((s: { stream?: unknown, values?: unknown }, i) => {
    const labels: Record<string, string> = {}
    if (s?.stream !== null && typeof s?.stream === 'object') {
      for (const [k, v] of Object.entries(s.stream as Record<string, unknown>)) if (typeof v === 'string') labels[k] = v
    }
    if (!Array.isArray(s?.values)) throw badParam('body', `streams[${i}].values must be an array of ["<unix ns>", "line"] pairs`)
    streamRecords(labels, s.values.map((v: unknown, j: number) => {
      if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string') throw badParam('body', `streams[${i}].values[${j}] must be ["<unix ns>", "line"] (strings)`)
      const meta = v[2] !== null && typeof v[2] === 'object' ? Object.fromEntries(Object.entries(v[2] as Record<string, unknown>).filter(([, x]) => typeof x === 'string')) as Record<string, string> : null
      return { ts: v[0], line: v[1], meta }
    }), out, now, maxRecords)
  })
  return out
}
