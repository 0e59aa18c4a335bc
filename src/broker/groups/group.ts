import { randomUUID } from 'node:crypto'
import type { Clock, TimerHandle } from '../../shared/clock.js'
import type { Logger } from '../../shared/logger.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { compatibleProtocols, selectProtocol } from './protocol-selection.js'
import type { GroupState, JoinRequest, JoinResult, MemberRef, SyncRequest, SyncResult } from './types.js'

const EMPTY = Buffer.alloc(0)

interface Member {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocols: { name: string, metadata: Buffer }[]
  assignment: Buffer
  joinWaiter: ((r: JoinResult) => void) | null
  syncWaiter: ((r: SyncResult) => void) | null
  sessionTimer: TimerHandle | null
}

const joinError = (errorCode: number, memberId = ''): JoinResult =>
  ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] })
const syncError = (errorCode: number): SyncResult => ({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY })

/**
 * One consumer group (classic protocol) and the only owner of its state. Every request and
 * every timer of the group goes through this object; the state machine is
 * Empty → PreparingRebalance → CompletingRebalance → Stable, back to PreparingRebalance on any
 * membership change, and to Empty when the last member goes.
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
  #joinNotBefore = 0

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
      const memberId = `${req.clientId}-${randomUUID()}`
      const old = req.groupInstanceId === null ? undefined : [...this.members.values()].find(m => m.groupInstanceId === req.groupInstanceId)
      if (old !== undefined) this.#remove(old, ErrorCode.FENCED_INSTANCE_ID)
      else if (req.requireKnownMemberId) {
        this.#pending.add(memberId)
        this.#clock.setTimeout(() => this.#pending.delete(memberId), req.sessionTimeoutMs)
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId))
      }
      member = this.#add(memberId, req)
    } else if (member === undefined) {
      if (!this.#pending.delete(req.memberId)) {
        const fenced = req.groupInstanceId !== null && [...this.members.values()].some(m => m.groupInstanceId === req.groupInstanceId)
        return Promise.resolve(joinError(fenced ? ErrorCode.FENCED_INSTANCE_ID : ErrorCode.UNKNOWN_MEMBER_ID, req.memberId))
      }
      member = this.#add(req.memberId, req)
    } else {
      const unchanged = sameProtocols(member.protocols, req.protocols)
      Object.assign(member, { protocols: copyProtocols(req.protocols), sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs, clientId: req.clientId })
      // A follower rejoining with nothing changed gets the current generation, no rebalance.
      if (unchanged && (this.state === 'CompletingRebalance' || (this.state === 'Stable' && member.memberId !== this.leaderId))) {
        this.#touch(member)
        return Promise.resolve(this.#joinResult(member))
      }
    }
    const joined = member
    return new Promise(resolve => {
      joined.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, joined.memberId))
      joined.joinWaiter = resolve
      if (this.state !== 'PreparingRebalance') this.#prepareRebalance(`member ${joined.memberId} joined`)
      this.#maybeCompleteJoin()
    })
  }

  #add (memberId: string, req: JoinRequest): Member {
    const m: Member = {
      memberId, groupInstanceId: req.groupInstanceId, clientId: req.clientId, clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: copyProtocols(req.protocols), assignment: EMPTY, joinWaiter: null, syncWaiter: null, sessionTimer: null
    }
    if (this.members.size === 0) this.protocolType = req.protocolType
    this.members.set(memberId, m)
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
    this.#joinNotBefore = wasEmpty ? this.#clock.now() + this.#initialDelayMs : 0
    if (this.#rebalanceTimer !== null) this.#clock.clearTimeout(this.#rebalanceTimer)
    this.#rebalanceTimer = this.#clock.setTimeout(() => { this.#rebalanceTimer = null; this.#completeJoin() }, timeout)
    if (wasEmpty && this.#initialDelayMs > 0) this.#clock.setTimeout(() => this.#maybeCompleteJoin(), this.#initialDelayMs)
  }

  #maybeCompleteJoin (): void {
    if (this.state !== 'PreparingRebalance') return
    if (this.#clock.now() < this.#joinNotBefore) return
    for (const m of this.members.values()) if (m.joinWaiter === null) return
    this.#completeJoin()
  }

  /** Ends the join phase: members that did not rejoin are dropped, a new generation begins. */
  #completeJoin (): void {
    if (this.state !== 'PreparingRebalance') return
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
    if (this.#rebalanceTimer !== null) { this.#clock.clearTimeout(this.#rebalanceTimer); this.#rebalanceTimer = null }
  }

  /** Checks that a request comes from a current member of the current generation. */
  #check (ref: MemberRef): Member | number {
    const m = this.members.get(ref.memberId)
    if (m === undefined) {
      const fenced = ref.groupInstanceId !== null && [...this.members.values()].some(x => x.groupInstanceId === ref.groupInstanceId)
      return fenced ? ErrorCode.FENCED_INSTANCE_ID : ErrorCode.UNKNOWN_MEMBER_ID
    }
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
      // Copied: the request's bytes are a view into a frame that is otherwise garbage.
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

  /** OffsetCommit's membership check: NONE, or why this commit is refused. */
  checkCommit (ref: MemberRef): number {
    if (ref.generationId < 0 && ref.memberId === '') return this.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
    const m = this.#check(ref)
    if (typeof m === 'number') return m
    this.#touch(m)
    return this.state === 'Stable' ? ErrorCode.NONE : ErrorCode.REBALANCE_IN_PROGRESS
  }

  leave (memberId: string, groupInstanceId: string | null): number {
    const m = memberId !== '' ? this.members.get(memberId) : [...this.members.values()].find(x => x.groupInstanceId === groupInstanceId)
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (groupInstanceId !== null && m.groupInstanceId !== groupInstanceId) return ErrorCode.FENCED_INSTANCE_ID
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
      if (!this.members.has(m.memberId)) return
      if (m.joinWaiter !== null || m.syncWaiter !== null) { this.#touch(m); return }
      this.#log.info({ group: this.id, member: m.memberId }, 'member session expired')
      this.#remove(m, ErrorCode.UNKNOWN_MEMBER_ID)
    }, m.sessionTimeoutMs)
  }

  close (): void {
    if (this.#rebalanceTimer !== null) this.#clock.clearTimeout(this.#rebalanceTimer)
    for (const m of this.members.values()) {
      if (m.sessionTimer !== null) this.#clock.clearTimeout(m.sessionTimer)
      m.joinWaiter?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId))
      m.syncWaiter?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE))
    }
    this.state = 'Dead'
  }
}

function sameProtocols (a: { name: string, metadata: Buffer }[], b: { name: string, metadata: Buffer }[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata))
}

function copyProtocols (protocols: { name: string, metadata: Buffer }[]): { name: string, metadata: Buffer }[] {
  return protocols.map(p => ({ name: p.name, metadata: Buffer.from(p.metadata) }))
}
