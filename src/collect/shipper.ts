// Records to the broker in batches, acknowledged in order. The reader writes each record straight
// into the open batch (record-sections.ts) and tells the shipper which file position it covers.
// A batch is sealed before a record would take it past `batchBytes`, or once it waited `lingerMs`; one batch is in flight
// at a time, so records of a file reach their partition in the order they were read, and a
// batch that fails is sent again (backing off up to 5 s) before anything after it: the broker
// being down or slow stops the pipeline instead of reordering or dropping. What waits (sealed
// and open batches, the one in flight) is bounded by `bufferBytes`: the reader asks `room`
// before reading more, so memory stays bounded however long the broker is away. `onAcked` runs
// only after the broker acknowledged a batch with acks=all; only then may positions before it
// be checkpointed.
import { backoffDelay } from '../shared/http-delivery.js'
import type { Logger } from '../shared/logger.js'
import { sleep } from '../shared/sleep.js'
import { systemClock } from '../shared/clock.js'
import { RecordSections } from './record-sections.js'

/** How far a batch's records take one file: where to resume, in which truncation generation. */
export interface FileProgress { count: number, resume: number, generation: number }

export class Batch<F> {
  readonly sections = new RecordSections()
  readonly progress = new Map<F, FileProgress>()
  /** Partitions already stored, when a send failed half-way (only the others are sent again). */
  readonly done = new Set<number>()
  /** The RecordBatches once built for sending (kept for a retry). */
  built: Map<number, Buffer> | null = null
  /** Records the broker refused for good (larger than the topic accepts), over all attempts. */
  refused = 0
  lastFile: F | null = null
  lastProgress: FileProgress | null = null

  get records (): number { return this.sections.records }
  get bytes (): number { return this.sections.bytes }
}

export interface ShipperOptions<F> {
  /** Resolves, once the broker stored the batch, with how many of its records it refused for good. */
  send: (batch: Batch<F>) => Promise<number>
  /** Readies a sealed batch for sending (compresses it) while the one before it is in flight. */
  prepare?: (batch: Batch<F>) => void
  onAcked: (batch: Batch<F>) => void
  batchBytes: number
  lingerMs: number
  bufferBytes: number
  logger: Logger
}

const BACKOFF = { initialMs: 100, maxMs: 5000 }

export class Shipper<F> {
  readonly #o: ShipperOptions<F>
  #open: Batch<F> | null = null
  readonly #sealed: Batch<F>[] = []
  #sealedBytes = 0
  #sealedRecords = 0
  #sending = false
  #timer: NodeJS.Timeout | null = null
  readonly #stop = new AbortController()
  #idleWaiters: (() => void)[] = []
  readonly stats = { recordsRefused: 0, recordsAcked: 0, bytesAcked: 0, batchesAcked: 0, sendFailures: 0, lastError: null as string | null, failingSince: null as number | null }

  constructor (o: ShipperOptions<F>) { this.#o = o }

  /** Bytes of records not yet acknowledged. */
  get bufferedBytes (): number { return this.#sealedBytes + (this.#open?.bytes ?? 0) }

  /** Records not yet acknowledged. */
  get bufferedRecords (): number { return this.#sealedRecords + (this.#open?.records ?? 0) }

  /** Whether the reader may hand over more. */
  get hasRoom (): boolean { return this.bufferedBytes < this.#o.bufferBytes }

  /** Bytes the reader may still hand over. */
  get room (): number { return Math.max(0, this.#o.bufferBytes - this.bufferedBytes) }

  /**
   * The batch the next record, of about `bytes`, is written into: the open one, sealed first
   * when that record would take it past `batchBytes`.
   */
  openFor (bytes: number): Batch<F> {
    if (this.#open !== null && this.#open.records > 0 && this.#open.bytes + bytes > this.#o.batchBytes) this.#seal()
    if (this.#open === null) {
      this.#open = new Batch<F>()
      this.#timer = setTimeout(() => { this.#timer = null; this.#seal() }, this.#o.lingerMs)
    }
    return this.#open
  }

  /** A record was written into the open batch; after the broker stored it, `file` may resume at `resume`. */
  added (file: F, resume: number, generation: number): void {
    const batch = this.#open!
    // Lines come in runs from one file: its entry is remembered rather than looked up per line.
    let p = batch.lastFile === file ? batch.lastProgress : batch.progress.get(file)
    if (p === undefined || p === null) batch.progress.set(file, p = { count: 1, resume, generation })
    else { p.count++; p.resume = resume; p.generation = generation }
    batch.lastFile = file
    batch.lastProgress = p
  }

  #seal (): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null }
    const batch = this.#open
    this.#open = null
    if (batch === null || batch.records === 0) return
    this.#sealed.push(batch)
    this.#sealedBytes += batch.bytes
    this.#sealedRecords += batch.records
    if (this.#sending && this.#sealed.length === 2) this.#o.prepare?.(batch)
    void this.#pump()
  }

  async #pump (): Promise<void> {
    if (this.#sending) return
    this.#sending = true
    try {
      let attempt = 0
      while (this.#sealed.length > 0 && !this.#stop.signal.aborted) {
        const batch = this.#sealed[0]
        let refused: number
        try {
          const sending = this.#o.send(batch)
          // The next batch is compressed while the broker stores this one.
          if (this.#sealed.length > 1) this.#o.prepare?.(this.#sealed[1])
          refused = await sending
        } catch (err) {
          attempt++
          this.stats.sendFailures++
          this.stats.lastError = (err as Error).message
          this.stats.failingSince ??= Date.now()
          if (attempt === 1 || attempt % 20 === 0) this.#o.logger.warn({ err: (err as Error).message, attempt, records: batch.records }, 'producing to the broker failed; reading pauses and the batch is sent again')
          await sleep(systemClock, backoffDelay(attempt, BACKOFF), this.#stop.signal)
          continue
        }
        if (attempt > 0) this.#o.logger.warn({ attempts: attempt + 1 }, 'producing to the broker works again')
        attempt = 0
        this.stats.failingSince = null
        this.#sealed.shift()
        this.#sealedBytes -= batch.bytes
        this.#sealedRecords -= batch.records
        this.stats.recordsAcked += batch.records - refused
        this.stats.recordsRefused += refused
        this.stats.bytesAcked += batch.bytes
        this.stats.batchesAcked++
        batch.built = null
        batch.sections.release()
        this.#o.onAcked(batch)
      }
    } finally {
      this.#sending = false
    }
    if (this.#sealed.length === 0 && this.#open === null) for (const w of this.#idleWaiters.splice(0)) w()
  }

  /** Seals what is open and resolves once everything is acknowledged (or `timeoutMs` passed). */
  async drain (timeoutMs: number): Promise<boolean> {
    this.#seal()
    if (this.#sealed.length === 0 && !this.#sending) return true
    let timer: NodeJS.Timeout | undefined
    const done = await Promise.race([
      new Promise<boolean>(resolve => this.#idleWaiters.push(() => resolve(true))),
      new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), timeoutMs) })
    ])
    clearTimeout(timer)
    return done
  }

  /** Stops sending (what is unacknowledged stays unacknowledged: it is read again next time). */
  stop (): void {
    this.#stop.abort()
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null }
  }
}
