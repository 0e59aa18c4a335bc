// The consumer's decisions on what brokers answer, as pure functions that say why.
import { ErrorCode } from '../protocol/error-codes.js'

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

export interface MemberAction {
  then: 'rejoin' | 'retry' | 'fatal'
  /** The member id is no longer valid: rejoin as a new member. */
  forgetMember: boolean
  /** Look the coordinator up again before retrying. */
  findCoordinator: boolean
  reason: string
}

/** What an error code in a group request (join, sync, heartbeat, commit, offset fetch) means. */
export function memberErrorAction (code: number): MemberAction {
  const act = (then: MemberAction['then'], reason: string, o: Partial<MemberAction> = {}): MemberAction => ({ then, reason, forgetMember: false, findCoordinator: false, ...o })
  switch (code) {
    case ErrorCode.REBALANCE_IN_PROGRESS: return act('rejoin', 'the group is rebalancing')
    case ErrorCode.ILLEGAL_GENERATION: return act('rejoin', 'the group moved on to a newer generation')
    case ErrorCode.UNKNOWN_MEMBER_ID: return act('rejoin', 'the coordinator no longer knows this member (session expired)', { forgetMember: true })
    case ErrorCode.FENCED_INSTANCE_ID: return act('rejoin', 'another member took this instance id', { forgetMember: true })
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE: return act('retry', 'the group coordinator moved', { findCoordinator: true })
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.UNSTABLE_OFFSET_COMMIT:
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.REQUEST_TIMED_OUT:
    case ErrorCode.NETWORK_EXCEPTION: return act('retry', 'a transient broker condition')
    default: return act('fatal', 'the broker refuses this member')
  }
}

export interface PartitionAction {
  then: 'data' | 'refresh-metadata' | 'reset-offset' | 'retry' | 'fatal'
  reason: string
}

/** What a partition's error code in a Fetch (or ListOffsets) response means. */
export function fetchErrorAction (code: number): PartitionAction {
  switch (code) {
    case ErrorCode.NONE: return { then: 'data', reason: 'records' }
    case ErrorCode.OFFSET_OUT_OF_RANGE: return { then: 'reset-offset', reason: 'the position is outside the log (records deleted or retention passed): start again from the function\'s startFrom' }
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.FENCED_LEADER_EPOCH:
    case ErrorCode.UNKNOWN_LEADER_EPOCH:
    case ErrorCode.LEADER_NOT_AVAILABLE:
    case ErrorCode.REPLICA_NOT_AVAILABLE:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.UNKNOWN_TOPIC_ID:
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.NOT_ENOUGH_REPLICAS: return { then: 'refresh-metadata', reason: 'the leader moved or is not available: ask the cluster who leads now' }
    case ErrorCode.OFFSET_NOT_AVAILABLE:
    case ErrorCode.REQUEST_TIMED_OUT:
    case ErrorCode.CORRUPT_MESSAGE:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.UNKNOWN_SERVER_ERROR: return { then: 'retry', reason: 'a transient broker condition' }
    default: return { then: 'fatal', reason: 'the broker refuses to serve this partition' }
  }
}

/** A partition's ownership as the subscription tracks it for commits. */
export interface Ownership {
  /** Where this ownership started (the committed offset, or startFrom, when it was assigned). */
  startedAt: number
  /** The position after the last record handed out under this ownership. */
  handedOutUpTo: number
}

/**
 * Whether `offset` may be committed for a partition: only while it is owned, and only within
 * what was handed out since it became this member's — a commit computed before the partition was
 * revoked (and perhaps given back) could move another member's progress.
 */
export function commitDecision (owned: Ownership | undefined, offset: number): { commit: boolean, reason: string } {
  if (owned === undefined) return { commit: false, reason: 'the partition is no longer assigned to this member' }
  if (offset < owned.startedAt) return { commit: false, reason: `offset ${offset} is before where this member's ownership began (${owned.startedAt})` }
  if (offset > owned.handedOutUpTo) return { commit: false, reason: `offset ${offset} is past what this member handed out (${owned.handedOutUpTo})` }
  return { commit: true, reason: 'owned, and within what was handed out' }
}
