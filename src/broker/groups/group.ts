import { randomUUID } from 'node:crypto'
import type { Clock, TimerHandle } from '../../shared/clock.js'
import type { Logger } from '../../shared/logger.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { compatibleProtocols, selectProtocol } from './protocol-selection.js'
import { InitialDelay } from './initial-delay.js'
import { EMPTY, joinError, syncError, sameProtocols, copyProtocols, type Member } from './member.js'
import type { GroupState, JoinRequest, JoinResult, MemberRef, SyncRequest, SyncResult } from './types.js'

/**
 * One consumer group (classic protocol) and the only owner of its state. Every request and
 * every timer of the group goes through this object; the state machine is
 * Empty → PreparingRebalance → CompletingRebalance → Stable, back to PreparingRebalance on any
 * membership change, and to Empty when the last member goes.
 *
 * Static members (KIP-345, a group.instance.id): a restarted instance that joins with an empty
 * member id takes over its predecessor's place and assignment under a new member id, without a
 * rebalance when the group is stable; the predecessor is fenced (FENCED_INSTANCE_ID).
 *
 * The first join of an empty group waits group.initial.rebalance.delay.ms, extended while new
 * members keep arriving (never past the rebalance timeout), so members started together share
 * the first generation instead of each forcing one more rebalance.
 */
export class Group {
  readonly id: string
  state: GroupState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  readonly members = new Map<string, Member>()
  readonly #pending = new Set<string>()
  readonly #clock: Clock
  readonly #log: Logger
  readonly #initialDelayMs: number
  #rebalanceTimer: TimerHandle | null = null
  #initialDelay: InitialDelay | null = null

  constructor (id: string, clock: Clock, logger: Logger, initialDelayMs: number) {
    this.id = id
    this.#clock = clock
    this.#log = logger
    this.#initialDelayMs = initialDelayMs
  }

  join (req: JoinRequest): Promise<JoinResult> {
    if (this.members.size > 0 && (req.protocolType !== this.protocolType || !compatibleProtocols(req.protocols, [...this.members.values()]))) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId))
    }
    if (req.protocols.length === 0) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId))
    let member = this.members.get(req.memberId)
    if (req.memberId === '') {
      const known = req.groupInstanceId === null ? undefined : this.#byInstance(req.groupInstanceId)
      if (known !== undefined) return this.#replaceStatic(known, req)
      const memberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`
      // KIP-394's extra round trip is for dynamic members only: a static one cannot leave a ghost.
      if (req.requireKnownMemberId && req.groupInstanceId === null) {
        this.#pending.add(memberId)
        this.#clock.setTimeout(() => this.#pending.delete(memberId), req.sessionTimeoutMs)
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId))
      }
      member = this.#add(memberId, req)
    } else if (member === undefined) {
      if (!this.#pending.delete(req.memberId)) {
        const fenced = req.groupInstanceId !== null && this.#byInstance(req.groupInstanceId) !== undefined
        return Promise.resolve(joinError(fenced ? ErrorCode.FENCED_INSTANCE_ID : ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
      }
      member = this.#add(req.memberId, req)
    } else {
      if (req.groupInstanceId !== null && member.groupInstanceId !== req.groupInstanceId) {
        return Promise.resolve(joinError(ErrorCode.FENCED_INSTANCE_ID, req.memberId))
      }
      const unchanged = sameProtocols(member.protocols, req.protocols)
      Object.assign(member, { protocols: copyProtocols(req.protocols), sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs, clientId: req.clientId })
      // A follower rejoining with nothing changed gets the current generation, no rebalance.
      if (unchanged && (this.state === 'CompletingRebalance' || (this.state === 'Stable' && member.memberId !== this.leaderId))) {
        this.#touch(member)
        return Promise.resolve(this.#joinResult(member))
      }
    }
    return this.#awaitJoin(member)
  }

  #awaitJoin (m: Member): Promise<JoinResult> {
    return new Promise(resolve => {
      m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId))
      m.joinWaiter = resolve
      if (this.state !== 'PreparingRebalance') this.#prepareRebalance(`member ${m.memberId} joined`)
      this.#maybeCompleteJoin()
    })
  }

  #byInstance (groupInstanceId: string): Member | undefined {
    for (const m of this.members.values()) if (m.groupInstanceId === groupInstanceId) return m
    return undefined
  }

  /**
   * A static member's new incarnation replaces the old one: same assignment, new member id.
   * In a stable group whose protocol choice does not change, it simply gets the current
   * generation. It is told the old leader id, as Kafka does, so even a restarted leader does
   * not compute an assignment a stable group would never hand out.
   */
  #replaceStatic (old: Member, req: JoinRequest): Promise<JoinResult> {
    const memberId = `${req.groupInstanceId}-${randomUUID()}`
    const previousLeader = this.leaderId
    if (old.sessionTimer !== null) this.#clock.clearTimeout(old.sessionTimer)
    old.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID, old.memberId))
    old.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID))
    const m: Member = {
      ...old, memberId, clientId: req.clientId, clientHost: req.clientHost, sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs, protocols: copyProtocols(req.protocols), joinWaiter: null, syncWaiter: null, sessionTimer: null
    }
    this.members.delete(old.memberId)
    this.members.set(memberId, m)
    if (this.leaderId === old.memberId) this.leaderId = memberId
    this.#touch(m)
    this.#log.info({ group: this.id, instance: req.groupInstanceId, member: memberId, replaced: old.memberId }, 'static member rejoined')
    if (this.state === 'Stable' && selectProtocol([...this.members.values()]) === this.protocolName) {
      return Promise.resolve({ ...this.#joinResult(m), leader: previousLeader ?? '', members: [] })
    }
    return this.#awaitJoin(m)
  }

  #add (memberId: string, req: JoinRequest): Member {
    const m: Member = {
      memberId, groupInstanceId: req.groupInstanceId, clientId: req.clientId, clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: copyProtocols(req.protocols), assignment: EMPTY, joinWaiter: null, syncWaiter: null, sessionTimer: null
    }
    if (this.members.size === 0) this.protocolType = req.protocolType
    this.members.set(memberId, m)
    this.#initialDelay?.memberJoined()
    this.#touch(m)
    return m
  }

  #prepareRebalance (reason: string): void {
    this.#log.debug({ group: this.id, reason, generation: this.generationId }, 'rebalance')
    for (const m of this.members.values()) {
      m.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      m.syncWaiter = null
    }
    const wasEmpty = this.state === 'Empty'
    this.state = 'PreparingRebalance'
    const timeout = Math.max(0, ...[...this.members.values()].map(m => m.rebalanceTimeoutMs))
    if (this.#rebalanceTimer !== null) this.#clock.clearTimeout(this.#rebalanceTimer)
    this.#rebalanceTimer = this.#clock.setTimeout(() => { this.#rebalanceTimer = null; this.#completeJoin() }, timeout)
    if (wasEmpty && this.#initialDelayMs > 0) {
      this.#initialDelay = new InitialDelay(this.#clock, this.#initialDelayMs, timeout, () => {
        this.#initialDelay = null
        this.#maybeCompleteJoin()
      })
    }
  }

  #cancelInitialDelay (): void {
    this.#initialDelay?.cancel()
    this.#initialDelay = null
  }

  #maybeCompleteJoin (): void {
    if (this.state !== 'PreparingRebalance' || this.#initialDelay !== null) return
    for (const m of this.members.values()) if (m.joinWaiter === null) return
    this.#completeJoin()
  }

  /** Ends the join phase: members that did not rejoin are dropped, a new generation begins. */
  #completeJoin (): void {
    if (this.state !== 'PreparingRebalance') return
    this.#cancelInitialDelay()
    if (this.#rebalanceTimer !== null) { this.#clock.clearTimeout(this.#rebalanceTimer); this.#rebalanceTimer = null }
    for (const m of [...this.members.values()]) if (m.joinWaiter === null) this.#remove(m, ErrorCode.UNKNOWN_MEMBER_ID, false)
    this.generationId++
    if (this.members.size === 0) {
      this.#becomeEmpty()
      return
    }
    const all = [...this.members.values()]
    this.protocolName = selectProtocol(all)
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = all[0].memberId
    this.state = 'CompletingRebalance'
    this.#log.info({ group: this.id, generation: this.generationId, members: all.length, protocol: this.protocolName }, 'group rebalanced')
    for (const m of all) {
      const reply = m.joinWaiter!
      m.joinWaiter = null
      m.assignment = EMPTY
      this.#touch(m)
      reply(this.#joinResult(m))
    }
  }

  #joinResult (m: Member): JoinResult {
    const isLeader = m.memberId === this.leaderId
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId: m.memberId,
      members: isLeader
        ? [...this.members.values()].map(x => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: x.protocols.find(p => p.name === this.protocolName)?.metadata ?? EMPTY }))
        : []
    }
  }

  #becomeEmpty (): void {
    this.state = 'Empty'
    this.protocolName = null
    this.leaderId = null
    this.#cancelInitialDelay()
    if (this.#rebalanceTimer !== null) { this.#clock.clearTimeout(this.#rebalanceTimer); this.#rebalanceTimer = null }
  }

  /** Checks that a request comes from a current member of the current generation. */
  #check (ref: MemberRef): Member | number {
    if (ref.groupInstanceId !== null) {
      const owner = this.#byInstance(ref.groupInstanceId)
      if (owner !== undefined && owner.memberId !== ref.memberId) return ErrorCode.FENCED_INSTANCE_ID
    }
    const m = this.members.get(ref.memberId)
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (ref.generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION
    return m
  }

  sync (req: SyncRequest): Promise<SyncResult> {
    const m = this.#check(req)
    if (typeof m === 'number') return Promise.resolve(syncError(m))
    if ((req.protocolType !== null && req.protocolType !== this.protocolType) || (req.protocolName !== null && req.protocolName !== this.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
    }
    this.#touch(m)
    if (this.state === 'PreparingRebalance') return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
    if (this.state === 'Stable') return Promise.resolve(this.#syncResult(m))
    return new Promise(resolve => {
      m.syncWaiter = resolve
      if (m.memberId !== this.leaderId) return
      const given = new Map(req.assignments.map(a => [a.memberId, Buffer.from(a.assignment)]))
      for (const x of this.members.values()) x.assignment = given.get(x.memberId) ?? EMPTY
      this.state = 'Stable'
      for (const x of this.members.values()) {
        const reply = x.syncWaiter
        x.syncWaiter = null
        reply?.(this.#syncResult(x))
      }
    })
  }

  #syncResult (m: Member): SyncResult {
    return { errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: m.assignment }
  }

  heartbeat (ref: MemberRef): number {
    const m = this.#check(ref)
    if (typeof m === 'number') return m
    this.#touch(m)
    return this.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE
  }

  /**
   * OffsetCommit's membership check: NONE, or why this commit is refused. As in Kafka, a
   * current member may commit while a rebalance is being prepared — it still owns its
   * partitions until it rejoins, and commits them on revocation — but not between its
   * JoinGroup and SyncGroup, when it cannot know what it owns.
   */
  checkCommit (ref: MemberRef): number {
    if (ref.generationId < 0 && ref.memberId === '' && ref.groupInstanceId === null) {
      return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
    }
    const m = this.#check(ref)
    if (typeof m === 'number') return m
    this.#touch(m)
    return this.state === 'CompletingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE
  }

  /** LeaveGroup for one member, named by member id, instance id, or both. */
  leave (memberId: string, groupInstanceId: string | null): number {
    let m: Member | undefined
    if (groupInstanceId !== null) {
      m = this.#byInstance(groupInstanceId)
      if (m !== undefined && memberId !== '' && m.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID
    } else {
      m = this.members.get(memberId)
    }
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    this.#remove(m, ErrorCode.UNKNOWN_MEMBER_ID)
    return ErrorCode.NONE
  }

  /** Removes a member; unless told otherwise, the others rebalance without it. */
  #remove (m: Member, errorForWaiters: number, rebalance = true): void {
    this.members.delete(m.memberId)
    if (m.sessionTimer !== null) this.#clock.clearTimeout(m.sessionTimer)
    m.joinWaiter?.(joinError(errorForWaiters, m.memberId))
    m.syncWaiter?.(syncError(errorForWaiters))
    m.joinWaiter = null
    m.syncWaiter = null
    if (!rebalance) return
    if (this.members.size === 0 && this.state !== 'PreparingRebalance') {
      this.generationId++
      this.#becomeEmpty()
    } else if (this.state === 'PreparingRebalance') this.#maybeCompleteJoin()
    else if (this.state !== 'Empty') this.#prepareRebalance(`member ${m.memberId} left`)
  }

  /** Restarts the member's session timer; a member waiting for a join or sync response is kept alive. */
  #touch (m: Member): void {
    if (m.sessionTimer !== null) this.#clock.clearTimeout(m.sessionTimer)
    m.sessionTimer = this.#clock.setTimeout(() => {
      m.sessionTimer = null
      if (this.members.get(m.memberId) !== m) return
      if (m.joinWaiter !== null || m.syncWaiter !== null) { this.#touch(m); return }
      this.#log.info({ group: this.id, member: m.memberId }, 'member session expired')
      this.#remove(m, ErrorCode.UNKNOWN_MEMBER_ID)
    }, m.sessionTimeoutMs)
  }

  close (): void {
    this.#cancelInitialDelay()
    if (this.#rebalanceTimer !== null) this.#clock.clearTimeout(this.#rebalanceTimer)
    for (const m of this.members.values()) {
      if (m.sessionTimer !== null) this.#clock.clearTimeout(m.sessionTimer)
      m.joinWaiter?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId))
      m.syncWaiter?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    }
    this.state = 'Dead'
  }
}
