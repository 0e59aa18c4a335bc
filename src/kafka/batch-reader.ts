// A partition's raw batches (from fetchRawBatches) read with Tidewatch's own RecordBatch codec,
// up to and including the first batch that cannot be read: the records before it as the
// consumer would have handed them over, and that batch's bytes and the reason it is unreadable.
import {
  batchProblem, batchSizeAt, decompressRecords, readBatchInfo, readHeaders, readInt64, walkRecords,
  BASE_TIMESTAMP, CONTROL_FLAG, HEADER_SIZE, TIMESTAMP_TYPE_FLAG
} from '../protocol/record-batch/index.js'
import type { KafkaRecord } from './client.js'

export interface UnreadableBatch {
  topic: string
  partition: number
  baseOffset: number
  lastOffset: number
  /** The whole batch as the broker stores it. */
  bytes: Buffer
  reason: string
}

export interface PartitionReading {
  /** Records from the fetch position up to the first unreadable batch, in offset order. */
  records: KafkaRecord[]
  unreadable: UnreadableBatch | null
  /** The offset after the last batch looked at (the unreadable one included). */
  next: number
}

/**
 * Reads the whole batches of `data` (one partition's records from a Fetch at offset `from`),
 * stopping after the first one that is malformed, fails its CRC, uses an unknown codec, does not
 * decompress or holds records that do not parse.
 */
export function readPartitionBatches (topic: string, partition: number, from: number, data: Buffer): PartitionReading {
  const records: KafkaRecord[] = []
  let next = from
  let position = 0
  for (let size = batchSizeAt(data, 0); size > 0; position += size, size = batchSizeAt(data, position)) {
    const batch = data.subarray(position, position + size)
    const info = readBatchInfo(batch, 0)
    const lastOffset = info.baseOffset + info.lastOffsetDelta
    if (lastOffset < from) continue
    const problem = batchProblem(batch, 0)
    let decoded: KafkaRecord[] | string
    if (problem !== null) decoded = `corrupt batch: ${problem}`
    else if ((info.attributes & CONTROL_FLAG) !== 0) decoded = []
    else decoded = decodeRecords(topic, partition, batch, from)
    next = lastOffset + 1
    if (typeof decoded === 'string') {
      return { records, unreadable: { topic, partition, baseOffset: info.baseOffset, lastOffset, bytes: batch, reason: decoded }, next }
    }
    for (const r of decoded) records.push(r)
  }
  return { records, unreadable: null, next }
}

/** The batch's records at or after `from`, or why they cannot be read. */
function decodeRecords (topic: string, partition: number, batch: Buffer, from: number): KafkaRecord[] | string {
  const info = readBatchInfo(batch, 0)
  let section: Buffer
  try {
    section = decompressRecords(info.compression, batch.subarray(HEADER_SIZE, info.size))
  } catch (err) {
    return (err as Error).message
  }
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP)
  const logAppendTime = (info.attributes & TIMESTAMP_TYPE_FLAG) !== 0
  const out: KafkaRecord[] = []
  try {
    walkRecords(section, info.recordsCount, r => {
      const offset = info.baseOffset + r.offsetDelta
      if (offset < from) return
      out.push({
        topic,
        partition,
        offset,
        timestamp: logAppendTime ? info.maxTimestamp : baseTimestamp + r.timestampDelta,
        key: r.keyStart < 0 || r.keyEnd === r.keyStart ? null : section.subarray(r.keyStart, r.keyEnd),
        value: r.valueStart < 0 ? null : section.subarray(r.valueStart, r.valueEnd),
        headers: r.headerCount > 0 ? Object.fromEntries(readHeaders(section, r)) : {}
      })
    })
  } catch (err) {
    return `corrupt record data: ${(err as Error).message}`
  }
  return out
}
