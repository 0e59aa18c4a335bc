// Reading a segment's log file from its start at open after a crash: batch after batch until
// the first that is torn (runs past the file's end) or fails its check (length, magic, CRC).
// Everything before that point is what the broker acknowledged; the rest is cut off.
import { checkBatch, type BatchInfo } from './record-batch.js'
import { HEADER_SIZE, LOG_OVERHEAD, BATCH_LENGTH } from '../../protocol/record-batch/index.js'

const SCAN_CHUNK = 1 << 20

/**
 * Calls `visit` for each valid batch of a file of `fileSize` bytes, read through `read` (into
 * `buf`, `length` bytes at file position `at`; returns the bytes read) in chunks of about
 * 1 MiB (larger for a larger batch). `bytes` is valid only during the call. Returns the
 * position after the last valid batch.
 */
export function scanBatches (read: (buf: Buffer, length: number, at: number) => number, fileSize: number, visit: (b: BatchInfo, bytes: Buffer, position: number) => void): number {
  let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(fileSize, HEADER_SIZE)))
  let chunkStart = 0
  let chunkLen = 0
  const refill = (at: number): void => {
    chunkStart = at
    chunkLen = read(chunk, Math.min(chunk.length, fileSize - at), at)
  }
  let position = 0
  while (position + HEADER_SIZE <= fileSize) {
    if (position + HEADER_SIZE > chunkStart + chunkLen) refill(position)
    const size = chunk.readInt32BE(position - chunkStart + BATCH_LENGTH) + LOG_OVERHEAD
    if (size < HEADER_SIZE || position + size > fileSize) break
    if (position + size > chunkStart + chunkLen) {
      if (size > chunk.length) chunk = Buffer.allocUnsafe(size)
      refill(position)
    }
    const checked = checkBatch(chunk.subarray(0, chunkLen), position - chunkStart)
    if (typeof checked === 'number') break
    visit(checked, chunk.subarray(position - chunkStart, position - chunkStart + size), position)
    position += size
  }
  return position
}
