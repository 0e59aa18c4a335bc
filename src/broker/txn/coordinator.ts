// The transaction coordinator (KIP-98) of this one-node broker: every transactional id maps to a
// producer id that stays the same for the id's whole life (across restarts: store.ts) and an
// epoch that InitProducerId bumps, fencing the previous holder of the id. A transaction records
// the partitions and groups it touches; EndTxn writes a commit or abort marker to each of its
// partitions and applies or drops its TxnOffsetCommit offsets.
//
// Order of an end: the decision (Prepare*, with the offsets still held) is stored first, then
// the offsets are applied (commit), then markers written; a restart finishes a Prepare* it finds.
// A marker that cannot be written (full disk) is retried every second; requests for the id get
// CONCURRENT_TRANSACTIONS (retriable) until every partition has one.
//
// Timeouts: a transaction open longer than the producer's transaction.timeout.ms is aborted by
// a timer, with the epoch bumped as Kafka does, so the producer's next request is fenced.
import type { Logger } from '../../shared/logger.js'
import type { Clock, TimerHandle } from '../../shared/clock.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { GroupCoordinator } from '../groups/coordinator.js'
import { TxnStore } from './store.js'
import {
  MAX_EPOCH, MAX_TRANSACTION_TIMEOUT_MS, TRANSACTIONAL_ID_EXPIRATION_MS, endProblem, fencedCode, initProblem,
  isPreparing, newMeta, offsetCommitProblem, produceProblem, producerProblem, type PendingOffset, type TxnMeta, type TxnPartition
} from './state.js'

const MARKER_RETRY_MS = 1000

export interface MarkerTarget { appendMarker (producerId: number, producerEpoch: number, commit: boolean, now: number): number }

export interface TxnEnvironment {
  dataDir: string
  logger: Logger
  clock: Clock
  nextProducerId: () => number
  /** A partition to write markers to, or undefined when it is gone (its topic was deleted). */
  partition: (topic: string, partition: number) => MarkerTarget | undefined
  groups: GroupCoordinator
}

export interface InitResult { errorCode: number, producerId: number, producerEpoch: number }

export class TransactionCoordinator {
  readonly #env: TxnEnvironment
  readonly #store: TxnStore
  readonly #txns = new Map<string, TxnMeta>()
  readonly #timers = new Map<string, TimerHandle>()
  #closed = false

  constructor (env: TxnEnvironment) {
    this.#env = env
    this.#store = new TxnStore(env.dataDir)
    let stored: TxnMeta[]
    try {
      stored = this.#store.load()
    } catch (err) {
      const aside = this.#store.quarantine()
      env.logger.error({ err: (err as Error).message, movedTo: aside }, 'transaction state unreadable: moved aside, transactional ids start afresh (their producers are fenced)')
      stored = []
    }
    for (const m of stored) this.#txns.set(m.transactionalId, m)
    for (const m of stored) {
      if (isPreparing(m)) this.#finish(m)
      else if (m.state === 'Ongoing') this.#scheduleTimeout(m)
    }
  }

  get size (): number { return this.#txns.size }

  /** The id's state, for tests and DescribeTransactions-like diagnostics. */
  describe (transactionalId: string): Readonly<TxnMeta> | undefined { return this.#txns.get(transactionalId) }

  initProducerId (transactionalId: string, timeoutMs: number, producerId: number, producerEpoch: number, version: number): InitResult {
    const refused = (errorCode: number): InitResult => ({ errorCode, producerId: -1, producerEpoch: -1 })
    if (timeoutMs <= 0 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS) return refused(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    const now = this.#env.clock.now()
    let m = this.#txns.get(transactionalId)
    if (m === undefined) {
      m = newMeta(transactionalId, this.#env.nextProducerId(), timeoutMs, now)
      this.#txns.set(transactionalId, m)
    } else {
      const problem = initProblem(m, producerId, producerEpoch, fencedCode(version, 4))
      if (problem !== ErrorCode.NONE) return refused(problem)
      if (m.state === 'Ongoing') {
        // The previous holder of the id left a transaction open: it is aborted with the new
        // epoch, which fences that producer on every partition the markers reach.
        this.#env.logger.info({ transactionalId, producerId: m.producerId }, 'InitProducerId aborts the transaction the previous producer left open')
        this.#fence(m)
        if (isPreparing(m)) return refused(ErrorCode.CONCURRENT_TRANSACTIONS)
      } else {
        this.#bumpEpoch(m)
      }
      m.timeoutMs = timeoutMs
      m.state = 'Empty'
      m.updatedAt = now
    }
    this.#save()
    return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch }
  }

  /** Per partition: NONE, or why it was not added (OPERATION_NOT_ATTEMPTED when another was refused). */
  addPartitions (transactionalId: string, producerId: number, producerEpoch: number, partitions: TxnPartition[], exists: (p: TxnPartition) => boolean, version: number): number[] {
    const m = this.#txns.get(transactionalId)
    const problem = producerProblem(m, producerId, producerEpoch, fencedCode(version, 2))
    if (problem !== ErrorCode.NONE) return partitions.map(() => problem)
    const known = partitions.map(exists)
    if (known.includes(false)) return known.map(k => k ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    this.#begin(m!)
    for (const p of partitions) {
      if (!m!.partitions.some(q => q.topic === p.topic && q.partition === p.partition)) m!.partitions.push({ topic: p.topic, partition: p.partition })
    }
    this.#save()
    return partitions.map(() => ErrorCode.NONE)
  }

  addOffsets (transactionalId: string, producerId: number, producerEpoch: number, groupId: string, version: number): number {
    const m = this.#txns.get(transactionalId)
    const problem = producerProblem(m, producerId, producerEpoch, fencedCode(version, 2))
    if (problem !== ErrorCode.NONE) return problem
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID
    this.#begin(m!)
    if (!m!.groups.includes(groupId)) m!.groups.push(groupId)
    this.#save()
    return ErrorCode.NONE
  }

  /** Holds offsets until the transaction ends; the caller has checked the member and partitions. */
  holdOffsets (transactionalId: string, producerId: number, producerEpoch: number, groupId: string, offsets: Omit<PendingOffset, 'groupId'>[]): number {
    const m = this.#txns.get(transactionalId)
    const problem = offsetCommitProblem(m, producerId, producerEpoch, groupId)
    if (problem !== ErrorCode.NONE) return problem
    for (const o of offsets) {
      const held = { groupId, ...o }
      const at = m!.offsets.findIndex(x => x.groupId === groupId && x.topic === o.topic && x.partition === o.partition)
      if (at >= 0) m!.offsets[at] = held
      else m!.offsets.push(held)
    }
    this.#save()
    return ErrorCode.NONE
  }

  endTxn (transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, version: number): number {
    const m = this.#txns.get(transactionalId)
    const problem = endProblem(m, producerId, producerEpoch, commit, fencedCode(version, 2))
    if (problem === 'retry') return ErrorCode.NONE
    if (problem !== ErrorCode.NONE) return problem
    this.#end(m!, commit)
    return ErrorCode.NONE
  }

  /** Produce with a transactional id: may this producer write this batch to this partition? */
  checkProduce (transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): number {
    return produceProblem(this.#txns.get(transactionalId), producerId, producerEpoch, topic, partition)
  }

  /** OffsetFetch with require_stable: does an open transaction hold an offset for this partition? */
  hasHeldOffset (groupId: string, topic: string, partition: number): boolean {
    for (const m of this.#txns.values()) {
      if (m.state !== 'Ongoing' && !isPreparing(m)) continue
      if (m.offsets.some(o => o.groupId === groupId && o.topic === topic && o.partition === partition)) return true
    }
    return false
  }

  /** Aborts the ongoing transaction with a bumped epoch: the producer that opened it is fenced. */
  #fence (m: TxnMeta): void {
    const producerId = m.producerId
    const epoch = Math.min(m.producerEpoch + 1, MAX_EPOCH)
    this.#bumpEpoch(m)
    this.#end(m, false, producerId, epoch)
  }

  #bumpEpoch (m: TxnMeta): void {
    if (m.producerEpoch + 1 >= MAX_EPOCH) {
      m.producerId = this.#env.nextProducerId()
      m.producerEpoch = 0
    } else {
      m.producerEpoch++
    }
  }

  #begin (m: TxnMeta): void {
    if (m.state === 'Ongoing') return
    m.state = 'Ongoing'
    m.partitions = []
    m.groups = []
    m.offsets = []
    m.startedAt = this.#env.clock.now()
    m.updatedAt = m.startedAt
    this.#scheduleTimeout(m)
  }

  /** Decides the outcome (stored), applies the held offsets on commit, then writes the markers. */
  #end (m: TxnMeta, commit: boolean, markerProducerId = m.producerId, markerEpoch = m.producerEpoch): void {
    this.#clearTimer(m.transactionalId)
    m.state = commit ? 'PrepareCommit' : 'PrepareAbort'
    m.markerProducerId = markerProducerId
    m.markerEpoch = markerEpoch
    m.markersPending = [...m.partitions]
    if (!commit) m.offsets = []
    m.updatedAt = this.#env.clock.now()
    this.#save()
    this.#finish(m)
  }

  /** Applies held offsets (commit) and writes the markers still owed; completes when all are written. */
  #finish (m: TxnMeta): void {
    if (this.#closed) return
    const commit = m.state === 'PrepareCommit'
    if (commit && m.offsets.length > 0) {
      const byGroup = new Map<string, PendingOffset[]>()
      for (const o of m.offsets) byGroup.set(o.groupId, [...(byGroup.get(o.groupId) ?? []), o])
      for (const [groupId, offsets] of byGroup) this.#env.groups.commitTransactionalOffsets(groupId, offsets)
      m.offsets = []
    }
    const now = this.#env.clock.now()
    m.markersPending = m.markersPending.filter(p => {
      const target = this.#env.partition(p.topic, p.partition)
      if (target === undefined) return false
      const code = target.appendMarker(m.markerProducerId, m.markerEpoch, commit, now)
      if (code !== ErrorCode.NONE) this.#env.logger.warn({ transactionalId: m.transactionalId, topic: p.topic, partition: p.partition, errorCode: code }, 'transaction marker not written; retrying')
      return code !== ErrorCode.NONE
    })
    if (m.markersPending.length > 0) {
      this.#timers.set(m.transactionalId, this.#env.clock.setTimeout(() => this.#finish(m), MARKER_RETRY_MS))
      this.#save()
      return
    }
    m.state = commit ? 'CompleteCommit' : 'CompleteAbort'
    m.partitions = []
    m.groups = []
    m.updatedAt = now
    this.#save()
  }

  #scheduleTimeout (m: TxnMeta): void {
    this.#clearTimer(m.transactionalId)
    const startedAt = m.startedAt
    const left = Math.max(0, startedAt + m.timeoutMs - this.#env.clock.now())
    this.#timers.set(m.transactionalId, this.#env.clock.setTimeout(() => {
      this.#timers.delete(m.transactionalId)
      if (this.#closed || m.state !== 'Ongoing' || m.startedAt !== startedAt) return
      this.#env.logger.warn({ transactionalId: m.transactionalId, producerId: m.producerId, timeoutMs: m.timeoutMs }, 'transaction open longer than its transaction.timeout.ms: aborted, and its producer fenced')
      this.#fence(m)
    }, left))
  }

  #clearTimer (id: string): void {
    const t = this.#timers.get(id)
    if (t === undefined) return
    this.#env.clock.clearTimeout(t)
    this.#timers.delete(id)
  }

  /** Stores every id; ids idle past transactional.id.expiration.ms are forgotten first. */
  #save (): void {
    const cutoff = this.#env.clock.now() - TRANSACTIONAL_ID_EXPIRATION_MS
    for (const [id, m] of this.#txns) {
      if (m.updatedAt < cutoff && (m.state === 'Empty' || m.state === 'CompleteCommit' || m.state === 'CompleteAbort')) this.#txns.delete(id)
    }
    try {
      this.#store.save(this.#txns.values())
    } catch (err) {
      // Kept in memory and stored with the next change; a restart before then forgets this one.
      this.#env.logger.error({ err: (err as Error).message }, 'could not store the transaction state')
    }
  }

  close (): void {
    this.#closed = true
    for (const t of this.#timers.values()) this.#env.clock.clearTimeout(t)
    this.#timers.clear()
  }
}
