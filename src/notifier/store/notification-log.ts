/**
 * The notification log: per receiver integration and group key, what the last delivered
 * notification said (firing and resolved fingerprints) and when. The dedup stage reads it; the
 * record stage writes it after a delivery succeeds. Kept on disk so a restart does not re-send
 * what was delivered.
 */
import path from 'node:path'
import type { NotificationLogEntry } from '../decide.js'
import { JsonlFile } from './jsonl-file.js'

interface LogRecord { integration: string, groupKey: string, at: number, firing: string[], resolved: string[], expiresAt: number }

export class NotificationLog {
  readonly #entries = new Map<string, LogRecord>()
  readonly #file: JsonlFile<LogRecord>

  private constructor (file: JsonlFile<LogRecord>, records: LogRecord[]) {
    this.#file = file
    for (const r of records) this.#keep(r)
  }

  static open (dataDir: string): { log: NotificationLog, badLines: number[] } {
    const records: LogRecord[] = []
    const { log, report } = JsonlFile.open<LogRecord>(path.join(dataDir, 'nflog.jsonl'), r => records.push(r))
    return { log: new NotificationLog(log, records), badLines: report.badLines }
  }

  get (integration: string, groupKey: string, now: number): NotificationLogEntry | undefined {
    const r = this.#entries.get(key(integration, groupKey))
    if (r === undefined || r.expiresAt <= now) return undefined
    return { at: r.at, firing: new Set(r.firing), resolved: new Set(r.resolved) }
  }

  /**
   * Records a notification. An entry older than the one held is ignored: a delivery that
   * finishes late must not overwrite what a later decision already logged.
   */
  record (integration: string, groupKey: string, entry: NotificationLogEntry, expiresAt: number): boolean {
    const r: LogRecord = { integration, groupKey, at: entry.at, firing: [...entry.firing], resolved: [...entry.resolved], expiresAt }
    if (!this.#keep(r)) return false
    this.#file.append(r)
    this.#file.maybeCompact(() => [...this.#entries.values()], this.#entries.size)
    return true
  }

  /** Forgets expired entries (and drops them from disk at the next compaction). */
  gc (now: number): number {
    let n = 0
    for (const [k, r] of this.#entries) if (r.expiresAt <= now) { this.#entries.delete(k); n++ }
    return n
  }

  get size (): number { return this.#entries.size }

  close (): void { this.#file.close() }

  #keep (r: LogRecord): boolean {
    const k = key(r.integration, r.groupKey)
    const held = this.#entries.get(k)
    if (held !== undefined && held.at > r.at) return false
    this.#entries.set(k, r)
    return true
  }
}

function key (integration: string, groupKey: string): string {
  return JSON.stringify([integration, groupKey])
}
