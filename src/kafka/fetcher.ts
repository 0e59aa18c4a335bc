// Fetching the partitions assigned to this member from each one's leader, ahead of the caller:
// one Fetch in flight per leader, for every partition it leads (a partition whose data waits is
// asked for its next records too: leaving it out would let a Fetch of idle partitions, which the
// broker holds for maxWaitMs, delay it), and no new Fetch while `maxBufferedBytes` of responses
// wait — so memory is bounded by a few responses.
// Errors are handled per partition (fetchErrorAction): a leader that moved means fresh metadata
// and a Fetch to the new leader; a position outside the log restarts at the function's startFrom.
import { errorCodeName } from '../protocol/error-codes.js'
import { batchSizeAt, readBatchInfo } from '../protocol/record-batch/index.js'
import type { FetchResponse } from '../protocol/generated/fetch-response.js'
import type { ListOffsetsResponse } from '../protocol/generated/list-offsets-response.js'
import type { Cluster } from './cluster.js'
import { fetchErrorAction, type Ownership } from './decisions.js'
import type { AbortedTransaction } from './batch-reader.js'
import { FETCH_VERSIONS, LIST_OFFSETS_VERSIONS, fetchBody, listOffsetsBody } from './requests.js'
import { SecurityError } from './sasl.js'

const FETCH = 1
const LIST_OFFSETS = 2
const EMPTY = Buffer.alloc(0)

export interface FetchOptions {
  topic: string
  startFrom: 'earliest' | 'latest'
  /** How long a broker may hold a Fetch while it has no new records. */
  maxWaitMs: number
  /** Size cap of one Fetch response, and of one partition's part of it. */
  maxBytes: number
  partitionMaxBytes: number
  /** No Fetch is sent while this many bytes of responses wait to be handed out. */
  maxBufferedBytes: number
  /** The consumer fails when no broker has answered for this long (the replica is restarted). */
  unreachableMs: number
  onReset?: (partition: number, from: number, to: number, reason: string) => void
}

/** One partition's whole batches from one Fetch, from `from` (records before it are skipped). */
export interface Chunk {
  partition: number
  from: number
  /** The offset after the last complete batch: where the next Fetch of the partition starts. */
  end: number
  data: Buffer
  aborted: AbortedTransaction[] | null
  state: PartitionState
}

/** A partition while it is assigned to this member. */
export interface PartitionState {
  partition: number
  /** Next offset to fetch; -1 until known (committed offset or startFrom). */
  fetchAt: number
  ownership: Ownership
  retryAt: number
  failures: number
  /** The position was outside the log (records deleted under the consumer): being reset. */
  outOfRange: boolean
}

export class Fetcher {
  readonly #cluster: Cluster
  readonly #o: FetchOptions
  readonly partitions = new Map<number, PartitionState>()
  readonly #ready: Chunk[] = []
  readonly #inFlight = new Set<number>()
  #bufferedBytes = 0
  #refreshing: Promise<void> | null = null
  #resetting = false
  #rotation = 0
  #timer: NodeJS.Timeout | null = null
  #waiter: (() => void) | null = null
  #closed = false
  failure: Error | null = null
  peakBufferedBytes = 0

  constructor (cluster: Cluster, opts: FetchOptions) {
    this.#cluster = cluster
    this.#o = opts
  }

  get bufferedBytes (): number { return this.#bufferedBytes }

  /** Starts tracking `partition` at `offset` (-1: start at startFrom). */
  add (partition: number, offset: number): void {
    this.partitions.set(partition, { partition, fetchAt: offset, ownership: { startedAt: offset, handedOutUpTo: offset }, retryAt: 0, failures: 0, outOfRange: false })
    this.pump()
  }

  /** Stops tracking `partition`: its waiting data and any answer in flight are dropped. */
  remove (partition: number): void {
    this.partitions.delete(partition)
    for (let i = this.#ready.length - 1; i >= 0; i--) {
      if (this.#ready[i].partition === partition) { this.#bufferedBytes -= this.#ready[i].data.length; this.#ready.splice(i, 1) }
    }
  }

  /** Moves `partition`'s next Fetch to `offset`, dropping what was fetched past it. */
  seek (partition: number, offset: number): void {
    const state = this.partitions.get(partition)
    if (state === undefined) return
    this.remove(partition)
    this.partitions.set(partition, { ...state, fetchAt: offset })
    this.pump()
  }

  /** The next fetched chunk, oldest first. */
  take (): Chunk | undefined {
    const chunk = this.#ready.shift()
    if (chunk === undefined) return undefined
    this.#bufferedBytes -= chunk.data.length
    this.pump()
    return chunk
  }

  get hasData (): boolean { return this.#ready.length > 0 }

  /** Resolves when a chunk is ready, the fetcher failed, or `ms` passed. */
  async wait (ms: number): Promise<void> {
    if (this.#ready.length > 0 || this.failure !== null) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { this.#waiter = null; resolve() }, ms)
      this.#waiter = () => { clearTimeout(timer); this.#waiter = null; resolve() }
    })
  }

  #wake (): void { this.#waiter?.() }

  close (): void {
    this.#closed = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#wake()
  }

  #queue (chunk: Chunk): void {
    this.#ready.push(chunk)
    this.#bufferedBytes += chunk.data.length
    this.peakBufferedBytes = Math.max(this.peakBufferedBytes, this.#bufferedBytes)
    this.#wake()
  }

  #fail (err: Error): void {
    this.failure ??= err
    this.#wake()
  }

  /** Sends what can be sent now: resets, then one Fetch per leader without one in flight. */
  pump (): void {
    if (this.#closed || this.failure !== null) return
    if (!this.#cluster.reachable(this.#o.unreachableMs)) {
      this.#fail(new Error(`no broker answered for ${this.#o.unreachableMs} ms`))
      return
    }
    const now = Date.now()
    const layout = this.#cluster.partitions(this.#o.topic)
    if (layout === undefined) { this.#refresh(); return }
    if (!this.#resetting && [...this.partitions.values()].some(s => s.fetchAt < 0 && s.retryAt <= now)) this.#reset().catch(() => {})
    if (this.#bufferedBytes >= this.#o.maxBufferedBytes) return
    const byLeader = new Map<number, PartitionState[]>()
    let nextRetry = Infinity
    for (const s of this.partitions.values()) {
      if (s.fetchAt < 0) continue
      if (s.retryAt > now) { nextRetry = Math.min(nextRetry, s.retryAt); continue }
      const leader = layout[s.partition]?.leader ?? -1
      if (leader < 0) { this.#refresh(); continue }
      if (this.#inFlight.has(leader)) continue
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), s])
    }
    for (const [leader, states] of byLeader) this.#fetch(leader, states)
    if (nextRetry < Infinity && this.#timer === null) {
      this.#timer = setTimeout(() => { this.#timer = null; this.pump() }, Math.max(1, nextRetry - now))
    }
  }

  #refresh (): void {
    this.#refreshing ??= this.#cluster.refreshMetadata([this.#o.topic])
      .catch(() => {})
      .finally(() => {
        this.#refreshing = null
        if (this.#timer === null) this.#timer = setTimeout(() => { this.#timer = null; this.pump() }, 100)
      })
  }

  #backoff (s: PartitionState): void {
    s.failures++
    s.retryAt = Date.now() + Math.min(2000, 50 * 2 ** Math.min(s.failures, 6))
  }

  #fetch (leader: number, states: PartitionState[]): void {
    this.#inFlight.add(leader)
    // Rotated, so that a response filled by its first partitions favours none for long.
    const turn = this.#rotation++ % states.length
    const order = [...states.slice(turn), ...states.slice(0, turn)]
    const requested = order.map(s => ({ state: s, offset: s.fetchAt }))
    const layout = this.#cluster.partitions(this.#o.topic) ?? []
    this.#cluster.request(leader, FETCH, FETCH_VERSIONS[0], FETCH_VERSIONS[1], () => fetchBody(this.#o.topic, requested.map(r => ({ partition: r.state.partition, offset: r.offset, leaderEpoch: layout[r.state.partition]?.leaderEpoch ?? -1 })), this.#o), this.#o.maxWaitMs).then((res: FetchResponse) => {
      const parts = new Map(res.responses.filter(t => t.topic === this.#o.topic).flatMap(t => t.partitions).map(p => [p.partitionIndex, p]))
      for (const r of requested) {
        // Dropped meanwhile (revoked, moved by seek or a reset): this answer is stale.
        if (this.partitions.get(r.state.partition) !== r.state || r.state.fetchAt !== r.offset) continue
        const p = parts.get(r.state.partition)
        if (p === undefined) continue
        this.#accept(r.state, r.offset, res.errorCode !== 0 ? res.errorCode : p.errorCode, p.records ?? Buffer.alloc(0), p.abortedTransactions)
      }
    }, (err: Error) => {
      // TLS or SASL refused (a revoked user, a certificate replaced): retrying cannot help.
      if (err instanceof SecurityError) { this.#fail(err); return }
      // The leader is gone or its connection failed: ask who leads now, and retry later.
      for (const r of requested) this.#backoff(r.state)
      this.#refresh()
    }).finally(() => {
      this.#inFlight.delete(leader)
      this.pump()
    })
  }

  #accept (s: PartitionState, offset: number, errorCode: number, data: Buffer, aborted: AbortedTransaction[] | null): void {
    const action = fetchErrorAction(errorCode)
    switch (action.then) {
      case 'data': {
        s.failures = 0
        let end = offset
        let position = 0
        for (let size = batchSizeAt(data, 0); size > 0; position += size, size = batchSizeAt(data, position)) {
          const info = readBatchInfo(data, position)
          end = Math.max(end, info.baseOffset + info.lastOffsetDelta + 1)
        }
        if (end === offset) {
          // Only the start of a batch (the response was full): fetched again, soon first in turn.
          if (data.length > 0) s.retryAt = Date.now() + 10
          return
        }
        s.fetchAt = end
        this.#queue({ partition: s.partition, from: offset, end, data: data.subarray(0, position), aborted, state: s })
        return
      }
      case 'reset-offset':
        this.#o.onReset?.(s.partition, offset, -1, action.reason)
        s.fetchAt = -1
        s.outOfRange = true
        return
      case 'refresh-metadata':
        this.#backoff(s)
        this.#refresh()
        return
      case 'retry':
        this.#backoff(s)
        return
      case 'fatal':
        this.#fail(new Error(`partition ${this.#o.topic}/${s.partition}: ${errorCodeName(errorCode)} (${action.reason})`))
    }
  }

  /** Positions the partitions without one at the function's startFrom (ListOffsets at the leader). */
  async #reset (): Promise<void> {
    this.#resetting = true
    try {
      const layout = this.#cluster.partitions(this.#o.topic) ?? []
      const byLeader = new Map<number, PartitionState[]>()
      for (const s of this.partitions.values()) {
        if (s.fetchAt >= 0 || s.retryAt > Date.now()) continue
        const leader = layout[s.partition]?.leader ?? -1
        if (leader < 0) { this.#refresh(); continue }
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), s])
      }
      await Promise.all([...byLeader].map(async ([leader, states]) => {
        try {
          const res = await this.#cluster.request(leader, LIST_OFFSETS, LIST_OFFSETS_VERSIONS[0], LIST_OFFSETS_VERSIONS[1], () => listOffsetsBody(this.#o.topic, states.map(s => s.partition), this.#o.startFrom)) as ListOffsetsResponse
          const found = new Map(res.topics.flatMap(t => t.partitions).map(p => [p.partitionIndex, p]))
          for (const s of states) {
            const p = found.get(s.partition)
            if (this.partitions.get(s.partition) !== s || s.fetchAt >= 0) continue
            if (p === undefined || p.errorCode !== 0) { this.#backoff(s); if (p !== undefined && fetchErrorAction(p.errorCode).then === 'refresh-metadata') this.#refresh(); continue }
            s.fetchAt = p.offset
            // A fresh start: what was handed out before (if anything) is not this position's.
            s.ownership.startedAt = p.offset
            s.ownership.handedOutUpTo = p.offset
            this.#o.onReset?.(s.partition, -1, p.offset, this.#o.startFrom)
            // After records were deleted under the consumer, the new position is handed out like
            // records, so it gets committed (and lag reads true) before any record arrives there.
            if (s.outOfRange) this.#queue({ partition: s.partition, from: p.offset, end: p.offset, data: EMPTY, aborted: null, state: s })
            s.outOfRange = false
          }
        } catch {
          for (const s of states) this.#backoff(s)
          this.#refresh()
        }
      }))
    } finally {
      this.#resetting = false
      this.pump()
    }
  }
}
