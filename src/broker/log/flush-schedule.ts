// When a partition's appended records are fsynced (see partition-log.ts, "Durability"): after
// `flushMessages` records, synchronously as part of the append, or `flushMs` after the first
// record not yet flushed, asynchronously, so a large flush never stalls other requests. A failed
// periodic fsync is logged and retried at the next interval, the records still counted.
import type { Logger } from '../../shared/logger.js'
import type { Clock, TimerHandle } from '../../shared/clock.js'

/** What is fsynced: the partition's active segment at the time. */
export interface Flushable {
  flush: () => void
  flushAsync: () => Promise<void>
}

export class FlushSchedule {
  #unflushed = 0
  #timer: TimerHandle | null = null
  #closed = false
  readonly #clock: Clock
  readonly #log: Logger
  readonly #dir: string
  readonly #active: () => Flushable
  readonly #settings: () => { flushMessages: number, flushMs: number }

  constructor (o: { clock: Clock, log: Logger, dir: string, active: () => Flushable, settings: () => { flushMessages: number, flushMs: number } }) {
    this.#clock = o.clock
    this.#log = o.log
    this.#dir = o.dir
    this.#active = o.active
    this.#settings = o.settings
  }

  /** Whether appending `count` more records must fsync before it is acknowledged. */
  syncNeeded (count: number): boolean { return this.#unflushed + count >= this.#settings().flushMessages }

  /** After an append of `count` records that was (`synced`) or was not fsynced with it. */
  appended (count: number, synced: boolean): void {
    if (synced) {
      this.#unflushed = 0
      this.#cancel()
    } else {
      this.#unflushed += count
      this.#schedule()
    }
  }

  /** fsync now; throws the fsync's error (the records then stay counted as unflushed). */
  flush (): void {
    this.#cancel()
    if (this.#unflushed === 0) return
    this.#active().flush()
    this.#unflushed = 0
  }

  /** No more periodic flushes (a failing one in flight is not reported: close() fsynced what was left). */
  close (): void {
    this.#closed = true
    this.#cancel()
  }

  #schedule (): void {
    if (this.#timer !== null) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null
      const pending = this.#unflushed
      if (pending === 0) return
      this.#unflushed = 0
      this.#active().flushAsync().catch(err => {
        if (this.#closed) return
        // Not swallowed: the records stay counted as unflushed and the next interval retries.
        this.#log.error({ err: (err as Error).message, code: (err as NodeJS.ErrnoException).code, dir: this.#dir, records: pending }, 'fsync failed: acknowledged records are in the page cache but not yet on disk; retrying')
        this.#unflushed += pending
        this.#schedule()
      })
    }, this.#settings().flushMs)
  }

  #cancel (): void {
    if (this.#timer === null) return
    this.#clock.clearTimeout(this.#timer)
    this.#timer = null
  }
}
