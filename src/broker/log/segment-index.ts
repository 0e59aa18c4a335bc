// A segment's two sparse indexes as Kafka lays them out — `.index`: relative offset int32,
// file position int32 per entry; `.timeindex`: timestamp int64, relative offset int32 — kept
// whole in memory, where every lookup is answered (the files are only read back at open).
// Segment owns the files and decides when an entry is due; this holds the entries, encodes
// them and looks things up, so the I/O and its rollback stay in one place.

export const INDEX_ENTRY = 8
export const TIME_ENTRY = 12

export class SegmentIndex {
  readonly #base: number
  offsets: number[] = []
  positions: number[] = []
  stamps: number[] = []
  timeOffsets: number[] = []

  constructor (baseOffset: number) { this.#base = baseOffset }

  /**
   * The entries of the files' bytes, or null when they cannot be trusted (a length that is
   * not whole entries, no offset entry for a non-empty log, a position past the log's end):
   * the caller then rebuilds them from the log.
   */
  static decode (baseOffset: number, index: Buffer, time: Buffer, logSize: number): SegmentIndex | null {
    if (index.length % INDEX_ENTRY !== 0 || time.length % TIME_ENTRY !== 0) return null
    if (logSize > 0 && index.length === 0) return null
    const s = new SegmentIndex(baseOffset)
    for (let i = 0; i < index.length; i += INDEX_ENTRY) {
      const position = index.readInt32BE(i + 4)
      if (position >= logSize) return null
      s.offsets.push(baseOffset + index.readInt32BE(i))
      s.positions.push(position)
    }
    for (let i = 0; i < time.length; i += TIME_ENTRY) {
      s.stamps.push(time.readInt32BE(i) * 4294967296 + time.readUInt32BE(i + 4))
      s.timeOffsets.push(baseOffset + time.readInt32BE(i + 8))
    }
    return s
  }

  get offsetEntries (): number { return this.offsets.length }
  get timeEntries (): number { return this.stamps.length }

  /** The last time entry's timestamp and offset ([-1, -1] when there is none). */
  lastTime (): [number, number] {
    const n = this.stamps.length
    return n > 0 ? [this.stamps[n - 1], this.timeOffsets[n - 1]] : [-1, -1]
  }

  /** The file bytes of an offset entry (added to memory by addOffset once written). */
  offsetEntry (offset: number, position: number): Buffer {
    const e = Buffer.allocUnsafe(INDEX_ENTRY)
    e.writeInt32BE(offset - this.#base, 0)
    e.writeInt32BE(position, 4)
    return e
  }

  addOffset (offset: number, position: number): void {
    this.offsets.push(offset)
    this.positions.push(position)
  }

  /** The file bytes of a time entry (added to memory by addTime once written). */
  timeEntry (timestamp: number, offset: number): Buffer {
    const e = Buffer.allocUnsafe(TIME_ENTRY)
    const hi = Math.floor(timestamp / 4294967296)
    e.writeInt32BE(hi, 0)
    e.writeUInt32BE(timestamp - hi * 4294967296, 4)
    e.writeInt32BE(offset - this.#base, 8)
    return e
  }

  addTime (timestamp: number, offset: number): void {
    this.stamps.push(timestamp)
    this.timeOffsets.push(offset)
  }

  /** Back to the first `offsetEntries` and `timeEntries` entries (an append undone). */
  truncate (offsetEntries: number, timeEntries: number): void {
    this.offsets.length = this.positions.length = offsetEntries
    this.stamps.length = this.timeOffsets.length = timeEntries
  }

  /** The position of the last indexed batch starting at or before `offset` (0 when none does). */
  positionAtOrBefore (offset: number): number {
    let lo = 0
    let hi = this.offsets.length - 1
    let position = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.offsets[mid] <= offset) { position = this.positions[mid]; lo = mid + 1 } else hi = mid - 1
    }
    return position
  }

  /** Batch base offset at or after which the first timestamp >= ts can be. */
  timeHint (ts: number): number {
    let hint = this.#base
    for (let i = 0; i < this.stamps.length && this.stamps[i] < ts; i++) hint = this.timeOffsets[i]
    return hint
  }

  /** Size of the larger of the two files. */
  get bytes (): number { return Math.max(this.offsets.length * INDEX_ENTRY, this.stamps.length * TIME_ENTRY) }
}
