// The broker's rules for the batches it is given; the format itself is the shared codec's
// (src/protocol/record-batch).
import { ErrorCode } from '../../protocol/error-codes.js'
import { batchProblem, readBatchInfo, walkRecords, ATTRIBUTES, CONTROL_FLAG, HEADER_SIZE, type BatchInfo } from '../../protocol/record-batch/index.js'

export type { BatchInfo }

/** The header info of a well-formed batch at `position`, or CORRUPT_MESSAGE. */
export function checkBatch (buf: Buffer, position: number): BatchInfo | number {
  return batchProblem(buf, position) === null ? readBatchInfo(buf, position) : ErrorCode.CORRUPT_MESSAGE
}

/**
 * Validates the record batches of one partition in a Produce request. Control batches are
 * refused (they belong to transactions, which this broker does not run).
 */
export function validateProducedBatches (buf: Buffer, maxMessageBytes: number): { errorCode: number, batches: BatchInfo[] } {
  const batches: BatchInfo[] = []
  let position = 0
  while (position < buf.length) {
    const checked = checkBatch(buf, position)
    if (typeof checked === 'number') return { errorCode: checked, batches: [] }
    if (checked.size > maxMessageBytes) return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, batches: [] }
    if ((buf.readInt16BE(position + ATTRIBUTES) & CONTROL_FLAG) !== 0) return { errorCode: ErrorCode.INVALID_RECORD, batches: [] }
    batches.push(checked)
    position += checked.size
  }
  if (batches.length === 0) return { errorCode: ErrorCode.CORRUPT_MESSAGE, batches }
  return { errorCode: ErrorCode.NONE, batches }
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
