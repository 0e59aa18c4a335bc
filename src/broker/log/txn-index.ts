// The transaction state of one partition: which producers have a transaction open here and from
// which offset (the earliest of them is the last stable offset, LSO), and the offset ranges of
// aborted transactions, which read_committed fetches list so consumers skip their records.
//
// Persistence: a snapshot file, `txn-index` in the partition's directory, holds this state as of
// an offset `through` (JSON: the open transactions and the aborted ranges). It is rewritten (and
// fsynced) before a segment rolls, and when retention or DeleteRecords drop segments (their
// aborted ranges go with them). On load, every batch at or after `through` is replayed into it:
// those are in the last segment, which is scanned batch by batch at load anyway (torn-tail
// recovery), so between snapshots the log itself is the record and no crash between a log write
// and an index write can make the two disagree. Rebuilding everything from the log's control
// batches instead would read every segment's batch headers at each start (only the last is read
// today), in time proportional to the whole log; the snapshot keeps a start proportional to one
// segment. A partition without the file (written before transactions were served, or lost) is
// rebuilt from all its segments once.
import fs from 'node:fs'
import path from 'node:path'
import { walkRecords, CONTROL_FLAG, HEADER_SIZE, TRANSACTIONAL_FLAG, type BatchInfo } from '../../protocol/record-batch/index.js'

export const TXN_INDEX_FILE = 'txn-index'

export interface AbortedRange { producerId: number, firstOffset: number, lastOffset: number }

interface Snapshot { through: number, open: [number, number][], aborted: [number, number, number][] }

/** A transaction marker's type from its record key (version int16, type int16): 0 abort, 1 commit; null if unreadable. */
export function markerType (batch: Buffer): number | null {
  let type: number | null = null
  try {
    walkRecords(batch.subarray(HEADER_SIZE), 1, r => {
      if (r.keyStart >= 0 && r.keyEnd - r.keyStart >= 4) type = batch.readInt16BE(HEADER_SIZE + r.keyStart + 2)
    })
  } catch {}
  return type
}

export const isTransactional = (b: BatchInfo): boolean => (b.attributes & TRANSACTIONAL_FLAG) !== 0
export const isControl = (b: BatchInfo): boolean => (b.attributes & CONTROL_FLAG) !== 0

export class TxnIndex {
  readonly #file: string
  /** Producer id → first offset of its open transaction here. */
  readonly #open = new Map<number, number>()
  /** In marker order, so by lastOffset. */
  #aborted: AbortedRange[] = []
  /** The longest aborted range: a fetch looks back no further than this past its end. */
  #maxSpan = 0
  #through: number

  private constructor (file: string, through: number) {
    this.#file = file
    this.#through = through
  }

  /** Offset up to which the snapshot on disk holds the state (batches from here are replayed). */
  get through (): number { return this.#through }

  /** Reads the snapshot (an empty state from offset 0 when there is none or it is unreadable). */
  static load (dir: string): TxnIndex {
    const file = path.join(dir, TXN_INDEX_FILE)
    let snap: Snapshot | null = null
    try {
      snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot
      if (typeof snap.through !== 'number' || !Array.isArray(snap.open) || !Array.isArray(snap.aborted)) snap = null
    } catch {}
    const index = new TxnIndex(file, snap?.through ?? 0)
    for (const [pid, first] of snap?.open ?? []) index.#open.set(pid, first)
    for (const [producerId, firstOffset, lastOffset] of snap?.aborted ?? []) index.#pushAborted({ producerId, firstOffset, lastOffset })
    return index
  }

  #pushAborted (r: AbortedRange): void {
    this.#aborted.push(r)
    this.#maxSpan = Math.max(this.#maxSpan, r.lastOffset - r.firstOffset)
  }

  /**
   * Takes one stored batch into account (an append, or a replay at load): a transactional data
   * batch opens its producer's transaction here if none is open; a marker closes it, and an
   * abort marker records the aborted range. `bytes` is the whole batch (markers are read for
   * their type).
   */
  apply (b: BatchInfo, bytes: Buffer | null): void {
    if (!isTransactional(b)) return
    if (!isControl(b)) {
      if (!this.#open.has(b.producerId)) this.#open.set(b.producerId, b.baseOffset)
      return
    }
    const first = this.#open.get(b.producerId)
    // A marker for a producer with nothing open here (a partition added but never written to,
    // or a marker written again after a restart): nothing to record.
    if (first === undefined) return
    this.#open.delete(b.producerId)
    if (bytes !== null && markerType(bytes) === 0) this.#pushAborted({ producerId: b.producerId, firstOffset: first, lastOffset: b.baseOffset })
  }

  /** A transactional batch of an aborted transaction, or of one still open (compaction must not let it supersede anything). */
  uncommitted (b: BatchInfo): boolean {
    if (!isTransactional(b) || isControl(b)) return false
    const open = this.#open.get(b.producerId)
    if (open !== undefined && b.baseOffset >= open) return true
    const list = this.#aborted
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid].lastOffset < b.baseOffset) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < list.length && list[i].lastOffset - this.#maxSpan <= b.baseOffset; i++) {
      if (list[i].producerId === b.producerId && list[i].firstOffset <= b.baseOffset) return true
    }
    return false
  }

  /** Whether a marker for this producer would close something (for the log's own checks). */
  hasOpen (producerId: number): boolean { return this.#open.has(producerId) }

  /** The first offset of the earliest open transaction, or `highWatermark`; never below the log start. */
  lastStableOffset (highWatermark: number, logStartOffset: number): number {
    let lso = highWatermark
    for (const first of this.#open.values()) if (first < lso) lso = first
    return Math.max(lso, Math.min(logStartOffset, highWatermark))
  }

  /** Aborted transactions overlapping [from, upTo): those a fetch of that range must list. */
  abortedIn (from: number, upTo: number): { producerId: number, firstOffset: number }[] {
    const list = this.#aborted
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (list[mid].lastOffset < from) lo = mid + 1
      else hi = mid
    }
    const out: { producerId: number, firstOffset: number }[] = []
    // Sorted by lastOffset: past upTo + the longest span, no range can start before upTo.
    for (let i = lo; i < list.length && list[i].lastOffset - this.#maxSpan < upTo; i++) {
      if (list[i].firstOffset < upTo) out.push({ producerId: list[i].producerId, firstOffset: list[i].firstOffset })
    }
    return out
  }

  /** Forgets ranges that ended below the log start offset (their segments are gone); true if any were. */
  prune (logStartOffset: number): boolean {
    const kept = this.#aborted.filter(r => r.lastOffset >= logStartOffset)
    if (kept.length === this.#aborted.length) return false
    this.#aborted = []
    this.#maxSpan = 0
    for (const r of kept) this.#pushAborted(r)
    return true
  }

  /**
   * After a torn tail was cut at load: whatever the snapshot says about offsets at or past the
   * log end did not survive (a transaction whose first batch is gone is not open; one whose
   * abort marker is gone is open again).
   */
  truncateTo (logEndOffset: number): void {
    for (const [pid, first] of this.#open) if (first >= logEndOffset) this.#open.delete(pid)
    const kept: AbortedRange[] = []
    for (const r of this.#aborted) {
      if (r.lastOffset < logEndOffset) kept.push(r)
      else if (r.firstOffset < logEndOffset) this.#open.set(r.producerId, r.firstOffset)
    }
    this.#aborted = []
    this.#maxSpan = 0
    for (const r of kept) this.#pushAborted(r)
  }

  get abortedCount (): number { return this.#aborted.length }

  /** Writes the state as of `through` (the log end offset now): tmp file, fsync, rename. */
  save (through: number): void {
    const snap: Snapshot = {
      through,
      open: [...this.#open],
      aborted: this.#aborted.map(r => [r.producerId, r.firstOffset, r.lastOffset])
    }
    const tmp = this.#file + '.tmp'
    const fd = fs.openSync(tmp, 'w')
    try {
      fs.writeSync(fd, JSON.stringify(snap))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, this.#file)
    this.#through = through
  }
}
