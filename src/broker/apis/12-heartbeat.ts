// Heartbeat (key 12): v0-4.
// - v3+ group instance id; v4 flexible.
// Behaviour: REBALANCE_IN_PROGRESS tells a member to rejoin; ILLEGAL_GENERATION and
// UNKNOWN_MEMBER_ID tell it its membership is gone.
import { registerApi } from './registry.js'
import { decodeHeartbeatRequest } from '../../protocol/generated/heartbeat-request.js'
import { encodeHeartbeatResponse } from '../../protocol/generated/heartbeat-response.js'

registerApi({
  key: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeHeartbeatRequest,
  encodeResponse: encodeHeartbeatResponse,
  handle (ctx, req, version) {
    const errorCode = ctx.core.groups.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: version >= 3 ? req.groupInstanceId : null
    })
    return { throttleTimeMs: 0, errorCode }
  }
})
