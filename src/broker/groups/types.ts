export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface JoinRequest {
  groupId: string
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: { name: string, metadata: Buffer }[]
  /** JoinGroup v4+: a first join without a member id is answered MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean
}

export interface JoinResult {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  memberId: string
  members: { memberId: string, groupInstanceId: string | null, metadata: Buffer }[]
}

export interface SyncRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  protocolType: string | null
  protocolName: string | null
  assignments: { memberId: string, assignment: Buffer }[]
}

export interface SyncResult { errorCode: number, protocolType: string | null, protocolName: string | null, assignment: Buffer }

export interface MemberRef { groupId: string, generationId: number, memberId: string, groupInstanceId: string | null }
