// The read side of a partition's log (partition-log.ts): Fetch's whole batches, ListOffsets by
// time and by largest timestamp, found in the segments alone. Reads are synchronous, like the
// appends, so what a read sees is one consistent state of the segments.
import { ErrorCode } from '../../protocol/error-codes.js'
import { batchSizeAt, readBatchInfo } from '../../protocol/record-batch/index.js'
import { firstRecordAtOrAfter } from './record-batch.js'
import type { Segment } from './segment.js'

/** `nextOffset`: the offset after the last batch returned (the fetch offset when none was). */
export interface ReadResult { errorCode: number, records: Buffer | null, highWatermark: number, logStartOffset: number, nextOffset: number }

/** The segment holding `offset` (the last whose base offset is at or below it). */
function segmentIndexFor (segments: readonly Segment[], offset: number): number {
  let lo = 0
  let hi = segments.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (segments[mid].baseOffset <= offset) { found = mid; lo = mid + 1 } else hi = mid - 1
  }
  return found
}

/**
 * Whole batches from `fetchOffset` up to `maxBytes`, none starting at or after `upTo` (the LSO
 * for read_committed); see Segment.read for `minOneBatch`.
 */
export function readSegments (segments: readonly Segment[], logStartOffset: number, fetchOffset: number, maxBytes: number, minOneBatch: boolean, upTo: number): ReadResult {
  const hw = segments[segments.length - 1].nextOffset
  const result = { errorCode: ErrorCode.NONE as number, records: null as Buffer | null, highWatermark: hw, logStartOffset, nextOffset: fetchOffset }
  if (fetchOffset < logStartOffset || fetchOffset > hw) return { ...result, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
  if (fetchOffset >= Math.min(hw, upTo)) return result
  // The offset may fall in a gap at a segment's end (e.g. after DeleteRecords): move on.
  for (let i = segmentIndexFor(segments, fetchOffset); i < segments.length; i++) {
    const seg = segments[i]
    const from = Math.max(fetchOffset, seg.baseOffset)
    if (from >= seg.nextOffset) continue
    const position = seg.findPosition(from)
    if (position < 0) continue
    const { records, nextOffset } = below(seg.read(position, maxBytes, minOneBatch), upTo)
    return { ...result, records: records.length > 0 ? records : null, nextOffset: Math.max(fetchOffset, nextOffset) }
  }
  return result
}

/** The leading batches of `buf` that start below `upTo`, and the offset after the last of them. */
export function below (buf: Buffer, upTo: number): { records: Buffer, nextOffset: number } {
  let at = 0
  let nextOffset = -1
  for (let size = batchSizeAt(buf, 0); size > 0; size = batchSizeAt(buf, at)) {
    const info = readBatchInfo(buf, at)
    if (info.baseOffset >= upTo) break
    nextOffset = info.baseOffset + info.lastOffsetDelta + 1
    at += size
  }
  return { records: at === buf.length ? buf : buf.subarray(0, at), nextOffset }
}

/** ListOffsets by time: the first record whose timestamp is at least `ts`, or null. */
export function offsetForTimestamp (segments: readonly Segment[], logStartOffset: number, ts: number): { offset: number, timestamp: number } | null {
  for (const seg of segments) {
    if (seg.maxTimestamp < ts || seg.nextOffset <= logStartOffset) continue
    let position = seg.findPosition(Math.max(seg.timeIndexHint(ts), logStartOffset))
    while (position >= 0 && position < seg.size) {
      const batch = seg.read(position, 0)
      const info = readBatchInfo(batch, 0)
      if (info.maxTimestamp >= ts) {
        return firstRecordAtOrAfter(batch, ts) ?? { offset: Math.max(info.baseOffset, logStartOffset), timestamp: info.maxTimestamp }
      }
      position += info.size
    }
  }
  return null
}

/** ListOffsets -3: where the largest timestamp is (batch granularity). */
export function maxTimestampOffset (segments: readonly Segment[]): { offset: number, timestamp: number } | null {
  let best: Segment | undefined
  for (const s of segments) if (s.maxTimestamp >= 0 && (best === undefined || s.maxTimestamp >= best.maxTimestamp)) best = s
  if (best === undefined) return null
  return { offset: best.maxTimestampBatchOffset, timestamp: best.maxTimestamp }
}
