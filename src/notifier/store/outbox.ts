/**
 * Notifications decided but not yet delivered, kept on disk until a receiver accepts them (or
 * refuses them for good), so a restart forgets nothing.
 *
 * At most one notification is pending per receiver integration and group key: a newer one for
 * the same group replaces it, because it describes the group's current state. A receiver that
 * was down for ten minutes thus gets one up-to-date message per group, not one per interval.
 */
import path from 'node:path'
import type { Alert } from '../alert.js'
import type { LabelSet } from '../labels.js'
import type { NotifyReason } from '../decide.js'
import { JsonlFile } from './jsonl-file.js'

export interface QueuedNotification {
  /** Increases with every notification queued, across restarts. */
  readonly id: number
  /** `receiver/type/index`, e.g. `team-x/slack/0`. */
  readonly integration: string
  readonly receiver: string
  readonly groupKey: string
  readonly groupLabels: LabelSet
  readonly firing: readonly Alert[]
  /** Resolved alerts to show (empty when the integration does not send resolved). */
  readonly resolved: readonly Alert[]
  readonly reason: NotifyReason
  /** Firing alerts of the group not held one by one: over the per-alertname limit (storm control). */
  readonly limitedAlerts?: number
  /** What to write to the notification log once delivered. */
  readonly log: { at: number, firing: string[], resolved: string[] }
  /** How long the log entry is kept (twice repeat_interval, as Alertmanager does). */
  readonly logRetentionMs: number
  readonly queuedAt: number
}

export type Outcome = 'delivered' | 'failed'

type OutboxRecord =
  | { op: 'put', n: QueuedNotification }
  | { op: 'done', id: number, outcome: Outcome, reason?: string }

export class Outbox {
  readonly #pending = new Map<string, QueuedNotification>()
  readonly #file: JsonlFile<OutboxRecord>
  readonly #listeners = new Set<() => void>()
  #nextId = 1

  private constructor (file: JsonlFile<OutboxRecord>, records: OutboxRecord[]) {
    this.#file = file
    for (const r of records) this.#apply(r)
  }

  static open (dataDir: string): { outbox: Outbox, badLines: number[] } {
    const records: OutboxRecord[] = []
    const { log, report } = JsonlFile.open<OutboxRecord>(path.join(dataDir, 'outbox.jsonl'), r => records.push(r))
    return { outbox: new Outbox(log, records), badLines: report.badLines }
  }

  /** Queues a notification, replacing the pending one for the same integration and group. */
  put (n: Omit<QueuedNotification, 'id'>): QueuedNotification {
    const queued = { ...n, id: this.#nextId++ }
    this.#file.append({ op: 'put', n: queued })
    this.#apply({ op: 'put', n: queued })
    for (const listener of [...this.#listeners]) listener()
    return queued
  }

  /** Marks a notification finished; a newer one queued meanwhile for its group stays pending. */
  done (n: QueuedNotification, outcome: Outcome, reason?: string): void {
    const r: OutboxRecord = { op: 'done', id: n.id, outcome, reason }
    this.#file.append(r)
    this.#apply(r)
    this.#file.maybeCompact(() => [...this.#pending.values()].map(p => ({ op: 'put' as const, n: p })), this.#pending.size)
  }

  /** The pending notification for the same integration and group as `n` (n itself, or newer). */
  latest (n: Pick<QueuedNotification, 'integration' | 'groupKey'>): QueuedNotification | undefined {
    return this.#pending.get(key(n))
  }

  /** An integration's pending notifications, oldest first. */
  pendingFor (integration: string): QueuedNotification[] {
    return [...this.#pending.values()].filter(n => n.integration === integration).sort((a, b) => a.id - b.id)
  }

  get size (): number { return this.#pending.size }

  /** Calls `listener` after every `put`; returns the function that unsubscribes it. */
  onPut (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  close (): void { this.#file.close() }

  #apply (r: OutboxRecord): void {
    if (r.op === 'put') {
      this.#nextId = Math.max(this.#nextId, r.n.id + 1)
      this.#pending.set(key(r.n), r.n)
      return
    }
    for (const [k, n] of this.#pending) if (n.id === r.id) { this.#pending.delete(k); break }
  }
}

function key (n: Pick<QueuedNotification, 'integration' | 'groupKey'>): string {
  return JSON.stringify([n.integration, n.groupKey])
}
