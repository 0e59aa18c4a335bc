// ListGroups (key 16): v0-5.
// - v4+ filter by state and report it; v5+ filter by type ("classic" is the only type here).
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeListGroupsRequest } from '../../protocol/generated/list-groups-request.js'
import { encodeListGroupsResponse } from '../../protocol/generated/list-groups-response.js'

registerApi({
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeListGroupsRequest,
  encodeResponse: encodeListGroupsResponse,
  handle (ctx, req, version) {
    const wantTypes = version >= 5 ? req.typesFilter.map(t => t.toLowerCase()) : []
    const groups = wantTypes.length > 0 && !wantTypes.includes('classic')
      ? []
      : ctx.core.groups.list(version >= 4 && req.statesFilter.length > 0 ? req.statesFilter : undefined)
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: groups.map(g => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' }))
    }
  }
})
