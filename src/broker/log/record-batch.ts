import { crc32c } from '@node-rs/crc32'
import { ErrorCode } from '../protocol/error-codes.js'

// RecordBatch (magic 2) layout, as offsets into the batch. Everything from ATTRIBUTES to the
// end is covered by the CRC, so the broker may rewrite baseOffset without recomputing it.
export const BASE_OFFSET = 0
export const BATCH_LENGTH = 8
export const MAGIC = 16
export const CRC = 17
export const ATTRIBUTES = 21
export const LAST_OFFSET_DELTA = 23
export const BASE_TIMESTAMP = 27
export const MAX_TIMESTAMP = 35
export const PRODUCER_ID = 43
export const PRODUCER_EPOCH = 51
export const BASE_SEQUENCE = 53
export const RECORDS_COUNT = 57
export const HEADER_SIZE = 61
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12

const COMPRESSION_MASK = 0x07
const CONTROL_FLAG = 0x20

/** What the broker needs to know about one batch, read from its header only. */
export interface BatchInfo {
  /** Where the batch starts in the buffer it was read from. */
  position: number
  /** Whole batch size in bytes, including the 12-byte log overhead. */
  size: number
  baseOffset: number
  lastOffsetDelta: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordsCount: number
  compression: number
}

function readInt64 (buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4)
}

export function writeBaseOffset (buf: Buffer, position: number, offset: number): void {
  const hi = Math.floor(offset / 4294967296)
  buf.writeInt32BE(hi, position)
  buf.writeUInt32BE(offset - hi * 4294967296, position + 4)
}

/** Reads a batch header at `position`, assuming at least HEADER_SIZE bytes are there. */
export function readBatchInfo (buf: Buffer, position: number): BatchInfo {
  return {
    position,
    size: buf.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD,
    baseOffset: readInt64(buf, position + BASE_OFFSET),
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA),
    maxTimestamp: readInt64(buf, position + MAX_TIMESTAMP),
    producerId: readInt64(buf, position + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(position + RECORDS_COUNT),
    compression: buf.readInt16BE(position + ATTRIBUTES) & COMPRESSION_MASK
  }
}

/**
 * Checks one batch in `buf` at `position`: complete, magic 2, sane counts and a matching
 * CRC-32C. Returns the header info, or the Kafka error code that describes the problem.
 */
export function checkBatch (buf: Buffer, position: number): BatchInfo | number {
  if (buf.length - position < HEADER_SIZE) return ErrorCode.CORRUPT_MESSAGE
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH)
  if (batchLength < HEADER_SIZE - LOG_OVERHEAD || position + LOG_OVERHEAD + batchLength > buf.length) return ErrorCode.CORRUPT_MESSAGE
  // MessageSets (magic 0 and 1) are not accepted; Kafka answers produce v3+ the same way.
  if (buf[position + MAGIC] !== 2) return ErrorCode.CORRUPT_MESSAGE
  const info = readBatchInfo(buf, position)
  if (info.lastOffsetDelta < 0 || info.recordsCount < 0) return ErrorCode.CORRUPT_MESSAGE
  const stored = buf.readUInt32BE(position + CRC)
  if (crc32c(buf.subarray(position + ATTRIBUTES, position + info.size)) !== stored) return ErrorCode.CORRUPT_MESSAGE
  return info
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
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP)
  let pos = HEADER_SIZE
  const varint = (): number => {
    let result = 0
    let shift = 0
    for (;;) {
      const b = batch[pos++]
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) break
      shift += 7
    }
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2
  }
  for (let i = 0; i < info.recordsCount && pos < batch.length; i++) {
    const length = varint()
    const start = pos
    pos++ // attributes
    const timestampDelta = varint()
    const offsetDelta = varint()
    if (baseTimestamp + timestampDelta >= ts) return { offset: info.baseOffset + offsetDelta, timestamp: baseTimestamp + timestampDelta }
    pos = start + length
  }
  return null
}
