/**
 * The record stage of a rules workload: a member of the workload's consumer group on its input
 * topic. The consumer runs the rule set's raw-bytes prefilter on the fetched bytes
 * (RecordStage.valueFilter), so records no rule can match never become objects; their offsets
 * and times still count for commits and markers. Per batch: every record that passed through
 * RecordStage, each contribution routed to the contributions partition of its owner key,
 * progress markers for every assigned input partition appended, all produced (acks=all,
 * idempotent) and only then the input offsets committed. A
 * crash or rebalance re-reads from the last commit and sends those contributions again; owners
 * drop them by their source offset, so every record counts once.
 *
 * A marker says "input partition p has been read up to time ts": the latest Kafka timestamp read
 * (capped at this process's clock, so a producer whose clock runs ahead cannot drag evaluation
 * into the future), or, for a partition read to its end, the time that was checked. A quiet
 * partition therefore keeps moving the owners' low watermark along the wall clock, and only a
 * partition with unread records holds it back.
 */
import type { GroupSubscription, KafkaClient, KafkaRecord, OutgoingRecord, Polled } from '../../kafka/client.js'
import type { Clock } from '../../shared/clock.js'
import type { Logger } from '../../shared/logger.js'
import type { Contribution, RecordStage } from '../record-stage.js'
import type { RuleSet } from '../rule-set.js'
import { encodePacked, ownerPartition, type Marker } from './messages.js'
import { produceBounded } from './state-store.js'

// Records per input batch: each batch costs one produce (acks=all) and one commit, which a
// function replica pays only per batch of records that passed its prefilter; 10,000 records of
// a few hundred bytes are a few MB and ~50 ms of record stage, far inside the 1 s alert goal.
const MAX_BATCH = 10_000
/** How long a read waits for records before markers go out anyway. */
export const TICK_MS = 100
/** How often end offsets are read to tell which partitions have been read to their end. */
const IDLE_CHECK_MS = 200
const PRODUCE_BACKOFF = { initialMs: 100, maxMs: 5000 }

export interface InputRoleOptions {
  kafka: KafkaClient
  stage: RecordStage
  rules: RuleSet
  topic: string
  group: string
  startFrom: 'earliest' | 'latest'
  contributions: { topic: string, partitions: number }
  logger: Logger
  clock: Clock
  sleep: (ms: number) => Promise<void>
}

export interface InputStats {
  /** Records read, those the prefilter skipped in the consumer included. */
  records: number
  contributions: number
  batches: number
  undecodableBatches: number
  lastError: { time: string, message: string } | null
}

/** Where a batch leaves a partition: the offset after what was looked at, and the latest record time before it (-1: none). */
type Position = Polled['positions'][number]

export class InputRole {
  readonly stats: InputStats = { records: 0, contributions: 0, batches: 0, undecodableBatches: 0, lastError: null }
  readonly #o: InputRoleOptions
  readonly #filter: ReturnType<RecordStage['valueFilter']>
  /** Owner key → contributions partition: a pod's records share their key string (RuleSet.ownerKey), whose hash V8 keeps. */
  readonly #owners = new Map<string, number>()
  #sub: GroupSubscription | null = null
  /** Per assigned partition: the latest record time read and the next offset. */
  readonly #progress = new Map<number, { ts: number, next: number }>()
  /** Partitions read to their end at the last check, with the time of that check. */
  #idle = new Map<number, number>()
  #lastIdleCheck = -Infinity
  #stopping = false
  /**
   * The previous batch's produce and commit, still travelling while this batch is read and run
   * through the record stage. Awaited before the next one starts, so contributions and markers
   * reach each owner partition in read order and commits stay in order; a failure surfaces a
   * batch later at most (that batch uncommitted, read again by the partition's next reader).
   */
  #sending: Promise<void> = Promise.resolve()

  constructor (o: InputRoleOptions) {
    this.#o = o
    this.#filter = o.stage.valueFilter()
  }

  async join (): Promise<void> {
    const { kafka, topic, group, startFrom } = this.#o
    this.#sub = await kafka.subscribe({ groupId: group, topics: [topic], startFrom })
  }

  stop (): void { this.#stopping = true }

  async close (timeoutMs?: number): Promise<void> {
    // The last batch's commit goes out before leaving the group (a failed one means redelivery).
    await this.#sending.catch(() => {})
    await this.#sub?.close(timeoutMs)
  }

  #problem (message: string): void { this.stats.lastError = { time: new Date(this.#o.clock.now()).toISOString(), message: message.slice(0, 1000) } }

  async run (): Promise<void> {
    while (!this.#stopping && this.#sub !== null) {
      let polled: Polled
      try {
        polled = await this.#sub.nextPoll({ maxRecords: MAX_BATCH, maxWaitMs: TICK_MS, filter: this.#filter })
      } catch (err) {
        if (this.#stopping) break
        await this.#recover(err as Error)
        continue
      }
      if (this.#stopping) break
      await this.#step(polled.records, polled.positions, polled.scanned)
    }
    await this.#sending
  }

  /** `batch`: the records that passed the prefilter; `positions`: where the batch leaves each partition it read. */
  async #step (batch: KafkaRecord[], positions: Position[], scanned: number): Promise<void> {
    const { stage, rules, contributions, topic } = this.#o
    const sub = this.#sub!
    const now = this.#o.clock.now()
    const assigned = new Set(sub.assigned())
    for (const p of this.#progress.keys()) if (!assigned.has(p)) this.#progress.delete(p)
    const buckets: Contribution[][] = Array.from({ length: contributions.partitions }, () => [])
    for (const r of batch) {
      // Left over from before a rebalance: the partition's new reader reads it again.
      if (!assigned.has(r.partition)) continue
      for (const c of stage.process(r)) buckets[this.#ownerOf(rules.ownerKey(c))].push(c)
    }
    const commits = new Map<number, number>()
    for (const p of positions) {
      if (!assigned.has(p.partition)) continue
      const prev = this.#progress.get(p.partition)
      this.#progress.set(p.partition, { ts: Math.max(prev?.ts ?? -1, Math.min(p.maxTimestamp, now)), next: p.offset })
      this.#idle.delete(p.partition)
      commits.set(p.partition, p.offset)
    }
    await this.#checkIdle(assigned, now)
    const markers: Marker[] = [...assigned].map(p => {
      const idleAt = this.#idle.get(p)
      return idleAt !== undefined ? { partition: p, ts: idleAt, idle: true } : { partition: p, ts: this.#progress.get(p)?.ts ?? -1, idle: false }
    })
    const out: OutgoingRecord[] = []
    let sent = 0
    buckets.forEach((cs, q) => {
      if (cs.length === 0 && markers.length === 0) return
      sent += cs.length
      for (const m of encodePacked(topic, cs, markers)) out.push({ topic: contributions.topic, partition: q, value: m.value, timestamp: m.maxTs })
    })
    await this.#sending
    this.#sending = this.#send(out, commits)
    this.#sending.catch(() => {})
    this.stats.records += scanned
    this.stats.contributions += sent
    if (scanned > 0) this.stats.batches++
  }

  #ownerOf (key: string): number {
    let q = this.#owners.get(key)
    if (q === undefined) {
      if (this.#owners.size >= 100_000) this.#owners.clear()
      this.#owners.set(key, q = ownerPartition(key, this.#o.contributions.partitions))
    }
    return q
  }

  /** Produces a batch's contributions and markers until acknowledged, then commits its input offsets. */
  async #send (out: OutgoingRecord[], commits: Map<number, number>): Promise<void> {
    await this.#produce(out)
    if (commits.size === 0) return
    try {
      await this.#sub!.commit([...commits].map(([partition, offset]) => ({ topic: this.#o.topic, partition, offset })))
    } catch (err) {
      // A rebalance took the partitions: their next reader re-reads from the last commit.
      this.#o.logger.debug({ err: (err as Error).message }, 'input commit refused (rebalance); the records are read again by their next member')
    }
  }

  /** Which assigned partitions have been read to their end (nothing read yet: the fetch position counts). */
  async #checkIdle (assigned: Set<number>, now: number): Promise<void> {
    if (now - this.#lastIdleCheck < IDLE_CHECK_MS) return
    this.#lastIdleCheck = now
    let ends: number[]
    try {
      ends = await this.#o.kafka.endOffsets(this.#o.topic)
    } catch {
      return
    }
    const positions = new Map(this.#sub!.positions().map(p => [p.partition, p.offset]))
    for (const p of assigned) {
      const next = this.#progress.get(p)?.next ?? positions.get(p)
      if (next !== undefined && next >= (ends[p] ?? Infinity)) this.#idle.set(p, now)
      else this.#idle.delete(p)
    }
    for (const p of this.#idle.keys()) if (!assigned.has(p)) this.#idle.delete(p)
  }

  /** Produces until acknowledged; a stop request abandons the batch (uncommitted, so it is read again). */
  async #produce (records: OutgoingRecord[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await produceBounded(this.#o.kafka, records)
        return
      } catch (err) {
        this.#problem(`producing contributions: ${(err as Error).message}`)
        if (attempt >= 20 || this.#stopping) throw err
        this.#o.logger.warn({ attempt, err: (err as Error).message }, 'producing contributions failed; retrying (the input batch stays uncommitted)')
        await this.#o.sleep(Math.min(PRODUCE_BACKOFF.maxMs, PRODUCE_BACKOFF.initialMs * 2 ** (attempt - 1)))
      }
    }
  }

  /**
   * The consumer failed (a Fetch response it cannot parse, most often a batch it cannot
   * decode): the assigned partitions are read with Tidewatch's own codec from where it stopped,
   * an undecodable batch is skipped (counted and reported: it holds no readable record), and a
   * new consumer takes over. Nothing to get past: the failure is rethrown and the replica restarts.
   */
  async #recover (failure: Error): Promise<void> {
    const sub = this.#sub!
    this.#problem(failure.message)
    this.#o.logger.error({ err: failure.message }, 'the input consumer failed; reading its partitions from where it stopped')
    const readings = await this.#o.kafka.readFrom(sub.topic, sub.positions(), { maxBytesPerPartition: 1024 * 1024 })
    const moved = readings.filter(r => r.next > r.from)
    if (moved.length === 0) throw failure
    for (const r of readings) {
      if (r.unreadable === null) continue
      this.stats.undecodableBatches++
      this.#problem(`undecodable batch ${r.unreadable.topic}/${r.unreadable.partition}/${r.unreadable.baseOffset}-${r.unreadable.lastOffset} skipped: ${r.unreadable.reason}`)
    }
    const latest = (records: KafkaRecord[]): number => records.reduce((t, r) => Math.max(t, r.timestamp), -1)
    await this.#step(readings.flatMap(r => r.records), moved.map(r => ({ partition: r.partition, offset: r.next, maxTimestamp: latest(r.records) })), readings.reduce((n, r) => n + r.records.length, 0))
    await this.#sending
    await sub.close()
    if (this.#stopping) { this.#sub = null; return }
    await this.join()
  }
}
