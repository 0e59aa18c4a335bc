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
// Recovery. open() checks the last segment batch by batch (length, magic, CRC-32C) and cuts it
// at the first invalid batch — the torn tail of a write interrupted by a crash — so nothing
// after it is ever served. Earlier segments were sealed when they rolled and are trusted.
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../../shared/logger.js'
import { systemClock, type Clock, type TimerHandle } from '../../shared/clock.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { Segment } from './segment.js'
import { ProducerState } from './producer-state.js'
import { validateProducedBatches, firstRecordAtOrAfter } from './record-batch.js'
import { writeBaseOffset, readBatchInfo } from '../../protocol/record-batch/index.js'
import type { LogConfig } from './log-config.js'

const START_OFFSET_FILE = 'log-start-offset'

export interface AppendResult { errorCode: number, baseOffset: number, logAppendTime: number, recordCount: number }
export interface ReadResult { errorCode: number, records: Buffer | null, highWatermark: number, logStartOffset: number }

export class PartitionLog {
  readonly dir: string
  #config: LogConfig
  #log: Logger
  #clock: Clock
  #segments: Segment[]
  #logStartOffset: number
  #producers = new ProducerState()
  #unflushed = 0
  #flushTimer: TimerHandle | null = null
  /** Called after every successful append (Fetch long polls wake on it). */
  onAppend: (() => void) | null = null

  private constructor (dir: string, config: LogConfig, logger: Logger, clock: Clock, segments: Segment[], logStartOffset: number) {
    this.dir = dir
    this.#config = config
    this.#log = logger
    this.#clock = clock
    this.#segments = segments
    this.#logStartOffset = logStartOffset
  }

  static open (dir: string, config: LogConfig, logger: Logger, clock: Clock = systemClock): PartitionLog {
    fs.mkdirSync(dir, { recursive: true })
    const bases = fs.readdirSync(dir)
      .filter(f => /^\d{20}\.log$/.test(f))
      .map(f => Number.parseInt(f.slice(0, 20), 10))
      .sort((a, b) => a - b)
    const producers = new ProducerState()
    const segments: Segment[] = []
    for (let i = 0; i < bases.length; i++) {
      const last = i === bases.length - 1
      const { segment, truncatedBytes } = Segment.open(dir, bases[i], config.indexIntervalBytes, {
        scan: last,
        knownNextOffset: last ? undefined : bases[i + 1],
        onBatch: last ? b => producers.record(b, b.baseOffset) : undefined
      })
      if (truncatedBytes > 0) logger.warn({ dir, segment: bases[i], truncatedBytes }, 'recovered partition: dropped a torn tail after the last valid batch')
      segments.push(segment)
    }
    if (segments.length === 0) segments.push(Segment.create(dir, 0, config.indexIntervalBytes))
    let start = segments[0].baseOffset
    try {
      start = Math.max(start, Number.parseInt(fs.readFileSync(path.join(dir, START_OFFSET_FILE), 'utf8'), 10) || 0)
    } catch {}
    const log = new PartitionLog(dir, config, logger, clock, segments, Math.min(start, segments[segments.length - 1].nextOffset))
    log.#producers = producers
    return log
  }

  get logStartOffset (): number { return this.#logStartOffset }
  get logEndOffset (): number { return this.#active.nextOffset }
  get sizeBytes (): number { return this.#segments.reduce((n, s) => n + s.size, 0) }
  get #active (): Segment { return this.#segments[this.#segments.length - 1] }

  updateConfig (config: LogConfig): void { this.#config = config }

  append (records: Buffer, now: number): AppendResult {
    const { errorCode, batches } = validateProducedBatches(records, this.#config.maxMessageBytes)
    if (errorCode !== ErrorCode.NONE) return { errorCode, baseOffset: -1, logAppendTime: -1, recordCount: 0 }
    // An idempotent producer sends one batch per partition; judge retries by the first batch.
    const check = this.#producers.check(batches[0])
    if (check.kind === 'error') return { errorCode: check.errorCode, baseOffset: -1, logAppendTime: -1, recordCount: 0 }
    if (check.kind === 'duplicate') return { errorCode: ErrorCode.NONE, baseOffset: check.baseOffset, logAppendTime: -1, recordCount: 0 }
    if (this.#active.size > 0 && this.#active.size + records.length > this.#config.segmentBytes) this.#roll()
    const baseOffset = this.logEndOffset
    let next = baseOffset
    let count = 0
    for (const b of batches) {
      writeBaseOffset(records, b.position, next)
      b.baseOffset = next
      next += b.lastOffsetDelta + 1
      count += b.recordsCount
    }
    this.#active.append(records, batches)
    for (const b of batches) this.#producers.record(b, b.baseOffset)
    this.#unflushed += count
    if (this.#unflushed >= this.#config.flushMessages) this.flush()
    else this.#scheduleFlush()
    this.onAppend?.()
    return { errorCode: ErrorCode.NONE, baseOffset, logAppendTime: now, recordCount: count }
  }

  #roll (): void {
    this.#active.seal()
    this.#segments.push(Segment.create(this.dir, this.logEndOffset, this.#config.indexIntervalBytes))
  }

  #scheduleFlush (): void {
    if (this.#flushTimer !== null) return
    this.#flushTimer = this.#clock.setTimeout(() => {
      this.#flushTimer = null
      if (this.#unflushed === 0) return
      this.#unflushed = 0
      this.#active.flushAsync().catch(err => {
        // EBADF: the segment was closed or deleted meanwhile; its data was flushed on close.
        if ((err as NodeJS.ErrnoException).code !== 'EBADF') this.#log.error({ err, dir: this.dir }, 'fsync failed')
      })
    }, this.#config.flushMs)
  }

  flush (): void {
    if (this.#flushTimer !== null) {
      this.#clock.clearTimeout(this.#flushTimer)
      this.#flushTimer = null
    }
    if (this.#unflushed === 0) return
    this.#active.flush()
    this.#unflushed = 0
  }

  #segmentFor (offset: number): Segment | undefined {
    let lo = 0
    let hi = this.#segments.length - 1
    let found: Segment | undefined
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.#segments[mid].baseOffset <= offset) { found = this.#segments[mid]; lo = mid + 1 } else hi = mid - 1
    }
    return found
  }

  read (fetchOffset: number, maxBytes: number): ReadResult {
    const hw = this.logEndOffset
    const result = { errorCode: ErrorCode.NONE as number, records: null as Buffer | null, highWatermark: hw, logStartOffset: this.#logStartOffset }
    if (fetchOffset < this.#logStartOffset || fetchOffset > hw) return { ...result, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
    if (fetchOffset === hw) return result
    let i = this.#segments.indexOf(this.#segmentFor(fetchOffset)!)
    // The offset may fall in a gap at a segment's end (e.g. after DeleteRecords): move on.
    for (; i < this.#segments.length; i++) {
      const seg = this.#segments[i]
      const from = Math.max(fetchOffset, seg.baseOffset)
      if (from >= seg.nextOffset) continue
      const position = seg.findPosition(from)
      if (position < 0) continue
      return { ...result, records: seg.read(position, maxBytes) }
    }
    return result
  }

  /** ListOffsets by time: the first record whose timestamp is at least `ts`, or null. */
  offsetForTimestamp (ts: number): { offset: number, timestamp: number } | null {
    for (const seg of this.#segments) {
      if (seg.maxTimestamp < ts || seg.nextOffset <= this.#logStartOffset) continue
      let position = seg.findPosition(Math.max(seg.timeIndexHint(ts), this.#logStartOffset))
      while (position >= 0 && position < seg.size) {
        const batch = seg.read(position, 0)
        const info = readBatchInfo(batch, 0)
        if (info.maxTimestamp >= ts) {
          return firstRecordAtOrAfter(batch, ts) ?? { offset: Math.max(info.baseOffset, this.#logStartOffset), timestamp: info.maxTimestamp }
        }
        position += info.size
      }
    }
    return null
  }

  /** ListOffsets -3: where the largest timestamp is (batch granularity). */
  maxTimestampOffset (): { offset: number, timestamp: number } | null {
    let best: Segment | undefined
    for (const s of this.#segments) if (s.maxTimestamp >= 0 && (best === undefined || s.maxTimestamp >= best.maxTimestamp)) best = s
    if (best === undefined) return null
    return { offset: best.maxTimestampBatchOffset, timestamp: best.maxTimestamp }
  }

  /** DeleteRecords: raises the log start offset (kept across restarts), dropping whole segments below it. */
  deleteRecordsBefore (offset: number): number {
    if (offset > this.#logStartOffset) {
      this.#logStartOffset = Math.min(offset, this.logEndOffset)
      const tmp = path.join(this.dir, START_OFFSET_FILE + '.tmp')
      fs.writeFileSync(tmp, String(this.#logStartOffset))
      fs.renameSync(tmp, path.join(this.dir, START_OFFSET_FILE))
      this.#dropSegmentsBelowStart()
    }
    return this.#logStartOffset
  }

  #dropSegmentsBelowStart (): void {
    while (this.#segments.length > 1 && this.#segments[0].nextOffset <= this.#logStartOffset) {
      this.#segments.shift()!.delete()
    }
  }

  /** Deletes sealed segments past retention.ms, then oldest ones while over retention.bytes. */
  applyRetention (now: number): { deletedSegments: number } {
    let deleted = 0
    const { retentionMs, retentionBytes } = this.#config
    const drop = (): void => {
      const seg = this.#segments.shift()!
      seg.delete()
      deleted++
      this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments[0].baseOffset)
    }
    if (retentionMs >= 0) {
      while (this.#segments.length > 1 && this.#segments[0].maxTimestamp < now - retentionMs) drop()
    }
    if (retentionBytes >= 0) {
      let excess = this.sizeBytes - retentionBytes
      while (this.#segments.length > 1 && excess >= this.#segments[0].size) {
        excess -= this.#segments[0].size
        drop()
      }
    }
    if (deleted > 0) this.#log.info({ dir: this.dir, deleted, logStartOffset: this.#logStartOffset }, 'retention deleted segments')
    return { deletedSegments: deleted }
  }

  close (): void {
    try { this.flush() } catch {}
    for (const s of this.#segments) s.close()
  }

  /** Closes and removes every file of this partition. */
  destroy (): void {
    if (this.#flushTimer !== null) this.#clock.clearTimeout(this.#flushTimer)
    for (const s of this.#segments) s.close()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
