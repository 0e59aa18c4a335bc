// Decodes stored RecordBatches (magic 2) into records. The layout constants and header reader
// come from the broker's own record-batch module, so the two cannot disagree about the format.
//
// Record, inside the (possibly compressed) records section, every integer a zigzag varint:
//   length | attributes int8 | timestampDelta | offsetDelta | keyLength | key | valueLength |
//   value | headerCount | [headerKeyLength | headerKey | headerValueLength | headerValue]
import {
  readBatchInfo, ATTRIBUTES, BASE_TIMESTAMP, BATCH_LENGTH, HEADER_SIZE, LOG_OVERHEAD, MAGIC
} from '../broker/log/record-batch.js'
import { decompressRecords } from './batch-codecs.js'

const TIMESTAMP_TYPE_FLAG = 0x08 // 1 = LogAppendTime: every record carries maxTimestamp
const CONTROL_FLAG = 0x20

/** One record as stored, with key, value and headers decoded as UTF-8. */
export interface StoredRecord {
  offset: number
  timestamp: number
  key: string | null
  value: string | null
  headers: Record<string, string>
}

/** One batch: its offset range and its records, or why its records could not be read. */
export interface DecodedBatch {
  baseOffset: number
  lastOffset: number
  maxTimestamp: number
  /** Bytes the batch takes on disk (what scan budgets count). */
  size: number
  records: StoredRecord[]
  /** Set when the records were not decoded (unsupported codec, corrupt data). */
  skipped?: string
}

/** Size of the complete batch at `position`, or -1 when the buffer ends before it does. */
export function batchSizeAt (buf: Buffer, position: number): number {
  if (position + LOG_OVERHEAD > buf.length) return -1
  const size = buf.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD
  return position + size <= buf.length && size >= HEADER_SIZE ? size : -1
}

/** Decodes every complete batch in `buf` (whole batches back to back, as PartitionLog.read returns). */
export function decodeBatches (buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = []
  let position = 0
  for (let size = batchSizeAt(buf, 0); size > 0; size = batchSizeAt(buf, position)) {
    out.push(decodeBatch(buf.subarray(position, position + size)))
    position += size
  }
  return out
}

/** Decodes one whole batch (starting at byte 0 of `batch`). Never throws on bad record data. */
export function decodeBatch (batch: Buffer): DecodedBatch {
  const info = readBatchInfo(batch, 0)
  const result: DecodedBatch = {
    baseOffset: info.baseOffset,
    lastOffset: info.baseOffset + info.lastOffsetDelta,
    maxTimestamp: info.maxTimestamp,
    size: info.size,
    records: []
  }
  if (batch[MAGIC] !== 2) return { ...result, skipped: `batch skipped: magic ${batch[MAGIC]} (only RecordBatch v2 is stored)` }
  const attributes = batch.readInt16BE(ATTRIBUTES)
  // Control batches mark transaction boundaries; they hold no user records.
  if ((attributes & CONTROL_FLAG) !== 0) return result
  let body: Buffer
  try {
    const decompressed = decompressRecords(info.compression, batch.subarray(HEADER_SIZE, info.size))
    if (!Buffer.isBuffer(decompressed)) return { ...result, skipped: decompressed.unsupported }
    body = decompressed
  } catch (err) {
    return { ...result, skipped: `batch skipped: cannot decompress (${(err as Error).message})` }
  }
  const baseTimestamp = batch.readInt32BE(BASE_TIMESTAMP) * 4294967296 + batch.readUInt32BE(BASE_TIMESTAMP + 4)
  const logAppendTime = (attributes & TIMESTAMP_TYPE_FLAG) !== 0
  try {
    const reader = new VarintReader(body)
    for (let i = 0; i < info.recordsCount && reader.pos < body.length; i++) {
      const length = reader.varint()
      const end = reader.pos + length
      reader.pos++ // record attributes: unused
      const timestampDelta = reader.varint()
      const offsetDelta = reader.varint()
      const key = reader.string()
      const value = reader.string()
      const headers: Record<string, string> = {}
      const headerCount = reader.varint()
      for (let h = 0; h < headerCount; h++) {
        const name = reader.string() ?? ''
        headers[name] = reader.string() ?? ''
      }
      if (reader.pos > end || end > body.length) throw new Error(`record ${i} overruns its length`)
      reader.pos = end
      result.records.push({
        offset: info.baseOffset + offsetDelta,
        timestamp: logAppendTime ? info.maxTimestamp : baseTimestamp + timestampDelta,
        key,
        value,
        headers
      })
    }
  } catch (err) {
    // Keep what decoded cleanly; say the rest could not be read.
    return { ...result, skipped: `batch partly skipped: corrupt record data (${(err as Error).message})` }
  }
  return result
}

/** Zigzag varints and length-prefixed strings, bounds-checked (a bad length throws). */
class VarintReader {
  pos = 0
  readonly #buf: Buffer
  constructor (buf: Buffer) { this.#buf = buf }

  varint (): number {
    let result = 0
    let shift = 0
    for (;;) {
      if (this.pos >= this.#buf.length) throw new Error('varint runs past the end')
      const b = this.#buf[this.pos++]
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) break
      shift += 7
      if (shift > 63) throw new Error('varint too long')
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2
  }

  string (): string | null {
    const length = this.varint()
    if (length < 0) return null
    if (this.pos + length > this.#buf.length) throw new Error('length runs past the end')
    const s = this.#buf.toString('utf8', this.pos, this.pos + length)
    this.pos += length
    return s
  }
}
