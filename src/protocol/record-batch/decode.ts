// Whole batches to records with text keys, values and headers: what the log store shows and
// what tests compare. Never throws on bad data: a batch that cannot be read says why.
import { readBatchInfo, readInt64, batchSizeAt, batchProblem, BASE_TIMESTAMP, CONTROL_FLAG, HEADER_SIZE, TIMESTAMP_TYPE_FLAG } from './layout.js'
import { decompressRecords } from './compression.js'
import { walkRecords, readHeaders } from './records.js'

/** One record with key, value and headers decoded as UTF-8. */
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
  /** Control batches (transaction markers) carry no user records. */
  control: boolean
  records: StoredRecord[]
  /** Set when the records were not (all) decoded: corrupt data, an unknown codec. */
  skipped?: string
}

/** Decodes every complete batch in `buf` (whole batches back to back, as a log read returns). */
export function decodeBatches (buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = []
  let position = 0
  for (let size = batchSizeAt(buf, 0); size > 0; size = batchSizeAt(buf, position)) {
    out.push(decodeBatch(buf.subarray(position, position + size)))
    position += size
  }
  return out
}

/** Decodes one whole batch (starting at byte 0 of `batch`). */
export function decodeBatch (batch: Buffer, opts: { checkCrc?: boolean } = {}): DecodedBatch {
  const info = readBatchInfo(batch, 0)
  const control = (info.attributes & CONTROL_FLAG) !== 0
  const result: DecodedBatch = { baseOffset: info.baseOffset, lastOffset: info.baseOffset + info.lastOffsetDelta, maxTimestamp: info.maxTimestamp, size: info.size, control, records: [] }
  const problem = opts.checkCrc === true ? batchProblem(batch, 0) : (batch[16] !== 2 ? `magic ${batch[16]} (only RecordBatch v2 is supported)` : null)
  if (problem !== null) return { ...result, skipped: `batch skipped: ${problem}` }
  if (control) return result
  let section: Buffer
  try {
    section = decompressRecords(info.compression, batch.subarray(HEADER_SIZE, info.size))
  } catch (err) {
    return { ...result, skipped: `batch skipped: ${(err as Error).message}` }
  }
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP)
  const logAppendTime = (info.attributes & TIMESTAMP_TYPE_FLAG) !== 0
  try {
    walkRecords(section, info.recordsCount, r => {
      const headers: Record<string, string> = {}
      if (r.headerCount > 0) for (const [k, v] of readHeaders(section, r)) headers[k] = v
      result.records.push({
        offset: info.baseOffset + r.offsetDelta,
        timestamp: logAppendTime ? info.maxTimestamp : baseTimestamp + r.timestampDelta,
        key: r.keyStart < 0 ? null : section.toString('utf8', r.keyStart, r.keyEnd),
        value: r.valueStart < 0 ? null : section.toString('utf8', r.valueStart, r.valueEnd),
        headers
      })
    })
  } catch (err) {
    // Keep what decoded cleanly; say the rest could not be read.
    return { ...result, skipped: `batch partly skipped: corrupt record data (${(err as Error).message})` }
  }
  return result
}
