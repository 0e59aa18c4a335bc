// DescribeGroups (key 15): v0-5.
// - v3+ authorized operations (reported as unknown); v4+ member instance ids.
// Behaviour: an unknown group is described as state "Dead" with no error, as Kafka does.
import { registerApi } from './registry.js'
import { decodeDescribeGroupsRequest } from '../../protocol/generated/describe-groups-request.js'
import { encodeDescribeGroupsResponse } from '../../protocol/generated/describe-groups-response.js'

registerApi({
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeDescribeGroupsRequest,
  encodeResponse: encodeDescribeGroupsResponse,
  handle (ctx, req) {
    return {
      throttleTimeMs: 0,
      groups: ctx.core.groups.describe(req.groups).map(g => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocol,
        members: g.members.map(m => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment
        })),
        authorizedOperations: -2147483648
      }))
    }
  }
})
