/**
 * The owner stage of a rules workload: a member of the `<name>.owners` group on the
 * contributions topic, so every contributions partition — and so every owner key — has one
 * owner at a time. For each assigned partition it rebuilds the state (owner-partition.ts),
 * applies contributions as they come, evaluates at the partition's low watermark (after each
 * batch and at least every TICK_MS), sends the changes to Alertmanager, and every
 * SNAPSHOT_EVERY_MS writes a snapshot and commits the offset it covers — never while an alert
 * change is undelivered, so a crash re-derives it.
 *
 * Hand-over: a new owner waits HANDOVER_MS before its first evaluation of a partition and then
 * looks whether the previous owner wrote a snapshot after the one it restored (the previous
 * owner writes one as it notices the partition is gone); if so it rebuilds from that, so what
 * the previous owner already sent (a resolved alert, a fired one) is not sent again.
 */
import type { GroupSubscription, KafkaClient } from '../../kafka/client.js'
import type { Clock, TimerHandle } from '../../shared/clock.js'
import type { Logger } from '../../shared/logger.js'
import type { RuleSet } from '../rule-set.js'
import type { AlertSender } from './alert-sender.js'
import { RESEND_MS } from './alert-sender.js'
import { openPartition, type OwnerPartition } from './owner-partition.js'
import { writeSnapshot } from './state-store.js'

export const SNAPSHOT_EVERY_MS = 1000
export const HANDOVER_MS = 1000
const FINAL_SNAPSHOT_MS = 2000
const TICK_MS = 100

export interface OwnerRoleOptions {
  kafka: KafkaClient
  rules: RuleSet
  names: { contributions: string, state: string, owners: string }
  partitions: number
  inputPartitions: number
  sender: AlertSender
  logger: Logger
  clock: Clock
  sleep: (ms: number) => Promise<void>
}

interface Held { part: OwnerPartition, openedAt: number, handedOver: boolean, snapshotAt: number }

export class OwnerRole {
  readonly #o: OwnerRoleOptions
  readonly #held = new Map<number, Held>()
  #sub: GroupSubscription | null = null
  #stopping = false
  #resentAt: number
  restores = 0
  rebuiltRecords = 0
  lastError: { time: string, message: string } | null = null

  constructor (o: OwnerRoleOptions) {
    this.#o = o
    this.#resentAt = o.clock.now()
  }

  /** The partitions held now, for status. */
  get parts (): OwnerPartition[] { return [...this.#held.values()].map(h => h.part) }

  async join (): Promise<void> {
    this.#sub = await this.#o.kafka.subscribe({ groupId: this.#o.names.owners, topics: [this.#o.names.contributions], startFrom: 'earliest' })
  }

  stop (): void { this.#stopping = true }
  #isStopping = (): boolean => this.#stopping

  async run (): Promise<void> {
    while (!this.#stopping && this.#sub !== null) {
      const batch = await this.#sub.nextBatch(5000, TICK_MS)
      await this.#reconcile()
      for (const r of batch) this.#held.get(r.partition)?.part.apply(r, 'live')
      await this.#evaluate()
      await this.#o.sender.flush(this.#isStopping, this.#o.sleep)
      await this.#snapshots(false)
    }
  }

  /**
   * On a graceful stop: the last snapshots (when every change was delivered; given up after
   * FINAL_SNAPSHOT_MS, a broker that is gone cannot take them), then leave the group.
   * `abort`: leave at once.
   */
  async close (timeoutMs?: number, abort = false): Promise<void> {
    if (!abort && this.#o.sender.pending === 0) {
      let timer: TimerHandle | undefined
      const gaveUp = new Promise<void>(resolve => { timer = this.#o.clock.setTimeout(resolve, FINAL_SNAPSHOT_MS) })
      await Promise.race([this.#snapshots(true).catch(err => this.#o.logger.warn({ err: (err as Error).message }, 'could not write the last rules snapshot')), gaveUp])
      this.#o.clock.clearTimeout(timer!)
    }
    await this.#sub?.close(timeoutMs)
  }

  #problem (message: string): void { this.lastError = { time: new Date(this.#o.clock.now()).toISOString(), message: message.slice(0, 1000) } }

  async #reconcile (): Promise<void> {
    const assigned = new Set(this.#sub!.assigned())
    for (const [q, h] of [...this.#held]) {
      if (assigned.has(q)) continue
      this.#held.delete(q)
      // The partition moved to another owner: leave it the freshest state there is.
      if (h.part.dirty && h.handedOver && this.#o.sender.pending === 0) {
        await writeSnapshot(this.#o.kafka, this.#o.names.state, h.part.snapshot(this.#o.clock.now())).catch(err => this.#problem(`snapshot of ${q} on hand-over: ${(err as Error).message}`))
      }
      this.#o.logger.info({ partition: q }, 'rules partition handed over')
    }
    const opening = [...assigned].filter(q => !this.#held.has(q))
    if (opening.length === 0) return
    const { contributions, owners } = this.#o.names
    const [committed, offsets] = await Promise.all([this.#o.kafka.committedOffsets(owners, contributions), this.#o.kafka.topicOffsets(contributions)])
    for (const q of opening) {
      const start = offsets?.find(p => p.partition === q)?.logStartOffset ?? 0
      const c = committed.get(q) ?? -1
      await this.#open(q, c >= 0 ? c : start)
    }
  }

  async #open (q: number, upTo: number): Promise<void> {
    const { part, restored, rebuilt } = await openPartition({
      kafka: this.#o.kafka,
      topics: this.#o.names,
      rules: this.#o.rules,
      partition: q,
      partitions: this.#o.partitions,
      inputPartitions: this.#o.inputPartitions,
      upTo,
      onSkip: reason => this.#problem(`unreadable contributions batch skipped: ${reason}`)
    })
    const now = this.#o.clock.now()
    this.#held.set(q, { part, openedAt: now, handedOver: false, snapshotAt: now })
    this.restores++
    this.rebuiltRecords += rebuilt
    this.#o.logger.info({ partition: q, snapshot: restored !== null, next: part.next, rebuiltRecords: rebuilt }, 'rules partition taken over')
  }

  async #evaluate (): Promise<void> {
    const now = this.#o.clock.now()
    for (const [q, h] of this.#held) {
      if (!h.handedOver) {
        if (now - h.openedAt < HANDOVER_MS) continue
        const end = (await this.#o.kafka.topicOffsets(this.#o.names.state))?.find(p => p.partition === q)?.endOffset ?? 0
        if (end > h.part.stateEnd) {
          this.#o.logger.info({ partition: q }, 'the previous owner wrote a later snapshot; rebuilding from it')
          await this.#open(q, h.part.next)
        }
        const fresh = this.#held.get(q)!
        fresh.handedOver = true
        // Alertmanager learns again what fires (it may have restarted too); the same labels merge.
        this.#o.sender.resend(fresh.part.stage.activeAlerts().map(a => a.alert))
      }
      const part = this.#held.get(q)!.part
      this.#o.sender.push(part.evaluate(), rule => this.#o.rules.get(rule)?.kind !== 'metric')
    }
    if (now - this.#resentAt >= RESEND_MS) {
      this.#resentAt = now
      for (const h of this.#held.values()) if (h.handedOver) this.#o.sender.resend(h.part.stage.activeAlerts().map(a => a.alert))
    }
  }

  /** Snapshot and commit each dirty partition at most every SNAPSHOT_EVERY_MS (or now, `all`). */
  async #snapshots (all: boolean): Promise<void> {
    if (this.#o.sender.pending > 0) return
    const now = this.#o.clock.now()
    const commits: { topic: string, partition: number, offset: number }[] = []
    for (const [q, h] of this.#held) {
      if (!h.handedOver || !h.part.dirty || (!all && now - h.snapshotAt < SNAPSHOT_EVERY_MS)) continue
      const s = h.part.snapshot(now)
      try {
        await writeSnapshot(this.#o.kafka, this.#o.names.state, s)
      } catch (err) {
        this.#problem(`snapshot of partition ${q}: ${(err as Error).message}`)
        continue
      }
      h.part.dirty = false
      h.snapshotAt = now
      commits.push({ topic: this.#o.names.contributions, partition: q, offset: s.next })
    }
    if (commits.length === 0) return
    try {
      await this.#sub!.commit(commits)
    } catch (err) {
      this.#o.logger.debug({ err: (err as Error).message }, 'owner commit refused (rebalance)')
    }
  }
}
