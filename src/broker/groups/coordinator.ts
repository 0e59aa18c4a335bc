import type { Logger } from '../../shared/logger.js'
import { systemClock, type Clock } from '../../shared/clock.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { Group } from './group.js'
import { Reader } from '../../protocol/reader.js'
import { decodeConsumerProtocolSubscription } from '../../protocol/generated/consumer-protocol-subscription.js'
import { OffsetStore, StorageError } from './offset-store.js'
import type { GroupState, JoinRequest, JoinResult, MemberRef, SyncRequest, SyncResult } from './types.js'

export type { JoinRequest, JoinResult, SyncRequest, SyncResult } from './types.js'

const EMPTY = Buffer.alloc(0)

/**
 * The topics in a member's consumer-protocol subscription; none when they cannot be read. Only
 * the topic list, which comes first in every version, is read: @platformatic/kafka says
 * version 1 but leaves out the owned partitions that version adds.
 */
function subscribedTopics (metadata: Buffer | undefined): string[] {
  if (metadata === undefined || metadata.length < 2) return []
  try {
    const r = new Reader(metadata)
    r.readInt16()
    return decodeConsumerProtocolSubscription(r, 0).topics
  } catch {
    return []
  }
}

export interface CoordinatorOptions {
  dataDir: string
  logger: Logger
  clock?: Clock
  /** Kafka's group.initial.rebalance.delay.ms. */
  initialRebalanceDelayMs?: number
  minSessionTimeoutMs?: number
  maxSessionTimeoutMs?: number
  offsetMetadataMaxBytes?: number
}

/**
 * Coordinates every consumer group of this broker: routes each request to the group that owns
 * the state, and keeps committed offsets (the only group state that survives a restart).
 */
export class GroupCoordinator {
  readonly #groups = new Map<string, Group>()
  readonly #offsets: OffsetStore
  readonly #clock: Clock
  readonly #log: Logger
  readonly #o: Required<Omit<CoordinatorOptions, 'logger' | 'clock' | 'dataDir'>>

  private constructor (opts: CoordinatorOptions) {
    this.#clock = opts.clock ?? systemClock
    this.#log = opts.logger
    this.#o = {
      initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 0,
      minSessionTimeoutMs: opts.minSessionTimeoutMs ?? 6000,
      maxSessionTimeoutMs: opts.maxSessionTimeoutMs ?? 1_800_000,
      offsetMetadataMaxBytes: opts.offsetMetadataMaxBytes ?? 4096
    }
    this.#offsets = new OffsetStore(opts.dataDir, opts.logger)
  }

  static open (opts: CoordinatorOptions): GroupCoordinator {
    return new GroupCoordinator(opts)
  }

  #group (id: string, create: boolean): Group | undefined {
    let g = this.#groups.get(id)
    if (g === undefined && create) {
      g = new Group(id, this.#clock, this.#log, this.#o.initialRebalanceDelayMs)
      this.#groups.set(id, g)
    }
    return g
  }

  join (req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number): Promise<JoinResult> => Promise.resolve({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: req.memberId, members: [] })
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID)
    if (req.sessionTimeoutMs < this.#o.minSessionTimeoutMs || req.sessionTimeoutMs > this.#o.maxSessionTimeoutMs) return fail(ErrorCode.INVALID_SESSION_TIMEOUT)
    return this.#group(req.groupId, true)!.join(req)
  }

  sync (req: SyncRequest): Promise<SyncResult> {
    const g = this.#group(req.groupId, false)
    if (g === undefined) return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY })
    return g.sync(req)
  }

  heartbeat (ref: MemberRef): number {
    return this.#group(ref.groupId, false)?.heartbeat(ref) ?? ErrorCode.UNKNOWN_MEMBER_ID
  }

  leave (groupId: string, members: { memberId: string, groupInstanceId: string | null }[]): { errorCode: number, members: { memberId: string, groupInstanceId: string | null, errorCode: number }[] } {
    const g = this.#group(groupId, false)
    return {
      errorCode: ErrorCode.NONE,
      members: members.map(m => ({ ...m, errorCode: g?.leave(m.memberId, m.groupInstanceId) ?? ErrorCode.UNKNOWN_MEMBER_ID }))
    }
  }

  commitOffsets (req: MemberRef & { offsets: { topic: string, partition: number, offset: number, leaderEpoch: number, metadata: string | null }[] }): { topic: string, partition: number, errorCode: number }[] {
    const respond = (errorCode: number): { topic: string, partition: number, errorCode: number }[] => req.offsets.map(o => ({ topic: o.topic, partition: o.partition, errorCode }))
    if (req.groupId === '') return respond(ErrorCode.INVALID_GROUP_ID)
    const standalone = req.generationId < 0 && req.memberId === ''
    const g = this.#group(req.groupId, standalone)
    if (g === undefined) return respond(ErrorCode.ILLEGAL_GENERATION)
    const check = g.checkCommit(req)
    if (check !== ErrorCode.NONE) return respond(check)
    const now = this.#clock.now()
    const accepted = req.offsets.filter(o => Buffer.byteLength(o.metadata ?? '') <= this.#o.offsetMetadataMaxBytes)
    try {
      this.#offsets.commit(req.groupId, accepted.map(o => ({ topic: o.topic, partition: o.partition, value: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestamp: now } })))
    } catch (err) {
      if (!(err instanceof StorageError)) throw err
      this.#log.error({ group: req.groupId, err: err.message }, 'offset commit refused: storage error')
      return respond(ErrorCode.KAFKA_STORAGE_ERROR)
    }
    return req.offsets.map(o => ({
      topic: o.topic,
      partition: o.partition,
      errorCode: accepted.includes(o) ? ErrorCode.NONE : ErrorCode.OFFSET_METADATA_TOO_LARGE
    }))
  }

  /**
   * TxnOffsetCommit v3+ names the member that consumed (KIP-447): it must still be one of the
   * group's, in its generation. Without member details (v0-2) there is nothing to check.
   */
  checkTransactionalMember (ref: MemberRef): number {
    if (ref.groupId === '') return ErrorCode.INVALID_GROUP_ID
    if (ref.generationId < 0 && ref.memberId === '' && ref.groupInstanceId === null) return ErrorCode.NONE
    const g = this.#group(ref.groupId, false)
    if (g === undefined) return ErrorCode.ILLEGAL_GENERATION
    const check = g.checkCommit(ref)
    // A rebalance being prepared does not undo what the member consumed before it.
    return check === ErrorCode.REBALANCE_IN_PROGRESS ? ErrorCode.NONE : check
  }

  /**
   * Offsets of a committed transaction (checked when TxnOffsetCommit held them): stored whatever
   * the group's membership is now, as Kafka materialises them when the commit marker lands.
   */
  commitTransactionalOffsets (groupId: string, offsets: { topic: string, partition: number, offset: number, leaderEpoch: number, metadata: string | null }[]): number {
    const now = this.#clock.now()
    try {
      this.#offsets.commit(groupId, offsets.map(o => ({ topic: o.topic, partition: o.partition, value: { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata ?? '', commitTimestamp: now } })))
    } catch (err) {
      if (!(err instanceof StorageError)) throw err
      this.#log.error({ group: groupId, err: err.message }, 'transactional offset commit failed: storage error')
      return ErrorCode.KAFKA_STORAGE_ERROR
    }
    return ErrorCode.NONE
  }

  fetchOffsets (groupId: string, topics: { topic: string, partitions: number[] }[] | null): { errorCode: number, topics: { topic: string, partitions: { partition: number, offset: number, leaderEpoch: number, metadata: string, errorCode: number }[] }[] } {
    if (topics === null) {
      return {
        errorCode: ErrorCode.NONE,
        topics: [...this.#offsets.all(groupId)].map(([topic, partitions]) => ({
          topic,
          partitions: [...partitions].map(([partition, c]) => ({ partition, offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: ErrorCode.NONE }))
        }))
      }
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map(t => ({
        topic: t.topic,
        partitions: t.partitions.map(partition => {
          const c = this.#offsets.get(groupId, t.topic, partition)
          return { partition, offset: c?.offset ?? -1, leaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: ErrorCode.NONE }
        })
      }))
    }
  }

  #knownIds (): string[] {
    return [...new Set([...this.#groups.keys(), ...this.#offsets.groupIds()])].sort()
  }

  describe (groupIds: string[]): { groupId: string, errorCode: number, state: GroupState, protocolType: string, protocol: string, members: { memberId: string, groupInstanceId: string | null, clientId: string, clientHost: string, metadata: Buffer, assignment: Buffer }[] }[] {
    return groupIds.map(groupId => {
      const g = this.#groups.get(groupId)
      if (g === undefined) {
        const state: GroupState = this.#offsets.groupIds().includes(groupId) ? 'Empty' : 'Dead'
        return { groupId, errorCode: ErrorCode.NONE, state, protocolType: '', protocol: '', members: [] }
      }
      return {
        groupId,
        errorCode: ErrorCode.NONE,
        state: g.state,
        protocolType: g.protocolType ?? '',
        protocol: g.protocolName ?? '',
        members: [...g.members.values()].map(m => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          metadata: m.protocols.find(p => p.name === g.protocolName)?.metadata ?? EMPTY,
          assignment: m.assignment
        }))
      }
    })
  }

  list (statesFilter?: string[]): { groupId: string, protocolType: string, state: string }[] {
    const wanted = statesFilter?.map(s => s.toLowerCase())
    return this.#knownIds()
      .map(groupId => {
        const g = this.#groups.get(groupId)
        return { groupId, protocolType: g?.protocolType ?? 'consumer', state: g?.state ?? 'Empty' }
      })
      .filter(g => wanted === undefined || wanted.includes(g.state.toLowerCase()))
  }

  /**
   * DeleteGroups: a group with members is NON_EMPTY_GROUP; one never seen (no members, no
   * offsets) GROUP_ID_NOT_FOUND; otherwise its committed offsets are forgotten.
   */
  deleteGroup (groupId: string): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID
    const g = this.#groups.get(groupId)
    if (g !== undefined && g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP
    if (g === undefined && !this.#offsets.groupIds().includes(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND
    try {
      this.#offsets.deleteGroup(groupId)
    } catch (err) {
      if (!(err instanceof StorageError)) throw err
      return ErrorCode.KAFKA_STORAGE_ERROR
    }
    g?.close()
    this.#groups.delete(groupId)
    this.#log.info({ group: groupId }, 'group deleted')
    return ErrorCode.NONE
  }

  /**
   * OffsetDelete (KIP-496): forgets committed offsets of partitions the group does not consume.
   * A consumer group with members keeps those of topics a member subscribes to
   * (GROUP_SUBSCRIBED_TO_TOPIC); another protocol's group with members refuses (NON_EMPTY_GROUP).
   */
  deleteOffsets (groupId: string, partitions: { topic: string, partition: number }[]): { errorCode: number, partitions: { topic: string, partition: number, errorCode: number }[] } {
    const none = (errorCode: number): { errorCode: number, partitions: [] } => ({ errorCode, partitions: [] })
    if (groupId === '') return none(ErrorCode.INVALID_GROUP_ID)
    const g = this.#groups.get(groupId)
    if ((g === undefined || g.state === 'Dead') && !this.#offsets.groupIds().includes(groupId)) return none(ErrorCode.GROUP_ID_NOT_FOUND)
    const active = g !== undefined && g.members.size > 0
    if (active && g.protocolType !== 'consumer') return none(ErrorCode.NON_EMPTY_GROUP)
    const subscribed = new Set(active ? [...g.members.values()].flatMap(m => subscribedTopics(m.protocols.find(p => p.name === g.protocolName)?.metadata ?? m.protocols[0]?.metadata)) : [])
    const deletable = partitions.filter(x => !subscribed.has(x.topic))
    try {
      this.#offsets.deletePartitions(groupId, deletable)
    } catch (err) {
      if (!(err instanceof StorageError)) throw err
      return none(ErrorCode.KAFKA_STORAGE_ERROR)
    }
    return {
      errorCode: ErrorCode.NONE,
      partitions: partitions.map(x => ({ ...x, errorCode: subscribed.has(x.topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE }))
    }
  }

  deleteTopicOffsets (topic: string): void {
    this.#offsets.deleteTopic(topic)
  }

  close (): void {
    for (const g of this.#groups.values()) g.close()
    this.#groups.clear()
    this.#offsets.close()
  }
}
