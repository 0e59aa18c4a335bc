/**
 * The alerts the notifier has acknowledged, on disk. A client whose `POST /api/v2/alerts` was
 * answered 200 may forget the alert (Tidewatch replicas commit their offsets then), so the
 * notifier owns it: every accepted alert and every later change to it (a new endsAt, a resolve)
 * is appended to `alerts.jsonl` before the answer, and replayed on start, so the aggregation
 * groups come back and what was owed is still notified.
 *
 * Changes are staged with `put` while a request is processed (a body may hold the same alert
 * twice, and the second must see the first) and written with one `commit` before the answer.
 * The file is fdatasynced every `syncIntervalMs` (off the event loop) when anything was written:
 * an acknowledged alert survives the process dying in any way at once, and a power loss once
 * that interval has passed. Resolved alerts the dispatcher is done with are dropped (`drop`);
 * the file is compacted when dead lines outnumber live ones.
 */
import path from 'node:path'
import type { Alert } from '../alert.js'
import { JsonlFile } from './jsonl-file.js'

export interface StoredAlert {
  readonly alert: Alert
  /**
   * When this episode of the alert was first received (a re-post that merges keeps it, a new
   * episode resets it): a restored group's group_wait counts from its earliest alert.
   */
  readonly seenAt: number
  /** Over the per-alertname limit: counted in its groups' notifications, not held one by one. */
  readonly limited: boolean
}

type AlertRecord =
  | { op: 'put', alert: Alert, seenAt: number, limited?: true }
  | { op: 'drop', fingerprint: string }

export const ALERTS_SYNC_INTERVAL_MS = 1000

export class AlertStore {
  readonly #alerts = new Map<string, StoredAlert>()
  readonly #file: JsonlFile<AlertRecord>
  readonly #staged: AlertRecord[] = []
  readonly #syncTimer: NodeJS.Timeout

  private constructor (file: JsonlFile<AlertRecord>, records: AlertRecord[], syncIntervalMs: number) {
    this.#file = file
    // A record of the wrong shape (a file edited by hand) is skipped, never fatal.
    for (const r of records) if (r?.op === 'drop' ? typeof r.fingerprint === 'string' : typeof r?.alert?.fingerprint === 'string' && typeof r.alert.labels === 'object') this.#apply(r)
    this.#syncTimer = setInterval(() => { void this.#file.sync() }, syncIntervalMs)
    this.#syncTimer.unref()
  }

  static open (dataDir: string, syncIntervalMs = ALERTS_SYNC_INTERVAL_MS): { store: AlertStore, badLines: number[] } {
    const records: AlertRecord[] = []
    const { log, report } = JsonlFile.open<AlertRecord>(path.join(dataDir, 'alerts.jsonl'), r => records.push(r))
    return { store: new AlertStore(log, records, syncIntervalMs), badLines: report.badLines }
  }

  get (fingerprint: string): StoredAlert | undefined { return this.#alerts.get(fingerprint) }

  /** Alerts held one by one (not over the per-alertname limit). */
  * held (): IterableIterator<Alert> {
    for (const s of this.#alerts.values()) if (!s.limited) yield s.alert
  }

  /** Everything stored, in the order first seen (what a restart re-inserts). */
  list (): StoredAlert[] {
    return [...this.#alerts.values()].sort((a, b) => a.seenAt - b.seenAt)
  }

  get size (): number { return this.#alerts.size }

  /** Stages a new or changed alert: visible to `get` at once, on disk after `commit`. */
  put (s: StoredAlert): void {
    const r: AlertRecord = s.limited ? { op: 'put', alert: s.alert, seenAt: s.seenAt, limited: true } : { op: 'put', alert: s.alert, seenAt: s.seenAt }
    this.#staged.push(r)
    this.#apply(r)
  }

  /** Writes what was staged, in one write; throws (a full disk) so the request is not answered 200. */
  commit (): void {
    if (this.#staged.length === 0) return
    const records = this.#staged.splice(0)
    this.#file.appendMany(records)
    this.#file.maybeCompact(() => this.#liveRecords(), this.#alerts.size)
  }

  /** Forgets alerts for good (resolved, and no group holds them any more). */
  drop (fingerprints: readonly string[]): void {
    const records: AlertRecord[] = fingerprints.filter(fp => this.#alerts.has(fp)).map(fingerprint => ({ op: 'drop', fingerprint }))
    for (const r of records) this.#apply(r)
    this.#staged.push(...records)
    this.commit()
  }

  close (): void {
    clearInterval(this.#syncTimer)
    this.#file.close()
  }

  #liveRecords (): AlertRecord[] {
    return [...this.#alerts.values()].map(s => s.limited ? { op: 'put', alert: s.alert, seenAt: s.seenAt, limited: true } : { op: 'put', alert: s.alert, seenAt: s.seenAt })
  }

  #apply (r: AlertRecord): void {
    if (r.op === 'drop') { this.#alerts.delete(r.fingerprint); return }
    this.#alerts.set(r.alert.fingerprint, { alert: r.alert, seenAt: r.seenAt, limited: r.limited === true })
  }
}
