// One partition's log: a sequence of segments, the log start offset, and idempotent-producer
// state.
//
// Durability. append() writes with a synchronous write(2) before it returns, so a batch is in
// the operating system's page cache before Produce is acknowledged: it survives the broker
// process being killed (kill -9, OOM, a crash). fsync, which also survives power loss, runs
// after `flushMessages` records (synchronously, before the append returns) or every `flushMs`
// (asynchronously, so a large flush never stalls other requests); flushMessages = 1 therefore
// means "fsync before every acknowledgement". The default (time only, 1 s) matches Kafka's
// choice of not fsyncing per write.
//
// A full disk (ENOSPC) or a failing device (EIO) never leaves half a batch behind: the segment
// cuts its files back to where they were, the producer state is not told about the batch, the
// offsets are not used, and Produce answers KAFKA_STORAGE_ERROR (retriable, so clients retry
// and succeed once space returns). With flush.messages the fsync is part of the append: when it
// fails, the batch is cut away and refused the same way. A failed periodic fsync is logged and
// retried at the next interval.
//
// Recovery. open() checks the last segment batch by batch (length, magic, CRC-32C) and cuts it
// at the first invalid batch — the torn tail of a write interrupted by a crash — so nothing
// after it is ever served. Earlier segments were sealed when they rolled and are trusted.
//
// Transactions: the partition's open transactions and aborted ranges (TxnIndex, txn-index.ts)
// give the last stable offset and the aborted list read_committed fetches need. Markers are
// written by the transaction coordinator through appendMarker.
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../../shared/logger.js'
import { systemClock, type Clock } from '../../shared/clock.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { Segment } from './segment.js'
import { FileCache } from './file-cache.js'
import { ProducerState } from './producer-state.js'
import { validateProducedBatches, type RecordError } from './record-batch.js'
import { collectLatest, compactBatches } from './compaction.js'
import { writeBaseOffset, readBatchInfo, buildBatch, type BatchInfo } from '../../protocol/record-batch/index.js'
import { isTransactional, type TxnIndex } from './txn-index.js'
import { loadPartition, START_OFFSET_FILE, CLEANING_DIR } from './partition-load.js'
import { maxTimestampOffset, offsetForTimestamp, readSegments, type ReadResult } from './partition-read.js'
import { FlushSchedule } from './flush-schedule.js'
import { retentionDecision } from './retention.js'
import { timestampWindow, type LogConfig } from './log-config.js'


export interface AppendResult { errorCode: number, baseOffset: number, logAppendTime: number, recordCount: number, recordErrors?: RecordError[] }
/** An error from the file system (it has a syscall), as opposed to a bug. */
export function isStorageError (err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string'
}

export type { ReadResult }

export class PartitionLog {
  readonly dir: string
  #config: LogConfig
  #log: Logger
  #clock: Clock
  #files: FileCache
  #segments: Segment[]
  #logStartOffset: number
  #producers = new ProducerState()
  #txns: TxnIndex
  readonly #flushes: FlushSchedule
  #closed = false
  #lastStorageErrorLog = -Infinity
  #suppressedStorageErrors = 0
  #appendedSinceCompaction = 0
  #tombstonesPending = false
  /** Called after every successful append (Fetch long polls wake on it). */
  onAppend: (() => void) | null = null

  private constructor (dir: string, config: LogConfig, logger: Logger, clock: Clock, files: FileCache, segments: Segment[], logStartOffset: number, txns: TxnIndex) {
    this.dir = dir
    this.#txns = txns
    this.#files = files
    this.#config = config
    this.#log = logger
    this.#clock = clock
    this.#segments = segments
    this.#logStartOffset = logStartOffset
    this.#flushes = new FlushSchedule({ clock, log: logger, dir, active: () => this.#active, settings: () => this.#config })
  }

  /** `files` is the broker's shared descriptor cache (a private one when omitted, for tests). */
  static open (dir: string, config: LogConfig, logger: Logger, clock: Clock = systemClock, files: FileCache = new FileCache(64)): PartitionLog {
    const loaded = loadPartition(dir, config, logger, clock, files)
    const log = new PartitionLog(dir, config, logger, clock, files, loaded.segments, loaded.logStartOffset, loaded.txns)
    log.#producers = loaded.producers
    return log
  }

  get logStartOffset (): number { return this.#logStartOffset }
  get logEndOffset (): number { return this.#active.nextOffset }
  /** The first offset of the earliest open transaction, else the log end: read_committed reads below it. */
  get lastStableOffset (): number { return this.#txns.lastStableOffset(this.logEndOffset, this.#logStartOffset) }
  /** Aborted transactions overlapping [from, upTo), for a read_committed Fetch. */
  abortedTransactions (from: number, upTo: number): { producerId: number, firstOffset: number }[] { return this.#txns.abortedIn(from, upTo) }
  /** Whether `producerId` has a transaction open in this partition. */
  hasOpenTransaction (producerId: number): boolean { return this.#txns.hasOpen(producerId) }
  get sizeBytes (): number { return this.#segments.reduce((n, s) => n + s.size, 0) }
  get #active (): Segment { return this.#segments[this.#segments.length - 1] }

  updateConfig (config: LogConfig): void { this.#config = config }

  get config (): LogConfig { return this.#config }

  /**
   * Validates and appends the batches of one Produce partition, applying the topic's configs
   * (max.message.bytes, message.timestamp.*, compression.type); rolls a new segment first when
   * segment.bytes, segment.ms or segment.index.bytes say so. `transactional`: the request came
   * with a transactional id (its batches must all be transactional, of one producer; without
   * one, none may be — a transaction nobody coordinates would hold the LSO back for ever).
   */
  append (produced: Buffer, now: number, transactional = false): AppendResult {
    const c = this.#config
    const { errorCode, batches, records, recordErrors } = validateProducedBatches(produced, {
      maxMessageBytes: c.maxMessageBytes, now, logAppendTime: c.logAppendTime, window: timestampWindow(c), compression: c.compression, gzipLevel: c.gzipLevel, requireKeys: c.cleanupCompact
    })
    if (errorCode !== ErrorCode.NONE) return { errorCode, baseOffset: -1, logAppendTime: -1, recordCount: 0, recordErrors }
    const first = batches[0]
    if (batches.some(b => isTransactional(b) !== transactional || (transactional && (b.producerId !== first.producerId || b.producerEpoch !== first.producerEpoch)))) {
      return { errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1, logAppendTime: -1, recordCount: 0 }
    }
    // An idempotent producer sends one batch per partition; judge retries by the first batch.
    const check = this.#producers.check(batches[0])
    if (check.kind === 'error') return { errorCode: check.errorCode, baseOffset: -1, logAppendTime: -1, recordCount: 0 }
    if (check.kind === 'duplicate') return { errorCode: ErrorCode.NONE, baseOffset: check.baseOffset, logAppendTime: -1, recordCount: 0 }
    return this.#store(records, batches, now)
  }

  /**
   * Writes a transaction marker for `producerId` (commit or abort), with the epoch the
   * coordinator ended the transaction in. The value's coordinator epoch is 0: this broker is the
   * only coordinator there ever is.
   */
  appendMarker (producerId: number, producerEpoch: number, commit: boolean, now: number): number {
    const key = Buffer.alloc(4)
    key.writeInt16BE(commit ? 1 : 0, 2)
    const records = buildBatch([{ key, value: Buffer.alloc(6), timestamp: now }], { control: true, transactional: true, producerId, producerEpoch, logAppendTime: this.#config.logAppendTime })
    return this.#store(records, [readBatchInfo(records, 0)], now).errorCode
  }

  #store (records: Buffer, batches: BatchInfo[], now: number): AppendResult {
    const c = this.#config
    const baseOffset = this.logEndOffset
    let next = baseOffset
    let count = 0
    for (const b of batches) {
      writeBaseOffset(records, b.position, next)
      b.baseOffset = next
      next += b.lastOffsetDelta + 1
      count += b.recordsCount
    }
    const sync = this.#flushes.syncNeeded(count)
    try {
      if (this.#shouldRoll(records.length, now)) this.#roll(now)
      this.#active.append(records, batches, sync)
    } catch (err) {
      if (!isStorageError(err)) throw err
      this.#reportStorageError(err)
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1, logAppendTime: -1, recordCount: 0 }
    }
    for (const b of batches) {
      this.#producers.record(b, b.baseOffset)
      this.#txns.apply(b, records.subarray(b.position, b.position + b.size))
    }
    this.#flushes.appended(count, sync)
    this.#appendedSinceCompaction += count
    this.onAppend?.()
    return { errorCode: ErrorCode.NONE, baseOffset, logAppendTime: c.logAppendTime ? now : -1, recordCount: count }
  }

  #shouldRoll (bytes: number, now: number): boolean {
    const a = this.#active
    const c = this.#config
    return a.size > 0 && (a.size + bytes > c.segmentBytes || now - a.createdAt >= c.segmentMs || a.indexBytes + 12 > c.segmentIndexBytes)
  }

  /** Logs a failed append, at most every 10 s per partition while the failures go on (a full disk fails every retry). */
  #reportStorageError (err: NodeJS.ErrnoException): void {
    const now = this.#clock.now()
    if (now - this.#lastStorageErrorLog < 10_000) { this.#suppressedStorageErrors++; return }
    this.#log.error({ err: err.message, code: err.code, dir: this.dir, alsoFailedSinceLastReport: this.#suppressedStorageErrors }, 'append failed; the partial write was cut away and the produce refused with KAFKA_STORAGE_ERROR')
    this.#lastStorageErrorLog = now
    this.#suppressedStorageErrors = 0
  }

  /**
   * Seals the active segment (fsyncing it) and starts a new one; throws, changing nothing, on
   * failure. The transaction snapshot is written first: at load only the last segment is
   * replayed into it.
   */
  #roll (now: number): void {
    this.#txns.save(this.logEndOffset)
    this.#active.seal()
    this.#segments.push(Segment.create(this.dir, this.logEndOffset, this.#config.indexIntervalBytes, this.#files, now))
  }

  /** fsync now; throws the fsync's error (the records then stay counted as unflushed). */
  flush (): void { this.#flushes.flush() }

  /**
   * Whole batches from `fetchOffset` up to `maxBytes`, none starting at or after `upTo` (the LSO
   * for read_committed); see Segment.read for `minOneBatch`.
   */
  read (fetchOffset: number, maxBytes: number, minOneBatch = true, upTo = Infinity): ReadResult {
    return readSegments(this.#segments, this.#logStartOffset, fetchOffset, maxBytes, minOneBatch, upTo)
  }

  /** ListOffsets by time: the first record whose timestamp is at least `ts`, or null. */
  offsetForTimestamp (ts: number): { offset: number, timestamp: number } | null { return offsetForTimestamp(this.#segments, this.#logStartOffset, ts) }

  /** ListOffsets -3: where the largest timestamp is (batch granularity). */
  maxTimestampOffset (): { offset: number, timestamp: number } | null { return maxTimestampOffset(this.#segments) }

  /** DeleteRecords: raises the log start offset (kept across restarts), dropping whole segments below it. */
  deleteRecordsBefore (offset: number): number {
    if (offset > this.#logStartOffset) {
      this.#logStartOffset = Math.min(offset, this.logEndOffset)
      const tmp = path.join(this.dir, START_OFFSET_FILE + '.tmp')
      fs.writeFileSync(tmp, String(this.#logStartOffset))
      fs.renameSync(tmp, path.join(this.dir, START_OFFSET_FILE))
      this.#dropSegmentsBelowStart()
      this.#pruneTxns()
    }
    return this.#logStartOffset
  }

  /** Drops aborted ranges below the log start with their segments (the snapshot follows). */
  #pruneTxns (): void {
    if (!this.#txns.prune(this.#logStartOffset)) return
    try {
      this.#txns.save(this.logEndOffset)
    } catch (err) {
      if (!isStorageError(err)) throw err
      // The old snapshot is still right, only longer: the next prune writes it again.
      this.#log.error({ dir: this.dir, err: err.message }, 'could not rewrite the transaction index after dropping segments')
    }
  }

  #dropSegmentsBelowStart (): void {
    while (this.#segments.length > 1 && this.#segments[0].nextOffset <= this.#logStartOffset) {
      this.#segments.shift()!.delete()
    }
  }

  /** Deletes sealed segments past retention.ms, then oldest ones while over retention.bytes (retention.ts). */
  applyRetention (now: number): { deletedSegments: number } {
    if (!this.#config.cleanupDelete) return { deletedSegments: 0 }
    const { drop, reason } = retentionDecision(this.#segments, this.#config, now)
    for (let i = 0; i < drop; i++) {
      this.#segments.shift()!.delete()
      this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments[0].baseOffset)
    }
    if (drop > 0) {
      this.#pruneTxns()
      this.#log.info({ dir: this.dir, deleted: drop, reason, logStartOffset: this.#logStartOffset }, 'retention deleted segments')
    }
    return { deletedSegments: drop }
  }

  /**
   * cleanup.policy=compact: rewrites each sealed segment without the records a later record of
   * the same key supersedes (and expired tombstones); see compaction.ts. The active segment is
   * left alone, as in Kafka. Runs only after appends, or while tombstones wait to expire. A
   * segment that empties is removed, unless it is the first (the log start offset stays where
   * it is). A storage error leaves the segment as it was and is logged.
   */
  compact (now: number): { removedRecords: number } {
    const c = this.#config
    if (!c.cleanupCompact || this.#closed || this.#segments.length < 2) return { removedRecords: 0 }
    if (this.#appendedSinceCompaction === 0 && !this.#tombstonesPending) return { removedRecords: 0 }
    this.#appendedSinceCompaction = 0
    const rules = { now, deleteRetentionMs: c.deleteRetentionMs, minCompactionLagMs: c.minCompactionLagMs }
    let removedRecords = 0
    let tombstones = 0
    try {
      const latest = new Map<string, number>()
      for (const seg of this.#segments) collectLatest(seg.readAll(), latest, b => this.#txns.uncommitted(b))
      for (let i = 0; i < this.#segments.length - 1; i++) {
        const seg = this.#segments[i]
        const result = compactBatches(seg.readAll(), latest, rules)
        tombstones += result.tombstonesKept
        if (result.removed === 0) continue
        removedRecords += result.removed
        if (result.buf.length === 0 && i > 0) {
          seg.delete()
          this.#segments.splice(i--, 1)
        } else {
          this.#segments[i] = Segment.rewrite(this.dir, path.join(this.dir, CLEANING_DIR), seg, result.buf, result.batches, c.indexIntervalBytes, this.#files)
        }
      }
    } catch (err) {
      if (!isStorageError(err)) throw err
      this.#log.error({ dir: this.dir, err: err.message }, 'log compaction failed; the segment is left as it was and compaction is retried')
      this.#appendedSinceCompaction = 1
      return { removedRecords }
    }
    this.#tombstonesPending = tombstones > 0
    if (removedRecords > 0) this.#log.info({ dir: this.dir, removedRecords }, 'compacted')
    return { removedRecords }
  }

  close (): void {
    this.#closed = true
    try {
      this.flush()
    } catch (err) {
      this.#log.error({ err: (err as Error).message, dir: this.dir }, 'fsync at close failed: the last records are in the page cache but may not be on disk')
    }
    this.#flushes.close()
    for (const s of this.#segments) s.close()
  }

  /** Closes and removes every file of this partition. */
  destroy (): void {
    this.#closed = true
    this.#flushes.close()
    for (const s of this.#segments) s.close()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}

