// Membership of one consumer group (Kafka's classic group protocol) over Tidewatch's own codec:
// join, sync (the leader assigns round robin), heartbeats, commits and committed offsets, leave.
// The coordinator is looked up again whenever it says it is not (or no longer) the coordinator
// or its connection fails, so a coordinator that moves is followed.
import { ErrorCode, errorCodeName } from '../protocol/error-codes.js'
import { ConnectionError } from './connection.js'
import { KafkaProtocolError, type Cluster } from './cluster.js'
import { PROTOCOL_NAME, assignRoundRobin, decodeAssignment, decodeSubscriptionTopics, encodeAssignment, encodeSubscription } from './assignor.js'
import { memberErrorAction, sleep } from './decisions.js'
import type { JoinGroupResponse } from '../protocol/generated/join-group-response.js'
import type { SyncGroupResponse } from '../protocol/generated/sync-group-response.js'
import type { OffsetCommitResponse } from '../protocol/generated/offset-commit-response.js'
import type { OffsetFetchResponse } from '../protocol/generated/offset-fetch-response.js'

const OFFSET_COMMIT = 8
const OFFSET_FETCH = 9
const JOIN_GROUP = 11
const HEARTBEAT = 12
const LEAVE_GROUP = 13
const SYNC_GROUP = 14

export interface MemberOptions {
  groupId: string
  topics: string[]
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  heartbeatIntervalMs: number
  /** Joining gives up when no broker has answered for this long. */
  unreachableMs: number
}

/** One generation's outcome for this member. */
export interface Assignment {
  generationId: number
  memberId: string
  /** Whether this member was in the group, without a gap, since the previous assignment. */
  continuous: boolean
  partitions: Map<string, number[]>
}

/** The member was dropped from its generation; what it holds is no longer its own. */
export class RebalanceNeeded extends Error {
  override name = 'RebalanceNeeded'
}

export class GroupMember {
  readonly #cluster: Cluster
  readonly #o: MemberOptions
  readonly #onAssigned: (a: Assignment) => void
  readonly #onFailed: (err: Error) => void
  memberId = ''
  generationId = -1
  #joining: Promise<void> | null = null
  #heartbeat: NodeJS.Timeout | null = null
  #closed = false
  /** Set when this member lost its id (session expired, fenced): its next assignment has a gap. */
  #gap = true

  /** `onFailed`: joining gave up (a fatal error, no broker reachable); the member is out. */
  constructor (cluster: Cluster, opts: MemberOptions, onAssigned: (a: Assignment) => void, onFailed: (err: Error) => void) {
    this.#cluster = cluster
    this.#o = opts
    this.#onAssigned = onAssigned
    this.#onFailed = onFailed
  }

  /** Joins (or rejoins) the group; resolves once this member has its assignment. */
  async join (): Promise<void> {
    this.#joining ??= this.#joinLoop()
      .catch((err: Error) => { this.#onFailed(err); throw err })
      .finally(() => { this.#joining = null })
    await this.#joining
  }

  /** Resolves when no (re)join is under way. */
  async settled (): Promise<void> { while (this.#joining !== null) await this.#joining }

  async #joinLoop (): Promise<void> {
    this.#stopHeartbeat()
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        const previous = this.generationId
        const assigned = await this.#joinOnce()
        if (assigned === null) continue
        // Without a lost member id, the previous generation or the one after it: no other member
        // can have owned this member's partitions in between.
        const continuous = !this.#gap && (this.generationId === previous || this.generationId === previous + 1)
        this.#gap = false
        this.#onAssigned({ generationId: this.generationId, memberId: this.memberId, continuous, partitions: assigned })
        this.#scheduleHeartbeat()
        return
      } catch (err) {
        const action = this.#classify(err)
        if (action === 'fatal' || !this.#cluster.reachable(this.#o.unreachableMs)) throw err
        await sleep(Math.min(1000, 50 * attempt))
      }
    }
  }

  /** One JoinGroup + SyncGroup round; null when it has to be repeated at once. */
  async #joinOnce (): Promise<Map<string, number[]> | null> {
    const coordinator = await this.#cluster.coordinator(this.#o.groupId)
    const join = await this.#cluster.request(coordinator, JOIN_GROUP, 0, 7, () => ({
      groupId: this.#o.groupId,
      sessionTimeoutMs: this.#o.sessionTimeoutMs,
      rebalanceTimeoutMs: this.#o.rebalanceTimeoutMs,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: PROTOCOL_NAME, metadata: encodeSubscription(this.#o.topics) }]
    }), this.#o.rebalanceTimeoutMs) as JoinGroupResponse
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) { this.memberId = join.memberId; return null }
    if (join.errorCode !== ErrorCode.NONE) throw this.#error('JoinGroup', join.errorCode)
    this.memberId = join.memberId
    this.generationId = join.generationId
    const assignments = join.leader === join.memberId ? await this.#assign(join.members) : []
    const sync = await this.#cluster.request(coordinator, SYNC_GROUP, 0, 5, () => ({
      groupId: this.#o.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: join.protocolName ?? PROTOCOL_NAME,
      assignments
    }), this.#o.rebalanceTimeoutMs) as SyncGroupResponse
    if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) return null
    if (sync.errorCode !== ErrorCode.NONE) throw this.#error('SyncGroup', sync.errorCode)
    return decodeAssignment(sync.assignment)
  }

  /** As the group's leader: every member's share of the partitions of the topics it wants. */
  async #assign (members: { memberId: string, metadata: Buffer }[]): Promise<{ memberId: string, assignment: Buffer }[]> {
    const subscriptions = members.map(m => ({ memberId: m.memberId, topics: decodeSubscriptionTopics(m.metadata) }))
    const topics = [...new Set(subscriptions.flatMap(s => s.topics))]
    await this.#cluster.refreshMetadata(topics)
    const counts = new Map(topics.map(t => [t, this.#cluster.partitions(t)?.length ?? 0]))
    const split = assignRoundRobin(subscriptions, counts)
    return [...split].map(([memberId, assigned]) => ({ memberId, assignment: encodeAssignment(assigned) }))
  }

  #scheduleHeartbeat (): void {
    this.#stopHeartbeat()
    if (this.#closed) return
    this.#heartbeat = setTimeout(() => { this.#beat().catch(() => {}) }, this.#o.heartbeatIntervalMs)
  }

  #stopHeartbeat (): void {
    if (this.#heartbeat !== null) clearTimeout(this.#heartbeat)
    this.#heartbeat = null
  }

  async #beat (): Promise<void> {
    this.#heartbeat = null
    if (this.#closed || this.#joining !== null) return
    try {
      const coordinator = await this.#cluster.coordinator(this.#o.groupId)
      const res = await this.#cluster.request(coordinator, HEARTBEAT, 0, 4, () => ({ groupId: this.#o.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null })) as { errorCode: number }
      if (res.errorCode !== ErrorCode.NONE) throw this.#error('Heartbeat', res.errorCode)
    } catch (err) {
      if (this.#classify(err) === 'rejoin') { this.join().catch(() => {}); return }
    }
    if (this.#joining === null) this.#scheduleHeartbeat()
  }

  /**
   * What a failed group request means: rejoin (this generation is over), retry (after finding
   * the coordinator again where it moved or went away), or fatal. Updates the member id.
   */
  #classify (err: unknown): 'rejoin' | 'retry' | 'fatal' {
    if (err instanceof ConnectionError) { this.#cluster.forgetCoordinator(this.#o.groupId); return 'retry' }
    if (!(err instanceof KafkaProtocolError)) return 'fatal'
    const action = memberErrorAction(err.code)
    if (action.forgetMember) { this.memberId = ''; this.#gap = true }
    if (action.findCoordinator) this.#cluster.forgetCoordinator(this.#o.groupId)
    return action.then
  }

  #error (what: string, code: number): KafkaProtocolError {
    return new KafkaProtocolError(`${what} for group ${this.#o.groupId} refused: ${errorCodeName(code)}`, code)
  }

  /** This member's generation and id now: what a commit decided now is made in. */
  get identity (): { generationId: number, memberId: string } { return { generationId: this.generationId, memberId: this.memberId } }

  /**
   * Commits `offsets` as `identity` (the generation the caller decided in). Throws
   * RebalanceNeeded when that generation is over — rejoining unless a newer generation is
   * already there — so the caller can decide again what is still its own.
   */
  async commit (topic: string, offsets: { partition: number, offset: number }[], identity = this.identity): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const coordinator = await this.#cluster.coordinator(this.#o.groupId)
        const res = await this.#cluster.request(coordinator, OFFSET_COMMIT, 2, 8, () => ({
          groupId: this.#o.groupId,
          generationIdOrMemberEpoch: identity.generationId,
          memberId: identity.memberId,
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [{ name: topic, partitions: offsets.map(o => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: '' })) }]
        })) as OffsetCommitResponse
        const failed = res.topics.flatMap(t => t.partitions).find(p => p.errorCode !== ErrorCode.NONE)
        if (failed !== undefined) throw this.#error('OffsetCommit', failed.errorCode)
        return
      } catch (err) {
        const current = identity.generationId === this.generationId && identity.memberId === this.memberId
        if (!current && err instanceof KafkaProtocolError && memberErrorAction(err.code).then === 'rejoin') throw new RebalanceNeeded(err.message)
        const action = this.#classify(err)
        if (action === 'rejoin') { this.join().catch(() => {}); throw new RebalanceNeeded((err as Error).message) }
        if (action === 'fatal' || attempt >= 10) throw err
        await sleep(Math.min(2000, 100 * attempt))
      }
    }
  }

  /** The group's committed offset of each of `partitions` (-1 where none). */
  async committed (topic: string, partitions: number[]): Promise<Map<number, number>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const coordinator = await this.#cluster.coordinator(this.#o.groupId)
        const res = await this.#cluster.request(coordinator, OFFSET_FETCH, 1, 7, () => ({
          groupId: this.#o.groupId,
          topics: [{ name: topic, partitionIndexes: partitions }],
          requireStable: true
        })) as OffsetFetchResponse
        if (res.errorCode !== ErrorCode.NONE) throw this.#error('OffsetFetch', res.errorCode)
        const out = new Map<number, number>()
        for (const p of res.topics.find(t => t.name === topic)?.partitions ?? []) {
          if (p.errorCode !== ErrorCode.NONE) throw this.#error('OffsetFetch', p.errorCode)
          out.set(p.partitionIndex, p.committedOffset)
        }
        return out
      } catch (err) {
        const action = this.#classify(err)
        if (action === 'fatal' || attempt >= 20) throw err
        await sleep(Math.min(1000, 50 * attempt))
      }
    }
  }

  /** Leaves the group (the others rebalance at once instead of after the session timeout). */
  async leave (): Promise<void> {
    this.#closed = true
    this.#stopHeartbeat()
    if (this.memberId === '') return
    const coordinator = await this.#cluster.coordinator(this.#o.groupId)
    await this.#cluster.request(coordinator, LEAVE_GROUP, 0, 4, version => version >= 3
      ? { groupId: this.#o.groupId, members: [{ memberId: this.memberId, groupInstanceId: null }] }
      : { groupId: this.#o.groupId, memberId: this.memberId })
    this.memberId = ''
  }
}
