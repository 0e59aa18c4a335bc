import fs from 'node:fs'
import path from 'node:path'
import { checkBatch, type BatchInfo } from './record-batch.js'
import { readBatchInfo, HEADER_SIZE, LOG_OVERHEAD, BATCH_LENGTH } from '../../protocol/record-batch/index.js'

const INDEX_ENTRY = 8 // relative offset int32, position int32
const TIME_ENTRY = 12 // timestamp int64, relative offset int32
const SCAN_CHUNK = 1 << 20

export function segmentName (baseOffset: number): string {
  return String(baseOffset).padStart(20, '0')
}

/**
 * One segment: `<base>.log` holding batches back to back, plus a sparse offset index
 * (`.index`: one entry per `indexIntervalBytes` of log) and a time index (`.timeindex`: an
 * entry whenever the segment's max timestamp grows). Both indexes are also kept in memory.
 * Appends are synchronous writes, so they reach the OS in order before the caller acknowledges.
 */
export class Segment {
  readonly baseOffset: number
  readonly #file: string
  #fd: number
  #indexFd: number
  #timeFd: number
  size = 0
  /** Offset after the last batch in this segment. */
  nextOffset: number
  maxTimestamp = -1
  #maxTimestampOffset = -1
  #indexOffsets: number[] = []
  #indexPositions: number[] = []
  #timeStamps: number[] = []
  #timeOffsets: number[] = []
  #bytesSinceIndex = 0
  readonly #indexInterval: number

  private constructor (dir: string, baseOffset: number, indexInterval: number) {
    this.baseOffset = baseOffset
    this.nextOffset = baseOffset
    this.#indexInterval = indexInterval
    this.#file = path.join(dir, segmentName(baseOffset))
    this.#fd = fs.openSync(this.#file + '.log', 'a+')
    this.#indexFd = fs.openSync(this.#file + '.index', 'a+')
    this.#timeFd = fs.openSync(this.#file + '.timeindex', 'a+')
  }

  static create (dir: string, baseOffset: number, indexInterval: number): Segment {
    return new Segment(dir, baseOffset, indexInterval)
  }

  /**
   * Opens an existing segment. With `scan`, every batch is checked (length, magic, CRC) and the
   * file is cut at the first bad one (a torn tail after a crash); indexes are rebuilt and
   * `onBatch` sees each valid batch. Without it, the indexes on disk are trusted and
   * `nextOffset` is taken from `knownNextOffset`.
   */
  static open (dir: string, baseOffset: number, indexInterval: number, opts: { scan: boolean, knownNextOffset?: number, onBatch?: (b: BatchInfo) => void }): { segment: Segment, truncatedBytes: number } {
    const s = new Segment(dir, baseOffset, indexInterval)
    s.size = fs.fstatSync(s.#fd).size
    if (!opts.scan && s.#loadIndexes() && opts.knownNextOffset !== undefined) {
      s.nextOffset = opts.knownNextOffset
      return { segment: s, truncatedBytes: 0 }
    }
    return { segment: s, truncatedBytes: s.#recover(opts.onBatch) }
  }

  #loadIndexes (): boolean {
    const idx = fs.readFileSync(this.#file + '.index')
    const time = fs.readFileSync(this.#file + '.timeindex')
    if (idx.length % INDEX_ENTRY !== 0 || time.length % TIME_ENTRY !== 0) return false
    if (this.size > 0 && idx.length === 0) return false
    for (let i = 0; i < idx.length; i += INDEX_ENTRY) {
      const position = idx.readInt32BE(i + 4)
      if (position >= this.size) return false
      this.#indexOffsets.push(this.baseOffset + idx.readInt32BE(i))
      this.#indexPositions.push(position)
    }
    for (let i = 0; i < time.length; i += TIME_ENTRY) {
      this.#timeStamps.push(time.readInt32BE(i) * 4294967296 + time.readUInt32BE(i + 4))
      this.#timeOffsets.push(this.baseOffset + time.readInt32BE(i + 8))
    }
    const n = this.#timeStamps.length
    this.maxTimestamp = n > 0 ? this.#timeStamps[n - 1] : -1
    this.#maxTimestampOffset = n > 0 ? this.#timeOffsets[n - 1] : -1
    return true
  }

  /** Scans the whole log file, truncating at the first invalid batch; returns bytes dropped. */
  #recover (onBatch?: (b: BatchInfo) => void): number {
    this.#indexOffsets = []
    this.#indexPositions = []
    this.#timeStamps = []
    this.#timeOffsets = []
    this.maxTimestamp = -1
    this.#maxTimestampOffset = -1
    this.#bytesSinceIndex = 0
    fs.ftruncateSync(this.#indexFd, 0)
    fs.ftruncateSync(this.#timeFd, 0)
    const fileSize = this.size
    let chunk = Buffer.allocUnsafe(SCAN_CHUNK)
    let chunkStart = 0
    let chunkLen = 0
    const refill = (at: number): void => {
      chunkStart = at
      chunkLen = fs.readSync(this.#fd, chunk, 0, Math.min(chunk.length, fileSize - at), at)
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
      this.#indexBatch(checked, position)
      onBatch?.(checked)
      position += size
    }
    const dropped = fileSize - position
    if (dropped > 0) fs.ftruncateSync(this.#fd, position)
    this.size = position
    return dropped
  }

  #indexBatch (b: BatchInfo, position: number): void {
    const due = this.#indexOffsets.length === 0 || this.#bytesSinceIndex >= this.#indexInterval
    if (due) {
      this.#indexOffsets.push(b.baseOffset)
      this.#indexPositions.push(position)
      const e = Buffer.allocUnsafe(INDEX_ENTRY)
      e.writeInt32BE(b.baseOffset - this.baseOffset, 0)
      e.writeInt32BE(position, 4)
      fs.writeSync(this.#indexFd, e)
      this.#bytesSinceIndex = 0
    }
    this.#bytesSinceIndex += b.size
    if (b.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = b.maxTimestamp
      this.#maxTimestampOffset = b.baseOffset
      // Sparse like the offset index; seal() adds the final maximum when the segment rolls.
      if (due) this.#appendTimeEntry(b.maxTimestamp, b.baseOffset)
    }
    this.nextOffset = b.baseOffset + b.lastOffsetDelta + 1
  }

  #appendTimeEntry (timestamp: number, offset: number): void {
    this.#timeStamps.push(timestamp)
    this.#timeOffsets.push(offset)
    const e = Buffer.allocUnsafe(TIME_ENTRY)
    const hi = Math.floor(timestamp / 4294967296)
    e.writeInt32BE(hi, 0)
    e.writeUInt32BE(timestamp - hi * 4294967296, 4)
    e.writeInt32BE(offset - this.baseOffset, 8)
    fs.writeSync(this.#timeFd, e)
  }

  /** Called when the segment stops being the active one: records its final max timestamp. */
  seal (): void {
    const last = this.#timeStamps.length > 0 ? this.#timeStamps[this.#timeStamps.length - 1] : -1
    if (this.maxTimestamp > last) this.#appendTimeEntry(this.maxTimestamp, this.#maxTimestampOffset)
    this.flush()
  }

  /** Appends batches whose base offsets are already assigned (`batches` describe `buf`). */
  append (buf: Buffer, batches: BatchInfo[]): void {
    const position = this.size
    let written = 0
    while (written < buf.length) written += fs.writeSync(this.#fd, buf, written, buf.length - written)
    for (const b of batches) this.#indexBatch(b, position + b.position)
    this.size += buf.length
  }

  /** File position of the batch containing `offset` (which must be in this segment), or -1. */
  findPosition (offset: number): number {
    let lo = 0
    let hi = this.#indexOffsets.length - 1
    let position = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.#indexOffsets[mid] <= offset) { position = this.#indexPositions[mid]; lo = mid + 1 } else hi = mid - 1
    }
    const header = Buffer.allocUnsafe(HEADER_SIZE)
    while (position + HEADER_SIZE <= this.size) {
      fs.readSync(this.#fd, header, 0, HEADER_SIZE, position)
      const b = readBatchInfo(header, 0)
      if (b.baseOffset + b.lastOffsetDelta >= offset) return position
      position += b.size
    }
    return -1
  }

  /** Whole batches from `position`: up to `maxBytes`, but always the first batch complete. */
  read (position: number, maxBytes: number): Buffer {
    const header = Buffer.allocUnsafe(HEADER_SIZE)
    fs.readSync(this.#fd, header, 0, HEADER_SIZE, position)
    const first = header.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD
    const length = Math.min(Math.max(first, maxBytes), this.size - position)
    const buf = Buffer.allocUnsafe(length)
    fs.readSync(this.#fd, buf, 0, length, position)
    let end = 0
    while (end + LOG_OVERHEAD <= length) {
      const size = buf.readInt32BE(end + BATCH_LENGTH) + LOG_OVERHEAD
      if (end + size > length) break
      end += size
    }
    return buf.subarray(0, end)
  }

  /** Batch base offset at or after which the first timestamp >= ts can be (time index hint). */
  timeIndexHint (ts: number): number {
    let hint = this.baseOffset
    for (let i = 0; i < this.#timeStamps.length && this.#timeStamps[i] < ts; i++) hint = this.#timeOffsets[i]
    return hint
  }

  /** Base offset of the batch holding the segment's largest timestamp. */
  get maxTimestampBatchOffset (): number { return this.#maxTimestampOffset }

  flush (): void {
    fs.fdatasyncSync(this.#fd)
    fs.fdatasyncSync(this.#indexFd)
    fs.fdatasyncSync(this.#timeFd)
  }

  /** fsync off the event loop (the periodic flush): a large flush must not stall requests. */
  flushAsync (): Promise<void> {
    const one = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fdatasync(fd, err => err ? reject(err) : resolve()))
    return Promise.all([one(this.#fd), one(this.#indexFd), one(this.#timeFd)]).then(() => {})
  }

  close (): void {
    for (const fd of [this.#fd, this.#indexFd, this.#timeFd]) {
      try { fs.closeSync(fd) } catch {}
    }
  }

  delete (): void {
    this.close()
    for (const ext of ['.log', '.index', '.timeindex']) fs.rmSync(this.#file + ext, { force: true })
  }
}
