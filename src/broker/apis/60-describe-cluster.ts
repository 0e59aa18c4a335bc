// DescribeCluster (key 60): v0-1.
// - v0+ flexible; v1 adds an endpoint type (1 brokers, 2 controllers).
// Behaviour: this node is the whole cluster and its controller. Authorized operations on
// request: without an authorizer, everything a cluster supports. Asking for controllers is
// UNSUPPORTED_VERSION, as a broker (not a KRaft controller) answers it.
import { registerApi } from './registry.js'
import { authorizedOperations, CLUSTER_OPERATIONS } from './authorized-operations.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import { decodeDescribeClusterRequest } from '../../protocol/generated/describe-cluster-request.js'
import { encodeDescribeClusterResponse } from '../../protocol/generated/describe-cluster-response.js'

const BROKERS = 1

registerApi({
  key: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  decodeRequest: decodeDescribeClusterRequest,
  encodeResponse: encodeDescribeClusterResponse,
  handle (ctx, req, version) {
    const core = ctx.core
    const endpointType = version >= 1 ? req.endpointType : BROKERS
    if (endpointType !== BROKERS) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: 'only brokers (endpoint type 1) can be described here', endpointType, clusterId: core.clusterId, controllerId: -1, brokers: [], clusterAuthorizedOperations: -2147483648 }
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType,
      clusterId: core.clusterId,
      controllerId: NODE_ID,
      brokers: [{ brokerId: NODE_ID, host: ctx.connection.listener.advertisedHost, port: ctx.connection.listener.port, rack: null }],
      clusterAuthorizedOperations: authorizedOperations(req.includeClusterAuthorizedOperations, CLUSTER_OPERATIONS)
    }
  }
})
