// What the transaction coordinator knows of one transactional id, and the pure decisions on the
// requests that name it (each returns a Kafka error code, NONE to go ahead).
import { ErrorCode } from '../../protocol/error-codes.js'

/**
 * Kafka's states. Prepare*: the outcome is decided (and on disk) but markers are still being
 * written; requests for the id meanwhile get CONCURRENT_TRANSACTIONS, which clients retry.
 */
export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort'

export interface TxnPartition { topic: string, partition: number }

export interface PendingOffset { groupId: string, topic: string, partition: number, offset: number, leaderEpoch: number, metadata: string | null }

export interface TxnMeta {
  transactionalId: string
  producerId: number
  producerEpoch: number
  /** transaction.timeout.ms as the producer gave it in InitProducerId. */
  timeoutMs: number
  state: TxnState
  /** Partitions added (AddPartitionsToTxn) since the transaction began. */
  partitions: TxnPartition[]
  /** Groups added (AddOffsetsToTxn). */
  groups: string[]
  /** TxnOffsetCommit offsets, applied on commit, dropped on abort. */
  offsets: PendingOffset[]
  /** When the transaction began (its first partition or group), ms since the epoch. */
  startedAt: number
  /**
   * Prepare*: the producer id and epoch the markers carry (the producer's own, or after a
   * fencing bump the new epoch), and the partitions still without one.
   */
  markerProducerId: number
  markerEpoch: number
  markersPending: TxnPartition[]
  /** Last change, for expiring ids left idle (transactional.id.expiration.ms). */
  updatedAt: number
}

/** Kafka's transaction.max.timeout.ms default: a producer asking for more is refused. */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000
/** Kafka's transactional.id.expiration.ms default: an id idle this long (no open transaction) is forgotten. */
export const TRANSACTIONAL_ID_EXPIRATION_MS = 604_800_000
/** An epoch is an int16; at the last one the coordinator moves the id to a new producer id. */
export const MAX_EPOCH = 32_767

export const isPreparing = (m: TxnMeta): boolean => m.state === 'PrepareCommit' || m.state === 'PrepareAbort'

/**
 * Kafka answers a stale epoch with PRODUCER_FENCED from the version that introduced it (KIP-588)
 * and INVALID_PRODUCER_EPOCH before; clients treat both as fatal for a transactional producer.
 */
export function fencedCode (version: number, fencedFromVersion: number): number {
  return version >= fencedFromVersion ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH
}

/** AddPartitionsToTxn, AddOffsetsToTxn and EndTxn: is this the id's current producer, free to act? */
export function producerProblem (m: TxnMeta | undefined, producerId: number, producerEpoch: number, fenced: number): number {
  if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
  if (m.producerEpoch !== producerEpoch) return fenced
  if (isPreparing(m)) return ErrorCode.CONCURRENT_TRANSACTIONS
  return ErrorCode.NONE
}

/** InitProducerId for an existing id: may it take the next epoch? */
export function initProblem (m: TxnMeta, expectedProducerId: number, expectedEpoch: number, fenced: number): number {
  if (isPreparing(m)) return ErrorCode.CONCURRENT_TRANSACTIONS
  // v3+ (KIP-360): a producer that names its id and epoch must be the current one.
  if (expectedProducerId !== -1 && (expectedProducerId !== m.producerId || expectedEpoch !== m.producerEpoch)) return fenced
  return ErrorCode.NONE
}

/** EndTxn: NONE to end it now, 'retry' for a repeat of the outcome already reached, or the error. */
export function endProblem (m: TxnMeta | undefined, producerId: number, producerEpoch: number, commit: boolean, fenced: number): number | 'retry' {
  const problem = producerProblem(m, producerId, producerEpoch, fenced)
  if (problem !== ErrorCode.NONE) return problem
  if (m!.state === (commit ? 'CompleteCommit' : 'CompleteAbort')) return 'retry'
  if (m!.state !== 'Ongoing') return ErrorCode.INVALID_TXN_STATE
  return ErrorCode.NONE
}

/**
 * Produce of a transactional batch: only by the id's current producer and epoch, and only to a
 * partition added to its ongoing transaction (what Kafka 3.6+ verifies, KIP-890).
 */
export function produceProblem (m: TxnMeta | undefined, producerId: number, producerEpoch: number, topic: string, partition: number): number {
  if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
  if (m.producerEpoch !== producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH
  if (m.state !== 'Ongoing' || !m.partitions.some(p => p.topic === topic && p.partition === partition)) return ErrorCode.INVALID_TXN_STATE
  return ErrorCode.NONE
}

/** TxnOffsetCommit: the offsets belong to the current producer's ongoing transaction, which added the group. */
export function offsetCommitProblem (m: TxnMeta | undefined, producerId: number, producerEpoch: number, groupId: string): number {
  if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING
  if (m.producerEpoch !== producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH
  if (isPreparing(m)) return ErrorCode.CONCURRENT_TRANSACTIONS
  // Offsets the transaction never announced (AddOffsetsToTxn) would never be committed.
  if (m.state !== 'Ongoing' || !m.groups.includes(groupId)) return ErrorCode.INVALID_TXN_STATE
  return ErrorCode.NONE
}

export function newMeta (transactionalId: string, producerId: number, timeoutMs: number, now: number): TxnMeta {
  return { transactionalId, producerId, producerEpoch: 0, timeoutMs, state: 'Empty', partitions: [], groups: [], offsets: [], startedAt: -1, markerProducerId: -1, markerEpoch: -1, markersPending: [], updatedAt: now }
}
