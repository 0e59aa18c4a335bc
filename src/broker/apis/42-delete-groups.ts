// DeleteGroups (key 42): v0-2.
// - v1 only changes throttling semantics; v2 is flexible.
// Behaviour: each group is deleted with its committed offsets when it has no members; one with
// members is NON_EMPTY_GROUP, one never seen GROUP_ID_NOT_FOUND (Kafka's answers). Admin tools
// (librdkafka's DeleteGroups, kafka-consumer-groups --delete) call it to clean up.
import { registerApi } from './registry.js'
import { decodeDeleteGroupsRequest } from '../../protocol/generated/delete-groups-request.js'
import { encodeDeleteGroupsResponse } from '../../protocol/generated/delete-groups-response.js'

registerApi({
  key: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeDeleteGroupsRequest,
  encodeResponse: encodeDeleteGroupsResponse,
  handle (ctx, req) {
    return {
      throttleTimeMs: 0,
      results: req.groupsNames.map(groupId => ({ groupId, errorCode: ctx.core.groups.deleteGroup(groupId) }))
    }
  }
})
