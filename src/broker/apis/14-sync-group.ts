// SyncGroup (key 14): v0-5.
// - v3+ group instance id; v5+ protocol type and name, checked against the group's when given.
// Behaviour: followers' responses are held until the leader's SyncGroup brings the assignment.
import { registerApi } from './registry.js'
import { decodeSyncGroupRequest } from '../../protocol/generated/sync-group-request.js'
import { encodeSyncGroupResponse } from '../../protocol/generated/sync-group-response.js'

registerApi({
  key: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeSyncGroupRequest,
  encodeResponse: encodeSyncGroupResponse,
  async handle (ctx, req, version) {
    const result = await ctx.core.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null,
      protocolType: version >= 5 ? req.protocolType : null,
      protocolName: version >= 5 ? req.protocolName : null,
      assignments: req.assignments.map(a => ({ memberId: a.memberId, assignment: a.assignment }))
    })
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      protocolType: result.protocolType,
      protocolName: result.protocolName,
      assignment: result.assignment
    }
  }
})
