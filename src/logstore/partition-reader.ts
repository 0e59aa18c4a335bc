// Reading one partition's records through its PartitionSource (topic-store.ts): whole batches,
// starting with the one that holds `offset`, as Fetch returns them — straight from the embedded
// broker's PartitionLog (synchronous underneath, so a caller that scans a lot must yield to the
// event loop between windows) or by Fetch from a cluster.
//
// Kafka logs only go forwards, so newest-first reading walks down in windows: read [lo, hi)
// forwards, hand it out reversed, then continue below lo. A window is widened down to the start
// of the batch that straddles lo, so no batch is decompressed twice.
import { batchSizeAt, readBatchInfo, CONTROL_FLAG, decodeBatch, type DecodedBatch, type StoredRecord } from '../protocol/record-batch/index.js'
import type { PartitionSource } from './topic-store.js'

/** Bytes asked of a read at a time (it always returns at least one whole batch). */
const READ_BYTES = 1 << 20
/** Offsets per newest-first window: large enough to amortise reads, small enough to hold. */
export const DEFAULT_WINDOW_OFFSETS = 1000

export interface ForwardOptions {
  /** Batches whose max timestamp is below this are not decompressed (no record can qualify). */
  minTimestamp?: number
}

/**
 * The batches holding offsets [from, until), oldest first; the first may begin before `from`.
 * A batch pruned by `minTimestamp` comes with no records and `pruned` set.
 */
export async function * batchesForward (log: PartitionSource, from: number, until: number, opts: ForwardOptions = {}): AsyncGenerator<DecodedBatch & { pruned?: boolean }> {
  let offset = Math.max(from, log.logStartOffset)
  while (offset < Math.min(until, log.logEndOffset)) {
    const read = await log.read(offset, READ_BYTES)
    if (read === 'out-of-range') {
      // Retention raised the log start while the caller was paused: go on from the new start.
      if (offset < log.logStartOffset) { offset = log.logStartOffset; continue }
      return
    }
    const buf = read.records
    if (buf === null || buf.length === 0) return
    let position = 0
    const before = offset
    for (let size = batchSizeAt(buf, 0); size > 0 && offset < until; size = batchSizeAt(buf, position)) {
      const info = readBatchInfo(buf, position)
      const lastOffset = info.baseOffset + info.lastOffsetDelta
      position += size
      // A cluster's Fetch may begin with batches wholly below the offset asked for.
      if (lastOffset < offset) continue
      if (opts.minTimestamp !== undefined && info.maxTimestamp < opts.minTimestamp) {
        yield { baseOffset: info.baseOffset, lastOffset, maxTimestamp: info.maxTimestamp, size, control: (info.attributes & CONTROL_FLAG) !== 0, records: [], pruned: true }
      } else {
        yield decodeBatch(buf.subarray(position - size, position))
      }
      offset = lastOffset + 1
    }
    // Nothing whole came back (a batch larger than the read): no progress is possible.
    if (offset === before) return
  }
}

/** Records with offsets in [from, until), oldest first. */
export async function * recordsForward (log: PartitionSource, from: number, until = Infinity): AsyncGenerator<StoredRecord> {
  for await (const batch of batchesForward(log, from, until)) {
    for (const r of batch.records) if (r.offset >= from && r.offset < until) yield r
  }
}

/** One newest-first window: records in descending offset order plus what reading them cost. */
export interface BackwardWindow {
  records: StoredRecord[]
  /** Lowest offset the window covers; the next window ends here. */
  lowOffset: number
  bytes: number
  /** Reasons for batches whose records could not be read (e.g. unsupported codec). */
  skipped: { fromOffset: number, toOffset: number, reason: string }[]
}

export interface BackwardOptions extends ForwardOptions {
  /** Offsets in the first window (default DEFAULT_WINDOW_OFFSETS). */
  windowOffsets?: number
  /** Windows double in size up to this (default: they stay at windowOffsets). */
  maxWindowOffsets?: number
}

/**
 * Windows of the records with offsets in [floor, ceiling), newest (highest offset) first,
 * each window's records in descending offset order.
 */
export async function * windowsBackward (log: PartitionSource, floor: number, ceiling: number, opts: BackwardOptions = {}): AsyncGenerator<BackwardWindow> {
  let span = opts.windowOffsets ?? DEFAULT_WINDOW_OFFSETS
  const maxSpan = Math.max(span, opts.maxWindowOffsets ?? span)
  let hi = Math.min(ceiling, log.logEndOffset)
  while (hi > Math.max(floor, log.logStartOffset)) {
    let lo = Math.max(floor, log.logStartOffset, hi - span)
    const window: BackwardWindow = { records: [], lowOffset: lo, bytes: 0, skipped: [] }
    let first = true
    for await (const batch of batchesForward(log, lo, hi, opts)) {
      if (first) {
        lo = Math.max(floor, log.logStartOffset, Math.min(lo, batch.baseOffset))
        first = false
      }
      window.bytes += batch.size
      if (batch.skipped !== undefined) window.skipped.push({ fromOffset: batch.baseOffset, toOffset: batch.lastOffset, reason: batch.skipped })
      for (const r of batch.records) if (r.offset >= lo && r.offset < hi) window.records.push(r)
    }
    window.lowOffset = lo
    window.records.reverse()
    yield window
    hi = lo
    span = Math.min(span * 2, maxSpan)
  }
}
