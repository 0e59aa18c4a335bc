// RecordBatch (magic 2): the unit Kafka stores and moves. The header is fixed-size; the records
// section after it is compressed as a whole by the codec in the attributes.
//
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32 |
//   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
//   producerId int64 | producerEpoch int16 | baseSequence int32 | recordsCount int32 | records
//
// Everything from ATTRIBUTES to the end is covered by the CRC-32C, so baseOffset and the leader
// epoch may be rewritten without recomputing it; any other header field may not.
import { crc32c } from '@node-rs/crc32'

export const BASE_OFFSET = 0
export const BATCH_LENGTH = 8
export const PARTITION_LEADER_EPOCH = 12
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

/** Attributes: bits 0-2 the compression codec, then the flags below. */
export const COMPRESSION_MASK = 0x07
/** 1 = LogAppendTime: every record's timestamp is the batch's maxTimestamp. */
export const TIMESTAMP_TYPE_FLAG = 0x08
export const TRANSACTIONAL_FLAG = 0x10
/** Control batches mark transaction boundaries (commit/abort markers); they hold no user records. */
export const CONTROL_FLAG = 0x20

/** What can be known about one batch from its header alone. */
export interface BatchInfo {
  /** Where the batch starts in the buffer it was read from. */
  position: number
  /** Whole batch size in bytes, including the 12-byte log overhead. */
  size: number
  baseOffset: number
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordsCount: number
  compression: number
  attributes: number
}

export function readInt64 (buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4)
}

export function writeInt64 (buf: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / 4294967296)
  buf.writeInt32BE(hi, at)
  buf.writeUInt32BE(value - hi * 4294967296, at + 4)
}

export function writeBaseOffset (buf: Buffer, position: number, offset: number): void {
  writeInt64(buf, position + BASE_OFFSET, offset)
}

/** Reads a batch header at `position`, assuming at least HEADER_SIZE bytes are there. */
export function readBatchInfo (buf: Buffer, position: number): BatchInfo {
  const attributes = buf.readInt16BE(position + ATTRIBUTES)
  return {
    position,
    size: buf.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD,
    baseOffset: readInt64(buf, position + BASE_OFFSET),
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, position + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, position + MAX_TIMESTAMP),
    producerId: readInt64(buf, position + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(position + RECORDS_COUNT),
    compression: attributes & COMPRESSION_MASK,
    attributes
  }
}

/** Size of the complete batch at `position`, or -1 when the buffer ends before it does. */
export function batchSizeAt (buf: Buffer, position: number): number {
  if (position + LOG_OVERHEAD > buf.length) return -1
  const size = buf.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD
  return position + size <= buf.length && size >= HEADER_SIZE ? size : -1
}

/** Why a batch is not well formed, or null when it is: complete, magic 2, sane counts, CRC-32C. */
export function batchProblem (buf: Buffer, position: number): string | null {
  if (buf.length - position < HEADER_SIZE) return 'shorter than a batch header'
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH)
  if (batchLength < HEADER_SIZE - LOG_OVERHEAD) return `batchLength ${batchLength} is below the header size`
  if (position + LOG_OVERHEAD + batchLength > buf.length) return 'batch runs past the end of the data'
  if (buf[position + MAGIC] !== 2) return `magic ${buf[position + MAGIC]} (only RecordBatch v2 is supported)`
  if (buf.readInt32BE(position + LAST_OFFSET_DELTA) < 0 || buf.readInt32BE(position + RECORDS_COUNT) < 0) return 'negative record count'
  const stored = buf.readUInt32BE(position + CRC)
  if (crc32c(buf.subarray(position + ATTRIBUTES, position + LOG_OVERHEAD + batchLength)) !== stored) return 'CRC-32C mismatch'
  return null
}

/** Recomputes the CRC-32C after a header field it covers was changed. */
export function updateCrc (buf: Buffer, position: number, size: number): void {
  buf.writeUInt32BE(crc32c(buf.subarray(position + ATTRIBUTES, position + size)), position + CRC)
}

/** Calls `visit` for each complete batch in `buf` (whole batches back to back). */
export function forEachBatch (buf: Buffer, visit: (batch: Buffer, position: number) => void): void {
  let position = 0
  for (let size = batchSizeAt(buf, 0); size > 0; size = batchSizeAt(buf, position)) {
    visit(buf.subarray(position, position + size), position)
    position += size
  }
}
