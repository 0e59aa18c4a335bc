// The broker's rules for the batches it is given; the format itself is the shared codec's
// (src/protocol/record-batch).
import { ErrorCode } from '../../protocol/error-codes.js'
import { batchProblem, readBatchInfo, walkRecords, decompressRecordsTransient, compressRecords, updateCrc, writeInt64, ATTRIBUTES, BATCH_LENGTH, COMPRESSION_MASK, CONTROL_FLAG, HEADER_SIZE, LOG_OVERHEAD, MAX_TIMESTAMP, TIMESTAMP_TYPE_FLAG, type BatchInfo } from '../../protocol/record-batch/index.js'

export type { BatchInfo }

/** The header info of a well-formed batch at `position`, or CORRUPT_MESSAGE. */
export function checkBatch (buf: Buffer, position: number): BatchInfo | number {
  return batchProblem(buf, position) === null ? readBatchInfo(buf, position) : ErrorCode.CORRUPT_MESSAGE
}

/** What the topic's configs ask of each produced batch. */
export interface AppendRules {
  maxMessageBytes: number
  /** The broker's time: LogAppendTime stamps it, the timestamp window is measured from it. */
  now: number
  logAppendTime: boolean
  /** CreateTime records must lie within [now - beforeMs, now + afterMs] (INVALID_TIMESTAMP otherwise). */
  window: { beforeMs: number, afterMs: number } | null
  /** Codec to store with (batches in another are recompressed), or as produced. */
  compression: number | 'producer'
  gzipLevel: number
  /** cleanup.policy=compact: every record needs a key (INVALID_RECORD naming the keyless ones). */
  requireKeys?: boolean
}

export const AS_PRODUCED: Omit<AppendRules, 'maxMessageBytes' | 'now'> = { logAppendTime: false, window: null, compression: 'producer', gzipLevel: -1 }

/** Records refused one by one (Produce v8+ record_errors): their index in their batch, and why. */
export interface RecordError { batchIndex: number, batchIndexErrorMessage: string }

export const KEYLESS_RECORD = 'Compacted topic cannot accept message without key'

/**
 * Validates the record batches of one partition in a Produce request. Control batches are
 * refused: transaction markers are written by the coordinator alone (appendMarker). Each batch's records
 * are checked and its header's timestamps set (see validateRecords). Returns the bytes to store:
 * the request's own, or a new buffer when the topic's compression.type recompressed a batch.
 */
export function validateProducedBatches (buf: Buffer, rules: AppendRules): { errorCode: number, batches: BatchInfo[], records: Buffer, recordErrors?: RecordError[] } {
  const batches: BatchInfo[] = []
  const parts: Buffer[] = []
  let recompressed = false
  let position = 0
  while (position < buf.length) {
    const checked = checkBatch(buf, position)
    if (typeof checked === 'number') return { errorCode: checked, batches: [], records: buf }
    if (checked.size > rules.maxMessageBytes) return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, batches: [], records: buf }
    if ((buf.readInt16BE(position + ATTRIBUTES) & CONTROL_FLAG) !== 0) return { errorCode: ErrorCode.INVALID_RECORD, batches: [], records: buf }
    const result = validateRecords(buf, checked, rules)
    if (typeof result === 'number') return { errorCode: result, batches: [], records: buf }
    if (Array.isArray(result)) return { errorCode: ErrorCode.INVALID_RECORD, batches: [], records: buf, recordErrors: result }
    if (result !== null) recompressed = true
    parts.push(result ?? buf.subarray(position, position + checked.size))
    batches.push(checked)
    position += checked.size
  }
  if (batches.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE, batches, records: buf }
  if (!recompressed) return { errorCode: ErrorCode.NONE, batches, records: buf }
  const records = Buffer.concat(parts)
  let at = 0
  for (let i = 0; i < batches.length; i++) {
    batches[i] = readBatchInfo(records, at)
    at += batches[i].size
  }
  return { errorCode: ErrorCode.NONE, batches, records }
}

/**
 * What Kafka's LogValidator does to a batch it is given: the records must decode (decompressed
 * first) — CORRUPT_MESSAGE otherwise — and their count and offset deltas must match the header
 * (INVALID_RECORD otherwise). The header's maxTimestamp is not trusted: it is recomputed from the
 * records (or, on a LogAppendTime topic, set to the broker's time with the timestamp-type flag),
 * and when it differs (some producers send -1, e.g. sarama 1.22) the header is rewritten and its
 * CRC recomputed. The time index and retention read that field, so a wrong one would hide
 * records from ListOffsets by time and hand whole segments to retention at once.
 *
 * Always, not only when the header looks wrong: a plausible but too small value would still
 * let retention delete records younger than retention.ms, and an undecodable batch would be
 * stored and then stop every consumer at it.
 *
 * On a compacted topic (requireKeys) a record without a key is refused, as Kafka does: the
 * whole batch fails with INVALID_RECORD, naming each keyless record's index.
 *
 * Returns an error code, the records refused, null when the batch was fixed in place, or the
 * recompressed batch.
 */
export function validateRecords (buf: Buffer, b: BatchInfo, rules: Omit<AppendRules, 'maxMessageBytes'> = { ...AS_PRODUCED, now: Date.now() }): number | RecordError[] | Buffer | null {
  if (b.recordsCount < 1 || b.lastOffsetDelta !== b.recordsCount - 1) return ErrorCode.INVALID_RECORD
  let section: Buffer
  try {
    // Walked here and at most recompressed: nothing keeps it, so a view of the decoder's memory will do.
    section = decompressRecordsTransient(b.compression, buf.subarray(b.position + HEADER_SIZE, b.position + b.size))
  } catch {
    return ErrorCode.CORRUPT_MESSAGE
  }
  let max = -1
  let min = Infinity
  let sequential = true
  const keyless: RecordError[] = []
  try {
    walkRecords(section, b.recordsCount, r => {
      if (r.offsetDelta !== r.index) { sequential = false; return false }
      if (rules.requireKeys === true && r.keyStart < 0) keyless.push({ batchIndex: r.index, batchIndexErrorMessage: KEYLESS_RECORD })
      const ts = b.baseTimestamp + r.timestampDelta
      if (ts > max) max = ts
      if (ts < min) min = ts
    })
  } catch {
    return ErrorCode.CORRUPT_MESSAGE
  }
  if (!sequential) return ErrorCode.INVALID_RECORD
  if (keyless.length > 0) return keyless
  const w = rules.window
  if (!rules.logAppendTime && w !== null && (min < rules.now - w.beforeMs || max > rules.now + w.afterMs)) return ErrorCode.INVALID_TIMESTAMP
  let batch = buf
  let at = b.position
  if (rules.compression !== 'producer' && rules.compression !== b.compression) {
    const payload = compressRecords(rules.compression, section, rules.gzipLevel)
    batch = Buffer.concat([buf.subarray(b.position, b.position + HEADER_SIZE), payload])
    at = 0
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH)
    b.attributes = (b.attributes & ~COMPRESSION_MASK) | rules.compression
    b.compression = rules.compression
  }
  const stamped = rules.logAppendTime ? rules.now : max
  const attributes = rules.logAppendTime ? b.attributes | TIMESTAMP_TYPE_FLAG : b.attributes & ~TIMESTAMP_TYPE_FLAG
  if (batch !== buf || stamped !== b.maxTimestamp || attributes !== b.attributes) {
    b.attributes = attributes
    b.maxTimestamp = stamped
    batch.writeInt16BE(attributes, at + ATTRIBUTES)
    writeInt64(batch, at + MAX_TIMESTAMP, stamped)
    updateCrc(batch, at, batch === buf ? b.size : batch.length)
  }
  return batch === buf ? null : batch
}

/**
 * For an uncompressed batch, the offset of the first record whose timestamp is at least `ts`
 * (exact ListOffsets answers); null when no record qualifies or the batch is compressed.
 */
export function firstRecordAtOrAfter (batch: Buffer, ts: number): { offset: number, timestamp: number } | null {
  const info = readBatchInfo(batch, 0)
  if (info.compression !== 0) return null
  let found: { offset: number, timestamp: number } | null = null
  try {
    walkRecords(batch.subarray(HEADER_SIZE, info.size), info.recordsCount, r => {
      if (info.baseTimestamp + r.timestampDelta < ts) return true
      found = { offset: info.baseOffset + r.offsetDelta, timestamp: info.baseTimestamp + r.timestampDelta }
      return false
    })
  } catch {
    return null
  }
  return found
}
