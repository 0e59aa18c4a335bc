// LeaveGroup (key 13): v0-5.
// - v0-2 name one member; v3+ (KIP-345) a batch of members, by member id or instance id.
// - v5 adds a reason per member (logged only).
import { registerApi } from './registry.js'
import { decodeLeaveGroupRequest } from '../../protocol/generated/leave-group-request.js'
import { encodeLeaveGroupResponse } from '../../protocol/generated/leave-group-response.js'

registerApi({
  key: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeLeaveGroupRequest,
  encodeResponse: encodeLeaveGroupResponse,
  handle (ctx, req, version) {
    const members = version >= 3
      ? req.members.map(m => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
      : [{ memberId: req.memberId, groupInstanceId: null }]
    const result = ctx.core.groups.leave(req.groupId, members)
    // v0-2 have one top-level error: the single member's.
    const errorCode = version >= 3 ? result.errorCode : (result.errorCode !== 0 ? result.errorCode : result.members[0]?.errorCode ?? 0)
    return { throttleTimeMs: 0, errorCode, members: result.members }
  }
})
