// Records to the broker in batches, acknowledged in order. A batch is sealed when it reaches
// `batchBytes` or has waited `lingerMs`; one batch is in flight at a time, so records of a file
// reach their partition in the order they were read, and a batch that fails is sent again
// (backing off up to 5 s) before anything after it: the broker being down or slow stops the
// pipeline instead of reordering or dropping. What waits (sealed and open batches, the one in
// flight) is bounded by `bufferBytes`: the reader asks `hasRoom` before reading more, so memory
// stays bounded however long the broker is away. `onAcked` runs only after the broker
// acknowledged a batch with acks=all; only then may positions before it be checkpointed.
import { backoffDelay } from '../shared/http-delivery.js'
import type { Logger } from '../shared/logger.js'

export interface ShippedRecord {
  value: string
  /** Epoch ms: the line's own time. */
  timestamp: number
  /** Partition hint, reduced modulo the topic's partition count by the client. */
  partition: number
  bytes: number
}

export interface ShipperOptions<R extends ShippedRecord> {
  send: (records: R[]) => Promise<void>
  onAcked: (records: R[]) => void
  batchBytes: number
  lingerMs: number
  bufferBytes: number
  logger: Logger
}

const BACKOFF = { initialMs: 100, maxMs: 5000 }

export class Shipper<R extends ShippedRecord> {
  readonly #o: ShipperOptions<R>
  #open: R[] = []
  #openBytes = 0
  #openedAt = 0
  readonly #sealed: { records: R[], bytes: number }[] = []
  #buffered = 0
  #sending = false
  #timer: NodeJS.Timeout | null = null
  #stopped = false
  #idleWaiters: (() => void)[] = []
  readonly stats = { recordsAcked: 0, bytesAcked: 0, batchesAcked: 0, sendFailures: 0, lastError: null as string | null, failingSince: null as number | null }

  constructor (o: ShipperOptions<R>) { this.#o = o }

  /** Bytes of records not yet acknowledged. */
  get bufferedBytes (): number { return this.#buffered }

  /** Records not yet acknowledged. */
  get bufferedRecords (): number { return this.#open.length + this.#sealed.reduce((n, b) => n + b.records.length, 0) }

  /** Whether the reader may hand over more. */
  get hasRoom (): boolean { return this.#buffered < this.#o.bufferBytes }

  /** Bytes the reader may still hand over. */
  get room (): number { return Math.max(0, this.#o.bufferBytes - this.#buffered) }

  add (r: R): void {
    if (this.#open.length === 0) this.#openedAt = Date.now()
    this.#open.push(r)
    this.#openBytes += r.bytes
    this.#buffered += r.bytes
    if (this.#openBytes >= this.#o.batchBytes) this.#seal()
    else this.#timer ??= setTimeout(() => { this.#timer = null; this.#seal() }, Math.max(0, this.#o.lingerMs - (Date.now() - this.#openedAt)))
  }

  #seal (): void {
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null }
    if (this.#open.length === 0) return
    this.#sealed.push({ records: this.#open, bytes: this.#openBytes })
    this.#open = []
    this.#openBytes = 0
    void this.#pump()
  }

  async #pump (): Promise<void> {
    if (this.#sending) return
    this.#sending = true
    try {
      let attempt = 0
      while (this.#sealed.length > 0 && !this.#stopped) {
        const batch = this.#sealed[0]
        try {
          await this.#o.send(batch.records)
        } catch (err) {
          attempt++
          this.stats.sendFailures++
          this.stats.lastError = (err as Error).message
          this.stats.failingSince ??= Date.now()
          if (attempt === 1 || attempt % 20 === 0) this.#o.logger.warn({ err: (err as Error).message, attempt, records: batch.records.length }, 'producing to the broker failed; reading pauses and the batch is sent again')
          await new Promise(resolve => setTimeout(resolve, backoffDelay(attempt, BACKOFF)))
          continue
        }
        if (attempt > 0) this.#o.logger.warn({ attempts: attempt + 1 }, 'producing to the broker works again')
        attempt = 0
        this.stats.failingSince = null
        this.#sealed.shift()
        this.#buffered -= batch.bytes
        this.stats.recordsAcked += batch.records.length
        this.stats.bytesAcked += batch.bytes
        this.stats.batchesAcked++
        this.#o.onAcked(batch.records)
      }
    } finally {
      this.#sending = false
    }
    if (this.#sealed.length === 0 && this.#open.length === 0) for (const w of this.#idleWaiters.splice(0)) w()
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
    this.#stopped = true
    if (this.#timer !== null) { clearTimeout(this.#timer); this.#timer = null }
  }
}
