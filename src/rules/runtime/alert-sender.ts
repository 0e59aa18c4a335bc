/**
 * Alerts from an owner to Alertmanager (Tidewatch's notifier, or any other), as Prometheus'
 * ruler sends them: each firing or resolved change once, and every firing alert again every
 * RESEND_MS with an endsAt RESEND_MS × 4 ahead, so an Alertmanager resolves it by itself if this
 * workload goes away, and one that restarted learns it again. new_pattern / new_term alerts go
 * once without endsAt (Alertmanager resolves them after its resolve_timeout).
 *
 * Delivery is the caller's (`deliver`: the alertmanager output functions use); this keeps the
 * queue, and retries while delivery fails retryably, with the shared backoff and Retry-After.
 * A change stays queued until delivered, and an owner does not snapshot while any is queued,
 * so a restart re-derives and re-sends what was not delivered: notification is at least once,
 * and Alertmanager merges the repeats (same labels, same fingerprint).
 */
import type { Logger } from '../../shared/logger.js'
import { retryDecision } from '../../shared/http-delivery.js'
import type { Clock } from '../../shared/clock.js'
import { toPostable, type AlertChange, type AlertState, type PostableAlert } from '../alerts.js'
import type { Source } from '../window.js'

export const RESEND_MS = 60_000
const BACKOFF = { initialMs: 200, maxMs: 10_000 }
/** Alerts per POST: Alertmanager takes any number, but a storm is better split. */
const PER_POST = 500

export interface AlertSenderOptions {
  deliver: (alerts: PostableAlert[]) => Promise<void>
  /** The console alerts link to (`/context?topic&partition&offset` of the record behind the change); none: no link. */
  publicUrl?: string
  clock: Clock
  logger: Logger
}

export function contextUrl (base: string, s: Source): string {
  const q = new URLSearchParams({ topic: s.topic, partition: String(s.partition), offset: String(s.offset) })
  return `${base.replace(/\/$/, '')}/context?${q.toString()}`
}

export class AlertSender {
  readonly #o: AlertSenderOptions
  #queue: PostableAlert[] = []
  sent = 0
  failures = 0
  lastError: { time: string, message: string } | null = null

  constructor (o: AlertSenderOptions) { this.#o = o }

  get pending (): number { return this.#queue.length }

  #link (s: Source): string | undefined { return this.#o.publicUrl === undefined ? undefined : contextUrl(this.#o.publicUrl, s) }

  /** Queues the changes Alertmanager is told about; `novelty` says which come from new_pattern / new_term rules. */
  push (changes: readonly AlertChange[], novelty: (rule: string) => boolean): void {
    for (const c of changes) {
      const p = toPostable(c, s => this.#link(s) ?? '')
      if (p === null) continue
      if (p.generatorURL === '') delete p.generatorURL
      if (c.state === 'firing' && !novelty(c.rule)) p.endsAt = new Date(this.#o.clock.now() + 4 * RESEND_MS).toISOString()
      this.#queue.push(p)
    }
  }

  /** Queues every firing alert again (the periodic resend, and after a restore). */
  resend (active: readonly AlertState[]): void {
    const until = new Date(this.#o.clock.now() + 4 * RESEND_MS).toISOString()
    for (const a of active) {
      if (a.state !== 'firing') continue
      const link = a.source === undefined ? undefined : this.#link(a.source)
      this.#queue.push({ labels: { ...a.labels }, annotations: { ...a.annotations }, startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(), endsAt: until, ...(link !== undefined ? { generatorURL: link } : {}) })
    }
  }

  /**
   * Delivers the queue, retrying while delivery fails retryably; gives up on the batch when it
   * is refused for good (a 4xx: the alerts are malformed for that receiver) or when `stopping`.
   */
  async flush (stopping: () => boolean, sleep: (ms: number) => Promise<void>): Promise<void> {
    while (this.#queue.length > 0 && !stopping()) {
      const batch = this.#queue.slice(0, PER_POST)
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#o.deliver(batch)
          this.sent += batch.length
          this.#queue.splice(0, batch.length)
          if (attempt > 1) this.#o.logger.info({ attempt }, 'alert delivery recovered')
          break
        } catch (err) {
          this.failures++
          const d = retryDecision(err, attempt, BACKOFF)
          this.lastError = { time: new Date(this.#o.clock.now()).toISOString(), message: `alert delivery: ${d.reason}` }
          if (!d.retry) {
            this.#o.logger.error({ err: d.reason, alerts: batch.length }, 'Alertmanager refused the alerts; dropping them')
            this.#queue.splice(0, batch.length)
            break
          }
          if (attempt === 1 || attempt % 10 === 0) this.#o.logger.warn({ attempt, retryInMs: d.afterMs, err: d.reason }, 'alert delivery failed; retrying (the owner does not snapshot meanwhile)')
          if (stopping()) return
          await sleep(d.afterMs)
          if (stopping()) return
        }
      }
    }
  }
}
