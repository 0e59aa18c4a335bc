import fs from 'node:fs'
import path from 'node:path'
import type { BatchInfo } from './record-batch.js'
import { scanBatches } from './segment-scan.js'
import type { FileCache } from './file-cache.js'
import { readBatchInfo, HEADER_SIZE, LOG_OVERHEAD, BATCH_LENGTH } from '../../protocol/record-batch/index.js'
import { SegmentIndex, INDEX_ENTRY, TIME_ENTRY } from './segment-index.js'

const EMPTY = Buffer.alloc(0)

export function segmentName (baseOffset: number): string {
  return String(baseOffset).padStart(20, '0')
}

function truncateIfExists (file: string): void {
  try {
    fs.truncateSync(file, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** What an append may have to undo: every size and in-memory value it changes. */
interface Mark { size: number, nextOffset: number, maxTimestamp: number, maxTimestampOffset: number, bytesSinceIndex: number, indexEntries: number, timeEntries: number }

/**
 * One segment: `<base>.log` holding batches back to back, plus a sparse offset index
 * (`.index`: one entry per `indexIntervalBytes` of log) and a time index (`.timeindex`: an
 * entry whenever the segment's max timestamp grows). Both indexes are also kept in memory, and
 * the files are exactly as long as the memory says: every write goes to an explicit position
 * (never O_APPEND), and an append that fails part-way (ENOSPC, EIO) truncates all three files
 * back before it reports the error, so nothing half-written is ever read, indexed or built on.
 * Descriptors come from the broker's FileCache just before each system call.
 */
export class Segment {
  readonly baseOffset: number
  readonly #files: FileCache
  readonly #log: string
  readonly #index: string
  readonly #time: string
  size = 0
  /** Offset after the last batch in this segment. */
  nextOffset: number
  maxTimestamp = -1
  /** When the segment was created (segment.ms counts from it). */
  createdAt = 0
  #maxTimestampOffset = -1
  #idx: SegmentIndex
  #bytesSinceIndex = 0
  readonly #indexInterval: number
  /** A failed append could not cut the files back: retried before anything else is written. */
  #needsTruncate = false

  private constructor (dir: string, baseOffset: number, indexInterval: number, files: FileCache) {
    this.baseOffset = baseOffset
    this.nextOffset = baseOffset
    this.#indexInterval = indexInterval
    this.#files = files
    this.#idx = new SegmentIndex(baseOffset)
    const base = path.join(dir, segmentName(baseOffset))
    this.#log = base + '.log'
    this.#index = base + '.index'
    this.#time = base + '.timeindex'
  }

  /** A new, empty segment. Its .log file is created now, so the base offset is on disk. */
  static create (dir: string, baseOffset: number, indexInterval: number, files: FileCache, now: number): Segment {
    const s = new Segment(dir, baseOffset, indexInterval, files)
    files.fd(s.#log, true)
    s.createdAt = now
    return s
  }

  /**
   * Opens an existing segment. With `scan`, every batch is checked (length, magic, CRC) and the
   * file is cut at the first bad one (a torn tail after a crash); indexes are rebuilt and
   * `onBatch` sees each valid batch. Without it, the indexes on disk are trusted and
   * `nextOffset` is taken from `knownNextOffset`.
   */
  static open (dir: string, baseOffset: number, indexInterval: number, files: FileCache, opts: { scan: boolean, knownNextOffset?: number, onBatch?: (b: BatchInfo, bytes: Buffer) => void }): { segment: Segment, truncatedBytes: number } {
    const s = new Segment(dir, baseOffset, indexInterval, files)
    const stat = fs.statSync(s.#log)
    s.size = stat.size
    s.createdAt = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs
    if (!opts.scan && s.#loadIndexes() && opts.knownNextOffset !== undefined) {
      s.nextOffset = opts.knownNextOffset
      return { segment: s, truncatedBytes: 0 }
    }
    return { segment: s, truncatedBytes: s.#recover(opts.onBatch) }
  }

  #loadIndexes (): boolean {
    let idx: Buffer, time: Buffer
    try {
      idx = fs.readFileSync(this.#index)
      time = fs.readFileSync(this.#time)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
    const loaded = SegmentIndex.decode(this.baseOffset, idx, time, this.size)
    if (loaded === null) return false
    this.#idx = loaded
    ;[this.maxTimestamp, this.#maxTimestampOffset] = loaded.lastTime()
    return true
  }

  /** Scans the whole log file, truncating at the first invalid batch; returns bytes dropped. */
  #recover (onBatch?: (b: BatchInfo, bytes: Buffer) => void): number {
    this.#idx = new SegmentIndex(this.baseOffset)
    this.maxTimestamp = -1
    this.#maxTimestampOffset = -1
    this.#bytesSinceIndex = 0
    truncateIfExists(this.#index)
    truncateIfExists(this.#time)
    const fileSize = this.size
    // The descriptor is asked for per read: indexing may make the FileCache close it meanwhile.
    const position = scanBatches((buf, length, at) => fs.readSync(this.#files.fd(this.#log), buf, 0, length, at), fileSize, (b, bytes, at) => {
      this.#indexBatch(b, at)
      onBatch?.(b, bytes)
    })
    const dropped = fileSize - position
    if (dropped > 0) fs.ftruncateSync(this.#files.fd(this.#log), position)
    this.size = position
    return dropped
  }

  /** Writes all of `buf` at `position` (a short write on a filling disk is continued, then fails). */
  #write (file: string, buf: Buffer, position: number): void {
    let written = 0
    while (written < buf.length) written += fs.writeSync(this.#files.fd(file, true), buf, written, buf.length - written, position + written)
  }

  #indexBatch (b: BatchInfo, position: number): void {
    const due = this.#idx.offsetEntries === 0 || this.#bytesSinceIndex >= this.#indexInterval
    if (due) {
      this.#write(this.#index, this.#idx.offsetEntry(b.baseOffset, position), this.#idx.offsetEntries * INDEX_ENTRY)
      this.#idx.addOffset(b.baseOffset, position)
      this.#bytesSinceIndex = 0
    }
    this.#bytesSinceIndex += b.size
    if (b.maxTimestamp > this.maxTimestamp) {
      // Sparse like the offset index; seal() adds the final maximum when the segment rolls.
      if (due) this.#appendTimeEntry(b.maxTimestamp, b.baseOffset)
      this.maxTimestamp = b.maxTimestamp
      this.#maxTimestampOffset = b.baseOffset
    }
    this.nextOffset = b.baseOffset + b.lastOffsetDelta + 1
  }

  #appendTimeEntry (timestamp: number, offset: number): void {
    this.#write(this.#time, this.#idx.timeEntry(timestamp, offset), this.#idx.timeEntries * TIME_ENTRY)
    this.#idx.addTime(timestamp, offset)
  }

  #mark (): Mark {
    return { size: this.size, nextOffset: this.nextOffset, maxTimestamp: this.maxTimestamp, maxTimestampOffset: this.#maxTimestampOffset, bytesSinceIndex: this.#bytesSinceIndex, indexEntries: this.#idx.offsetEntries, timeEntries: this.#idx.timeEntries }
  }

  /** Puts memory and files back to `m`. Truncating frees space, so it works on a full disk. */
  #rollback (m: Mark): void {
    this.size = m.size
    this.nextOffset = m.nextOffset
    this.maxTimestamp = m.maxTimestamp
    this.#maxTimestampOffset = m.maxTimestampOffset
    this.#bytesSinceIndex = m.bytesSinceIndex
    this.#idx.truncate(m.indexEntries, m.timeEntries)
    this.#truncateFiles()
  }

  #truncateFiles (): void {
    try {
      fs.ftruncateSync(this.#files.fd(this.#log, true), this.size)
      fs.ftruncateSync(this.#files.fd(this.#index, true), this.#idx.offsetEntries * INDEX_ENTRY)
      fs.ftruncateSync(this.#files.fd(this.#time, true), this.#idx.timeEntries * TIME_ENTRY)
      this.#needsTruncate = false
    } catch {
      // Reads stop at `size` and writes go to explicit positions, so leftovers are never seen;
      // the next append cuts them off first (or fails with the same error).
      this.#needsTruncate = true
    }
  }

  /** Called when the segment stops being the active one: records its final max timestamp. */
  seal (): void {
    const [last] = this.#idx.lastTime()
    if (this.maxTimestamp > last) {
      const m = this.#mark()
      try {
        this.#appendTimeEntry(this.maxTimestamp, this.#maxTimestampOffset)
      } catch (err) {
        this.#rollback(m)
        throw err
      }
    }
    this.flush()
  }

  /**
   * Appends batches whose base offsets are already assigned (`batches` describe `buf`), then
   * fsyncs when `sync`. All or nothing: on any error the segment is as it was, and it throws.
   */
  append (buf: Buffer, batches: BatchInfo[], sync = false): void {
    if (this.#needsTruncate) {
      this.#truncateFiles()
      if (this.#needsTruncate) fs.ftruncateSync(this.#files.fd(this.#log, true), this.size) // throws its error
    }
    const m = this.#mark()
    try {
      this.#write(this.#log, buf, m.size)
      for (const b of batches) this.#indexBatch(b, m.size + b.position)
      this.size += buf.length
      if (sync) this.flush()
    } catch (err) {
      this.#rollback(m)
      throw err
    }
  }

  /**
   * Replaces sealed segment `old` with `buf` (its compacted batches, offsets unchanged), and
   * returns the segment that now stands for it. The new files are written and fsynced in
   * `tmpDir` first; then the old indexes are removed and the new files renamed over the old,
   * so a crash at any point leaves either log with, at worst, indexes missing, which the next
   * open rebuilds from the log.
   */
  static rewrite (dir: string, tmpDir: string, old: Segment, buf: Buffer, batches: BatchInfo[], indexInterval: number, files: FileCache): Segment {
    fs.rmSync(tmpDir, { recursive: true, force: true })
    fs.mkdirSync(tmpDir, { recursive: true })
    const fresh = Segment.create(tmpDir, old.baseOffset, indexInterval, files, old.createdAt)
    // Both indexes exist even when empty: they are renamed in below, and fsynced by seal().
    files.fd(fresh.#index, true)
    files.fd(fresh.#time, true)
    try {
      fresh.append(buf, batches)
      fresh.seal()
    } finally {
      fresh.close()
    }
    old.close()
    fs.rmSync(old.#index, { force: true })
    fs.rmSync(old.#time, { force: true })
    fs.renameSync(fresh.#log, old.#log)
    fs.renameSync(fresh.#index, old.#index)
    fs.renameSync(fresh.#time, old.#time)
    fs.rmSync(tmpDir, { recursive: true, force: true })
    const { segment } = Segment.open(dir, old.baseOffset, indexInterval, files, { scan: false, knownNextOffset: old.nextOffset })
    segment.createdAt = old.createdAt
    return segment
  }

  /** Every byte of the segment (compaction reads sealed segments whole). */
  readAll (): Buffer {
    const buf = Buffer.allocUnsafe(this.size)
    let done = 0
    while (done < this.size) done += fs.readSync(this.#files.fd(this.#log), buf, done, this.size - done, done)
    return buf
  }

  /** File position of the batch containing `offset` (which must be in this segment), or -1. */
  findPosition (offset: number): number {
    let position = this.#idx.positionAtOrBefore(offset)
    const header = Buffer.allocUnsafe(HEADER_SIZE)
    while (position + HEADER_SIZE <= this.size) {
      fs.readSync(this.#files.fd(this.#log), header, 0, HEADER_SIZE, position)
      const b = readBatchInfo(header, 0)
      if (b.baseOffset + b.lastOffsetDelta >= offset) return position
      position += b.size
    }
    return -1
  }

  /**
   * Whole batches from `position`, up to `maxBytes`. With `minOneBatch` the first batch is
   * returned complete even when it is larger (KIP-74: the first data of a fetch response must
   * let the consumer progress); without it a first batch that does not fit gives an empty buffer.
   */
  read (position: number, maxBytes: number, minOneBatch = true): Buffer {
    const header = Buffer.allocUnsafe(HEADER_SIZE)
    fs.readSync(this.#files.fd(this.#log), header, 0, HEADER_SIZE, position)
    const first = header.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD
    if (!minOneBatch && first > maxBytes) return EMPTY
    const length = Math.min(Math.max(first, maxBytes), this.size - position)
    const buf = Buffer.allocUnsafe(length)
    fs.readSync(this.#files.fd(this.#log), buf, 0, length, position)
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
    return this.#idx.timeHint(ts)
  }

  /** Size of the larger of its two index files (segment.index.bytes bounds it). */
  get indexBytes (): number { return this.#idx.bytes }

  /** Base offset of the batch holding the segment's largest timestamp. */
  get maxTimestampBatchOffset (): number { return this.#maxTimestampOffset }

  /**
   * What retention compares with its cut-off: the largest record timestamp, or (as Kafka does)
   * the file's modification time when no record carries a timestamp.
   */
  retentionTimestamp (): number {
    if (this.maxTimestamp >= 0) return this.maxTimestamp
    try { return fs.statSync(this.#log).mtimeMs } catch { return -1 }
  }

  flush (): void {
    this.#files.syncNow([this.#log, this.#index, this.#time])
  }

  /** fsync off the event loop (the periodic flush): a large flush must not stall requests. */
  flushAsync (): Promise<void> {
    return this.#files.syncAsync([this.#log, this.#index, this.#time])
  }

  close (): void {
    for (const f of [this.#log, this.#index, this.#time]) this.#files.forget(f)
  }

  delete (): void {
    this.close()
    for (const f of [this.#log, this.#index, this.#time]) fs.rmSync(f, { force: true })
  }
}
