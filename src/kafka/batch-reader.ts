// One partition's records from a Fetch response, read in place with Tidewatch's own RecordBatch
// codec: each batch decompressed once, its records walked without building anything, the value
// filters (every needle must occur in the value; a caller's ValueFilter) applied to the value's
// bytes, and only records that pass become objects. Under read_committed, batches of aborted
// transactions are skipped (the response's abortedTransactions list and the abort markers, as
// Kafka's consumers do), and control batches never reach the caller. Reading stops after the
// first batch that cannot be read, which is returned with the reason.
import {
  batchProblem, batchSizeAt, decompressRecords, decompressRecordsTransient, isTransient, readBatchInfo, readHeaders, walkRecords,
  CONTROL_FLAG, HEADER_SIZE, TIMESTAMP_TYPE_FLAG, TRANSACTIONAL_FLAG, type BatchInfo
} from '../protocol/record-batch/index.js'
import type { KafkaRecord } from './client.js'

/**
 * A caller's test on record values, run on the bytes where the records are walked (before any
 * record object exists). For each records section: `section` once (with its partition), then
 * `test` for the values of its records that are not null, in the order they are stored
 * (positions only grow), so a filter may keep where it found something for the records after.
 * Records with a null value are not wanted by a filter. `accepted`, if there, gets the record
 * object made for a value just wanted (before the next test), so the filter may note what it
 * found out about it.
 */
export interface ValueFilter {
  section: (bytes: Buffer, partition: number) => void
  test: (bytes: Buffer, start: number, end: number) => boolean
  accepted?: (record: KafkaRecord) => void
}

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

export interface ChunkReading extends PartitionReading {
  /** Records at or after the fetch position that were looked at (filtered out ones included). */
  scanned: number
  /** Records skipped because their transaction was aborted. */
  aborted: number
  /** Bytes of records sections decompressed to read this (0 for uncompressed batches). */
  decompressedBytes: number
  /** The latest timestamp of the records looked at (filtered out ones included); -1 for none. */
  maxTimestamp: number
}

export interface AbortedTransaction { producerId: number, firstOffset: number }

/**
 * Reads the whole batches of `data` (one partition's records from a Fetch at offset `from`), a
 * few at a time: each read() stops after the batch that brings it to `want` records, so only
 * the batches one handler batch needs are decompressed and kept at once.
 * `needles`: only records whose value contains every one of them are returned (null: all).
 * `aborted`: the response's aborted transactions under read_committed (null: read everything).
 * `filter`: only records whose value it wants are returned too (null: no such test).
 */
export class ChunkReader {
  readonly #topic: string
  readonly #partition: number
  readonly #from: number
  readonly #data: Buffer
  readonly #needles: Buffer[] | null
  readonly #filter: ValueFilter | null
  readonly #readCommitted: boolean
  readonly #pending: AbortedTransaction[]
  readonly #abortedProducers = new Set<number>()
  #position = 0
  #next: number
  done = false

  constructor (topic: string, partition: number, from: number, data: Buffer, needles: Buffer[] | null = null, aborted: AbortedTransaction[] | null = null, filter: ValueFilter | null = null) {
    this.#topic = topic
    this.#partition = partition
    this.#from = from
    this.#data = data
    this.#needles = needles
    this.#filter = filter
    this.#readCommitted = aborted !== null
    this.#pending = aborted === null ? [] : [...aborted].sort((a, b) => a.firstOffset - b.firstOffset)
    this.#next = from
  }

  /** The next batches' records (at least `want` unless the data ends or a batch is unreadable). */
  read (want = Infinity): ChunkReading {
    const out: ChunkReading = { records: [], unreadable: null, next: this.#next, scanned: 0, aborted: 0, decompressedBytes: 0, maxTimestamp: -1 }
    const data = this.#data
    const from = this.#from
    for (let size = batchSizeAt(data, this.#position); size > 0 && out.records.length < want; size = batchSizeAt(data, this.#position)) {
      const position = this.#position
      this.#position += size
      const info = readBatchInfo(data, position)
      const lastOffset = info.baseOffset + info.lastOffsetDelta
      if (lastOffset < from) continue
      const batch = data.subarray(position, position + size)
      out.next = this.#next = lastOffset + 1
      const problem = batchProblem(batch, 0)
      if (problem !== null) return this.#unreadable(out, info, batch, `corrupt batch: ${problem}`)
      if (this.#readCommitted && info.producerId >= 0) {
        // Transactions aborted from an offset up to this batch's end are in effect for it.
        while (this.#pending.length > 0 && this.#pending[0].firstOffset <= lastOffset) this.#abortedProducers.add(this.#pending.shift()!.producerId)
        if ((info.attributes & CONTROL_FLAG) !== 0) {
          if (isAbortMarker(batch, info)) this.#abortedProducers.delete(info.producerId)
          continue
        }
        if ((info.attributes & TRANSACTIONAL_FLAG) !== 0 && this.#abortedProducers.has(info.producerId)) {
          out.aborted += info.recordsCount
          continue
        }
      }
      if ((info.attributes & CONTROL_FLAG) !== 0) continue
      const problemWithRecords = readRecords(this.#topic, this.#partition, from, batch, info, this.#needles, this.#filter, out)
      if (problemWithRecords !== null) return this.#unreadable(out, info, batch, problemWithRecords)
    }
    if (batchSizeAt(data, this.#position) <= 0) this.done = true
    return out
  }

  #unreadable (out: ChunkReading, info: BatchInfo, batch: Buffer, reason: string): ChunkReading {
    this.done = true
    out.unreadable = { topic: this.#topic, partition: this.#partition, baseOffset: info.baseOffset, lastOffset: info.baseOffset + info.lastOffsetDelta, bytes: batch, reason }
    return out
  }
}

/** All of `data`'s records at once (see ChunkReader). */
export function readChunk (topic: string, partition: number, from: number, data: Buffer, needles: Buffer[] | null = null, aborted: AbortedTransaction[] | null = null, filter: ValueFilter | null = null): ChunkReading {
  return new ChunkReader(topic, partition, from, data, needles, aborted, filter).read()
}

/**
 * The records of the fetch position on, with no filter: what the recovery path reads. `aborted`:
 * the Fetch response's aborted transactions (read_committed), skipped as the consumer skips them.
 */
export function readPartitionBatches (topic: string, partition: number, from: number, data: Buffer, aborted: AbortedTransaction[] | null = null): PartitionReading {
  const r = readChunk(topic, partition, from, data, null, aborted)
  return { records: r.records, unreadable: r.unreadable, next: r.next }
}

/** A control batch's record key is version int16, type int16: 0 abort, 1 commit. */
function isAbortMarker (batch: Buffer, info: BatchInfo): boolean {
  try {
    const section = decompressRecords(info.compression, batch.subarray(HEADER_SIZE, info.size))
    let abort = false
    walkRecords(section, Math.min(1, info.recordsCount), r => { abort = r.keyEnd - r.keyStart >= 4 && section.readInt16BE(r.keyStart + 2) === 0 })
    return abort
  } catch {
    return false
  }
}

/** Appends the batch's wanted records to `out`; returns why they cannot be read, or null. */
function readRecords (topic: string, partition: number, from: number, batch: Buffer, info: BatchInfo, needles: Buffer[] | null, filter: ValueFilter | null, out: ChunkReading): string | null {
  let section: Buffer
  try {
    section = decompressRecordsTransient(info.compression, batch.subarray(HEADER_SIZE, info.size))
  } catch (err) {
    return (err as Error).message
  }
  const transient = isTransient(section)
  if (info.compression !== 0 && !transient) out.decompressedBytes += section.length
  const logAppendTime = (info.attributes & TIMESTAMP_TYPE_FLAG) !== 0
  const base = info.baseOffset
  const n = needles?.length ?? 0
  // Where each needle next occurs in the section, at or after the record looked at last: one
  // search serves every record up to that occurrence, so the filter costs about one pass over
  // the bytes, whatever the number of records.
  const hits = new Array<number>(n).fill(-2)
  const kept = out.records.length
  const scanned = out.scanned
  // A batch read whole: its header holds its latest timestamp (brokers recompute it from the
  // records on produce: Kafka's LogValidator, record-batch.ts here). Only a batch entered at the
  // fetch position, whose earlier records are not looked at, is compared record by record.
  const partial = base < from
  let partialMax = -1
  filter?.section(section, partition)
  try {
    walkRecords(section, info.recordsCount, r => {
      const offset = base + r.offsetDelta
      if (offset < from) return
      out.scanned++
      if (partial) partialMax = Math.max(partialMax, logAppendTime ? info.maxTimestamp : info.baseTimestamp + r.timestampDelta)
      if (n > 0) {
        if (r.valueStart < 0) return
        for (let i = 0; i < n; i++) {
          let at = hits[i]
          if (at !== -1 && at < r.valueStart) hits[i] = at = section.indexOf(needles![i], r.valueStart)
          if (at === -1 || at + needles![i].length > r.valueEnd) return
        }
      }
      if (filter !== null && (r.valueStart < 0 || !filter.test(section, r.valueStart, r.valueEnd))) return
      const record: KafkaRecord = {
        topic,
        partition,
        offset,
        timestamp: logAppendTime ? info.maxTimestamp : info.baseTimestamp + r.timestampDelta,
        key: r.keyStart < 0 || r.keyEnd === r.keyStart ? null : section.subarray(r.keyStart, r.keyEnd),
        value: r.valueStart < 0 ? null : section.subarray(r.valueStart, r.valueEnd),
        headers: r.headerCount > 0 ? Object.fromEntries(readHeaders(section, r)) : {}
      }
      out.records.push(record)
      filter?.accepted?.(record)
    })
  } catch (err) {
    // None of a batch that does not read to its end is handed out: it goes whole to the caller.
    out.records.length = kept
    out.scanned = scanned
    return `corrupt record data: ${(err as Error).message}`
  }
  out.maxTimestamp = Math.max(out.maxTimestamp, partial ? partialMax : info.maxTimestamp)
  if (transient) out.decompressedBytes += keepOwnCopies(section, out.records, kept)
  return null
}

/**
 * The records from `first` on point into a section that the next decompression overwrites: they
 * get bytes of their own. Few kept (a prefilter's usual case): each key and value is copied (small
 * copies come from Node's pool); many: the section is copied once and they are re-pointed into it.
 * Returns the bytes now held.
 */
function keepOwnCopies (section: Buffer, records: KafkaRecord[], first: number): number {
  let bytes = 0
  for (let i = first; i < records.length; i++) bytes += (records[i].key?.length ?? 0) + (records[i].value?.length ?? 0)
  if (bytes === 0) return 0
  if (bytes < section.length / 4) {
    for (let i = first; i < records.length; i++) {
      const r = records[i]
      if (r.key !== null) r.key = Buffer.from(r.key)
      if (r.value !== null) r.value = Buffer.from(r.value)
    }
    return bytes
  }
  const copy = Buffer.from(section)
  const at = (b: Buffer): Buffer => copy.subarray(b.byteOffset - section.byteOffset, b.byteOffset - section.byteOffset + b.length)
  for (let i = first; i < records.length; i++) {
    const r = records[i]
    if (r.key !== null) r.key = at(r.key)
    if (r.value !== null) r.value = at(r.value)
  }
  return copy.length
}
