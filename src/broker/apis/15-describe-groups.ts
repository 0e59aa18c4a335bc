// DescribeGroups (key 15): v0-5.
// - v3+ authorized operations on request (without an authorizer: all a group supports); v4+
//   member instance ids.
// Behaviour: an unknown group is described as state "Dead" with no error, as Kafka does.
import { registerApi } from './registry.js'
import { authorizedOperations, GROUP_OPERATIONS } from './authorized-operations.js'
import { decodeDescribeGroupsRequest } from '../../protocol/generated/describe-groups-request.js'
import { encodeDescribeGroupsResponse } from '../../protocol/generated/describe-groups-response.js'

registerApi({
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeDescribeGroupsRequest,
  encodeResponse: encodeDescribeGroupsResponse,
  handle (ctx, req, version) {
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
        authorizedOperations: authorizedOperations(version >= 3 && req.includeAuthorizedOperations, GROUP_OPERATIONS)
      }))
    }
  }
})
