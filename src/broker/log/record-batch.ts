// The broker's rules for the batches it is given; the format itself is the shared codec's
// (src/protocol/record-batch).
import { ErrorCode } from '../../protocol/error-codes.js'
import { batchProblem, readBatchInfo, walkRecords, decompressRecords, updateCrc, writeInt64, ATTRIBUTES, CONTROL_FLAG, HEADER_SIZE, MAX_TIMESTAMP, TIMESTAMP_TYPE_FLAG, type BatchInfo } from '../../protocol/record-batch/index.js'

export type { BatchInfo }

/** The header info of a well-formed batch at `position`, or CORRUPT_MESSAGE. */
export function checkBatch (buf: Buffer, position: number): BatchInfo | number {
  return batchProblem(buf, position) === null ? readBatchInfo(buf, position) : ErrorCode.CORRUPT_MESSAGE
}

/**
 * Validates the record batches of one partition in a Produce request. Control batches are
 * refused (they belong to transactions, which this broker does not run). Each batch's records
 * are checked and its max timestamp recomputed from them (see validateRecords).
 */
export function validateProducedBatches (buf: Buffer, maxMessageBytes: number): { errorCode: number, batches: BatchInfo[] } {
  const batches: BatchInfo[] = []
  let position = 0
  while (position < buf.length) {
    const checked = checkBatch(buf, position)
    if (typeof checked === 'number') return { errorCode: checked, batches: [] }
    if (checked.size > maxMessageBytes) return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, batches: [] }
    if ((buf.readInt16BE(position + ATTRIBUTES) & CONTROL_FLAG) !== 0) return { errorCode: ErrorCode.INVALID_RECORD, batches: [] }
    const recordsError = validateRecords(buf, checked)
    if (recordsError !== ErrorCode.NONE) return { errorCode: recordsError, batches: [] }
    batches.push(checked)
    position += checked.size
  }
  if (batches.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE, batches }
  return { errorCode: ErrorCode.NONE, batches }
}

/**
 * What Kafka's LogValidator does to a batch it is given: the records must decode (decompressed
 * first) — CORRUPT_MESSAGE otherwise — and their count and offset deltas must match the header
 * (INVALID_RECORD otherwise). The header's maxTimestamp is not trusted: it is recomputed from the
 * records, and when it differs (some producers send -1, e.g. sarama 1.22), or the batch claims
 * LogAppendTime on a CreateTime topic, the header is rewritten and its CRC recomputed. The time
 * index and retention read that field, so a wrong one would hide records from ListOffsets by
 * time and hand whole segments to retention at once.
 *
 * Always, not only when the header looks wrong: a plausible but too small value would still
 * let retention delete records younger than retention.ms, and an undecodable batch would be
 * stored and then stop every consumer at it.
 */
export function validateRecords (buf: Buffer, b: BatchInfo): number {
  if (b.recordsCount < 1 || b.lastOffsetDelta !== b.recordsCount - 1) return ErrorCode.INVALID_RECORD
  let section: Buffer
  try {
    section = decompressRecords(b.compression, buf.subarray(b.position + HEADER_SIZE, b.position + b.size))
  } catch {
    return ErrorCode.CORRUPT_MESSAGE
  }
  let max = -1
  let sequential = true
  try {
    walkRecords(section, b.recordsCount, r => {
      if (r.offsetDelta !== r.index) { sequential = false; return false }
      const ts = b.baseTimestamp + r.timestampDelta
      if (ts > max) max = ts
    })
  } catch {
    return ErrorCode.CORRUPT_MESSAGE
  }
  if (!sequential) return ErrorCode.INVALID_RECORD
  if (max !== b.maxTimestamp || (b.attributes & TIMESTAMP_TYPE_FLAG) !== 0) {
    b.attributes &= ~TIMESTAMP_TYPE_FLAG
    b.maxTimestamp = max
    buf.writeInt16BE(b.attributes, b.position + ATTRIBUTES)
    writeInt64(buf, b.position + MAX_TIMESTAMP, max)
    updateCrc(buf, b.position, b.size)
  }
  return ErrorCode.NONE
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
