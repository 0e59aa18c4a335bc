// A consumer-group membership that hands out records in batches and commits explicitly, on
// Tidewatch's own Kafka codec: GroupMember (join, heartbeats, commits), Fetcher (Fetch from each
// leader, ahead of the caller) and ChunkReader (batches walked in place, the value filter applied
// before any record object exists). The embedded broker and a real cluster take the same path.
import type { Logger } from '../shared/logger.js'
import type { KafkaRecord } from './client.js'
import { Cluster } from './cluster.js'
import type { ConnectionOptions } from './connection.js'
import { GroupMember, RebalanceNeeded, type Assignment } from './group-member.js'
import { Fetcher, type Chunk } from './fetcher.js'
import { ChunkReader, type UnreadableBatch, type ValueFilter } from './batch-reader.js'
import { commitDecision } from './decisions.js'
import { prepareZstd } from '../protocol/record-batch/index.js'

/** The consumer failed or ended; the subscription cannot hand out more records. */
export class StreamFailure extends Error {
  override name = 'StreamFailure'
}

export interface SubscribeOptions {
  groupId: string
  topics: string[]
  startFrom: 'earliest' | 'latest'
  sessionTimeoutMs?: number
  log?: Logger
}

/** Limits of one subscription (defaults in docs/architecture.md, "Consumption"). */
export const CONSUMER_DEFAULTS = {
  heartbeatIntervalMs: 300,
  rebalanceTimeoutMs: 30_000,
  maxWaitMs: 500,
  fetchMaxBytes: 4 * 1024 * 1024,
  partitionMaxBytes: 1024 * 1024,
  maxBufferedBytes: 8 * 1024 * 1024,
  unreachableMs: 15_000
}

export interface PollOptions {
  maxRecords: number
  maxWaitMs: number
  /** Only records whose value contains every one of these are returned (the others are skipped). */
  needles?: Buffer[] | null
  /** Only records whose value this wants are returned, too (batch-reader.ts). */
  filter?: ValueFilter | null
}

export interface Polled {
  records: KafkaRecord[]
  /**
   * Per partition this poll covered: the offset after everything it looked at — what to commit —
   * and the latest timestamp of the records before that offset this poll handed out or, once it
   * handed out the rest of their batches, filtered out (-1: none).
   */
  positions: { partition: number, offset: number, maxTimestamp: number }[]
  /** Batches that cannot be read, each stepped over (its partition's position is past it). */
  unreadable: UnreadableBatch[]
  /** Records looked at, filtered out ones included. */
  scanned: number
  /** Bytes of fetched batches this poll read, and of decompressed records it holds (memory in use). */
  fetchedBytes: number
  decompressedBytes: number
}

interface Current { chunk: Chunk, reader: ChunkReader, records: KafkaRecord[], head: number, next: number, maxTimestamp: number }

export class GroupSubscription {
  readonly topic: string
  readonly #cluster: Cluster
  readonly #member: GroupMember
  readonly #fetcher: Fetcher
  readonly #log: Logger | undefined
  #assigned = new Set<number>()
  #current: Current | null = null
  #failure: Error | null = null
  #closing: Promise<void> | null = null
  readonly stats = { resets: 0, rebalances: 0, refusedCommits: 0 }

  private constructor (cluster: Cluster, opts: SubscribeOptions) {
    this.topic = opts.topics[0]
    this.#cluster = cluster
    this.#log = opts.log
    // Compiled while the member joins, so that no zstd batch is read by the slow fallback.
    prepareZstd()
    const d = CONSUMER_DEFAULTS
    this.#fetcher = new Fetcher(cluster, {
      topic: this.topic,
      startFrom: opts.startFrom,
      maxWaitMs: d.maxWaitMs,
      maxBytes: d.fetchMaxBytes,
      partitionMaxBytes: d.partitionMaxBytes,
      maxBufferedBytes: d.maxBufferedBytes,
      unreachableMs: d.unreachableMs,
      onReset: (partition, from, to, reason) => {
        if (from < 0) return
        this.stats.resets++
        this.#log?.warn({ topic: this.topic, partition, position: from, reason }, 'position outside the log (records deleted?); continuing from the function\'s startFrom')
      }
    })
    this.#member = new GroupMember(cluster, {
      groupId: opts.groupId,
      topics: [this.topic],
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: d.rebalanceTimeoutMs,
      heartbeatIntervalMs: d.heartbeatIntervalMs,
      unreachableMs: d.unreachableMs
    }, a => this.#assign(a), err => { this.#failure ??= err })
  }

  /**
   * Joins the group; resolves once this member has its first assignment. `connection` is what
   * every socket of this subscription is opened with (connection.ts).
   */
  static async open (bootstrap: string[], connection: ConnectionOptions, opts: SubscribeOptions): Promise<GroupSubscription> {
    const cluster = new Cluster(bootstrap, connection)
    const sub = new GroupSubscription(cluster, opts)
    try {
      await cluster.refreshMetadata([sub.topic])
      await sub.#member.join()
    } catch (err) {
      sub.#fetcher.close()
      cluster.close()
      throw err
    }
    return sub
  }

  #assign (a: Assignment): void {
    this.stats.rebalances++
    const mine = new Set(a.partitions.get(this.topic) ?? [])
    for (const p of [...this.#fetcher.partitions.keys()]) if (!a.continuous || !mine.has(p)) this.#fetcher.remove(p)
    if (this.#current !== null && this.#fetcher.partitions.get(this.#current.chunk.partition) !== this.#current.chunk.state) this.#current = null
    this.#assigned = mine
    const added = [...mine].filter(p => !this.#fetcher.partitions.has(p))
    this.#log?.info({ topic: this.topic, generation: a.generationId, partitions: [...mine], kept: a.continuous }, 'partitions assigned')
    if (added.length > 0) this.#start(added).catch(err => { this.#failure ??= err as Error })
  }

  /** Starts fetching newly assigned partitions at the group's committed offsets (else startFrom). */
  async #start (partitions: number[]): Promise<void> {
    const committed = await this.#member.committed(this.topic, partitions)
    for (const p of partitions) {
      if (!this.#assigned.has(p) || this.#fetcher.partitions.has(p)) continue
      this.#fetcher.add(p, committed.get(p) ?? -1)
    }
  }

  get #ended (): Error | null { return this.#failure ?? this.#fetcher.failure }

  /**
   * The next records (up to `maxRecords` that pass the filter), or none after `maxWaitMs` without
   * data. Throws StreamFailure once the consumer has failed and nothing fetched is left.
   */
  async poll (o: PollOptions): Promise<Polled> {
    if (this.#current === null && !this.#fetcher.hasData && this.#ended === null) await this.#fetcher.wait(o.maxWaitMs)
    const out: Polled = { records: [], positions: [], unreadable: [], scanned: 0, fetchedBytes: 0, decompressedBytes: 0 }
    const positions = new Map<number, { offset: number, maxTimestamp: number }>()
    while (out.records.length < o.maxRecords) {
      if (this.#current === null) {
        const chunk = this.#fetcher.take()
        if (chunk === undefined) break
        if (this.#fetcher.partitions.get(chunk.partition) !== chunk.state) continue
        out.fetchedBytes += chunk.data.length
        const reader = new ChunkReader(this.topic, chunk.partition, chunk.from, chunk.data, o.needles ?? null, chunk.aborted, o.filter ?? null)
        this.#current = { chunk, reader, records: [], head: 0, next: chunk.from, maxTimestamp: -1 }
      }
      const c = this.#current
      if (c.head === c.records.length && !c.reader.done) {
        // Only as many batches as this poll still has room for are decompressed now.
        const reading = c.reader.read(o.maxRecords - out.records.length)
        out.scanned += reading.scanned
        out.decompressedBytes += reading.decompressedBytes
        if (reading.unreadable !== null) {
          out.unreadable.push(reading.unreadable)
          this.#fetcher.seek(c.chunk.partition, reading.next)
        }
        c.records = reading.records
        c.head = 0
        c.next = reading.next
        c.maxTimestamp = reading.maxTimestamp
      }
      const n = Math.min(o.maxRecords - out.records.length, c.records.length - c.head)
      const seen = positions.get(c.chunk.partition) ?? { offset: -1, maxTimestamp: -1 }
      for (let i = 0; i < n; i++) {
        const r = c.records[c.head + i]
        out.records.push(r)
        if (r.timestamp > seen.maxTimestamp) seen.maxTimestamp = r.timestamp
      }
      c.head += n
      const whole = c.head === c.records.length
      // All of what was read is handed out: the filtered out records' times count too.
      if (whole && c.maxTimestamp > seen.maxTimestamp) seen.maxTimestamp = c.maxTimestamp
      const position = whole ? c.next : c.records[c.head - 1].offset + 1
      seen.offset = position
      positions.set(c.chunk.partition, seen)
      c.chunk.state.ownership.handedOutUpTo = position
      if (c.head === c.records.length && c.reader.done) this.#current = null
    }
    out.positions = [...positions].map(([partition, p]) => ({ partition, offset: p.offset, maxTimestamp: p.maxTimestamp }))
    if (out.records.length === 0 && out.positions.length === 0 && out.unreadable.length === 0 && this.#closing === null) {
      const ended = this.#ended
      if (ended !== null) throw new StreamFailure(`the consumer stopped: ${ended.message}`, { cause: ended })
    }
    return out
  }

  /**
   * Resolves with the next records (at least one), or an empty batch after `maxWaitMs` of
   * silence. Throws StreamFailure once nothing is left and the consumer has failed, or after the
   * records before a batch that cannot be read (positions() then points at that batch).
   */
  async nextBatch (maxRecords: number, maxWaitMs: number): Promise<KafkaRecord[]> {
    return (await this.nextPoll({ maxRecords, maxWaitMs })).records
  }

  /**
   * nextBatch with the poll's filters and what it reports: records, and per partition where it
   * stopped looking (the unreadable batch's partition: before that batch).
   */
  async nextPoll (o: PollOptions): Promise<Polled> {
    const polled = await this.poll(o)
    const bad = polled.unreadable[0]
    if (bad !== undefined) {
      const state = this.#fetcher.partitions.get(bad.partition)
      if (state !== undefined) state.ownership.handedOutUpTo = bad.baseOffset
      for (const p of polled.positions) if (p.partition === bad.partition) p.offset = Math.min(p.offset, bad.baseOffset)
      this.#failure ??= new Error(`undecodable batch ${bad.topic}/${bad.partition}/${bad.baseOffset}-${bad.lastOffset}: ${bad.reason}`)
      this.#fetcher.close()
    }
    return polled
  }

  /** Where each partition assigned to this member is read from next, after what was handed out. */
  /** The partitions of the topic this member is assigned now (they change with every rebalance). */
  assigned (): number[] {
    return [...this.#assigned].sort((a, b) => a - b)
  }

  positions (): { partition: number, offset: number }[] {
    return [...this.#fetcher.partitions.values()].filter(s => s.ownership.handedOutUpTo >= 0).map(s => ({ partition: s.partition, offset: s.ownership.handedOutUpTo }))
  }

  /**
   * Commits, per partition, the offset after the last record processed — for the partitions
   * this member still owns (and only within what it handed out since it owns them). Commits for
   * revoked partitions are dropped: their new owner starts from the last commit. Returns the
   * partitions whose commit was dropped, with why.
   */
  async commit (offsets: { topic: string, partition: number, offset: number }[]): Promise<{ partition: number, reason: string }[]> {
    const wanted = new Map<number, number>()
    for (const o of offsets) if (o.topic === this.topic) wanted.set(o.partition, Math.max(wanted.get(o.partition) ?? -1, o.offset))
    for (let attempt = 1; ; attempt++) {
      await this.#member.settled()
      const identity = this.#member.identity
      const allowed: { partition: number, offset: number }[] = []
      const refused: { partition: number, reason: string }[] = []
      for (const [partition, offset] of wanted) {
        const d = commitDecision(this.#fetcher.partitions.get(partition)?.ownership, offset)
        if (d.commit) allowed.push({ partition, offset })
        else refused.push({ partition, reason: d.reason })
      }
      this.stats.refusedCommits += refused.length
      if (refused.length > 0) this.#log?.info({ topic: this.topic, refused }, 'commits dropped for partitions this member no longer owns')
      if (allowed.length === 0) return refused
      try {
        await this.#member.commit(this.topic, allowed, identity)
        return refused
      } catch (err) {
        if (!(err instanceof RebalanceNeeded) || attempt >= 5) throw err
      }
    }
  }

  /** Bytes of fetched responses waiting to be handed out, now and at most. */
  get memory (): { bufferedBytes: number, peakBufferedBytes: number } {
    return { bufferedBytes: this.#fetcher.bufferedBytes, peakBufferedBytes: this.#fetcher.peakBufferedBytes }
  }

  /**
   * Stops fetching and leaves the group. Gives up after `timeoutMs` (a broker that is gone would
   * otherwise hold it): the group then drops this member when its session times out.
   */
  async close (timeoutMs = 5000): Promise<void> {
    this.#closing ??= (async () => {
      this.#fetcher.close()
      await this.#member.leave().catch(() => {})
    })()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#closing, new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
    this.#cluster.close()
  }
}
