// Builds RecordBatches the way a producer does, CRC-32C included: HTTP ingest appends without a
// Kafka client, and tests need exact bytes (control batches, odd timestamps, each codec).
import { Writer } from '../writer.js'
import { ATTRIBUTES, CONTROL_FLAG, LOG_OVERHEAD, TIMESTAMP_TYPE_FLAG, TRANSACTIONAL_FLAG, updateCrc } from './layout.js'
import { compressRecords } from './compression.js'

export interface BatchRecord { key?: string | Buffer | null, value: string | Buffer | null, timestamp?: number, headers?: [string, string][] }

export interface BatchOptions {
  baseOffset?: number
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  /** Base timestamp (default: the first record's, else now). */
  timestamp?: number
  /** Codec 0-4 (none, gzip, snappy, lz4, zstd). Default 0. */
  compression?: number
  transactional?: boolean
  control?: boolean
  logAppendTime?: boolean
  /** Written as the header's maxTimestamp instead of the computed one (tests of bad producers). */
  maxTimestampOverride?: number
  /**
   * Offset deltas of the records (default 0, 1, 2, ...) and the batch's lastOffsetDelta (default
   * the largest): a compacted batch keeps its offset range with records missing from it.
   */
  offsetDeltas?: number[]
  lastOffsetDelta?: number
}

function bytes (w: Writer, v: string | Buffer | null | undefined): void {
  if (v === null || v === undefined) { w.writeVarint(-1); return }
  const b = typeof v === 'string' ? Buffer.from(v) : v
  w.writeVarint(b.length)
  w.writeRaw(b)
}

/** The records section (uncompressed) and its max timestamp. */
export function encodeRecords (records: BatchRecord[], base: number, offsetDeltas?: number[]): { section: Buffer, maxTimestamp: number } {
  const body = new Writer()
  let maxTimestamp = records.length === 0 ? base : -Infinity
  records.forEach((r, i) => {
    const ts = r.timestamp ?? base
    if (ts > maxTimestamp) maxTimestamp = ts
    const rec = new Writer()
    rec.writeInt8(0)
    rec.writeVarlong(ts - base)
    rec.writeVarint(offsetDeltas?.[i] ?? i)
    bytes(rec, r.key)
    bytes(rec, r.value)
    rec.writeVarint(r.headers?.length ?? 0)
    for (const [k, v] of r.headers ?? []) { bytes(rec, k); bytes(rec, v) }
    const encoded = rec.toBuffer()
    body.writeVarint(encoded.length)
    body.writeRaw(encoded)
  })
  return { section: body.toBuffer(), maxTimestamp }
}

export function buildBatch (records: BatchRecord[], opts: BatchOptions = {}): Buffer {
  const base = opts.timestamp ?? records[0]?.timestamp ?? Date.now()
  const { section, maxTimestamp } = encodeRecords(records, base, opts.offsetDeltas)
  const codec = opts.compression ?? 0
  const payload = compressRecords(codec, section)
  const attributes = codec |
    (opts.logAppendTime === true ? TIMESTAMP_TYPE_FLAG : 0) |
    (opts.transactional === true ? TRANSACTIONAL_FLAG : 0) |
    (opts.control === true ? CONTROL_FLAG : 0)
  const w = new Writer()
  w.writeInt64(opts.baseOffset ?? 0)
  w.writeInt32(0) // batchLength, patched below
  w.writeInt32(-1) // partitionLeaderEpoch
  w.writeInt8(2) // magic
  w.writeInt32(0) // crc, computed below
  w.writeInt16(attributes)
  w.writeInt32(opts.lastOffsetDelta ?? (opts.offsetDeltas === undefined ? records.length - 1 : Math.max(-1, ...opts.offsetDeltas)))
  w.writeInt64(base)
  w.writeInt64(opts.maxTimestampOverride ?? maxTimestamp)
  w.writeInt64(opts.producerId ?? -1)
  w.writeInt16(opts.producerEpoch ?? -1)
  w.writeInt32(opts.baseSequence ?? -1)
  w.writeInt32(records.length)
  w.writeRaw(payload)
  const batch = w.toBuffer()
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8)
  updateCrc(batch, 0, batch.length)
  if (batch.readInt16BE(ATTRIBUTES) !== attributes) throw new Error('attributes not written where expected')
  return batch
}
