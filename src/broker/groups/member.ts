import type { TimerHandle } from '../../shared/clock.js'
import type { JoinResult, SyncResult } from './types.js'

export const EMPTY = Buffer.alloc(0)

/** One member of a classic group, as its group owns it. */
export interface Member {
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

export const joinError = (errorCode: number, memberId = ''): JoinResult =>
  ({ errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] })

export const syncError = (errorCode: number): SyncResult => ({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY })

export function sameProtocols (a: { name: string, metadata: Buffer }[], b: { name: string, metadata: Buffer }[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata))
}

/** Copied: request bytes are views into a frame that is otherwise garbage once answered. */
export function copyProtocols (protocols: { name: string, metadata: Buffer }[]): { name: string, metadata: Buffer }[] {
  return protocols.map(p => ({ name: p.name, metadata: Buffer.from(p.metadata) }))
}
