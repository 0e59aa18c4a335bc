// JoinGroup (key 11): v0-9.
// - v0 has no rebalance timeout (the session timeout is used).
// - v4+ (KIP-394): a first join without a member id is answered MEMBER_ID_REQUIRED with an id
//   to rejoin with, so a client that dies before rejoining leaves no ghost member behind.
// - v5+ static membership (group instance id); v8+ a join reason (logged only).
// Behaviour: the group's owner (groups/) decides; this file only maps the wire format.
// The response is held until the group's join phase completes.
import { registerApi } from './registry.js'
import { decodeJoinGroupRequest } from '../../protocol/generated/join-group-request.js'
import { encodeJoinGroupResponse } from '../../protocol/generated/join-group-response.js'

registerApi({
  key: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  decodeRequest: decodeJoinGroupRequest,
  encodeResponse: encodeJoinGroupResponse,
  async handle (ctx, req, version) {
    const result = await ctx.core.groups.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: version >= 5 ? req.groupInstanceId : null,
      clientId: ctx.connection.clientId,
      clientHost: ctx.connection.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map(p => ({ name: p.name, metadata: p.metadata })),
      requireKnownMemberId: version >= 4
    })
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Before v7 the protocol name is not nullable; an empty string stands for "none".
      protocolName: result.protocolName ?? (version >= 7 ? null : ''),
      leader: result.leader,
      skipAssignment: false,
      memberId: result.memberId,
      members: result.members.map(m => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata }))
    }
  }
})
