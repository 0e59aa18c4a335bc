// FindCoordinator (key 10): v0-5.
// - v4+ batch several keys in one request (coordinatorKeys); v0-3 ask for one key.
// - keyType 0 = consumer group, 1 = transaction.
// Behaviour: this node coordinates every group. Transactions are not supported, so a
// transaction coordinator lookup answers COORDINATOR_NOT_AVAILABLE.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import { decodeFindCoordinatorRequest } from '../../protocol/generated/find-coordinator-request.js'
import { encodeFindCoordinatorResponse } from '../../protocol/generated/find-coordinator-response.js'

const GROUP = 0

registerApi({
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeFindCoordinatorRequest,
  encodeResponse: encodeFindCoordinatorResponse,
  handle (ctx, req, version) {
    const { advertisedHost } = ctx.core.options
    const port = ctx.core.port
    const errorCode = req.keyType === GROUP ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE
    const errorMessage = errorCode === ErrorCode.NONE ? null : 'transactions are not supported by this broker'
    const found = errorCode === ErrorCode.NONE
    const keys = version >= 4 ? req.coordinatorKeys : [req.key]
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      nodeId: found ? NODE_ID : -1,
      host: found ? advertisedHost : '',
      port: found ? port : -1,
      coordinators: keys.map(key => ({
        key,
        nodeId: found ? NODE_ID : -1,
        host: found ? advertisedHost : '',
        port: found ? port : -1,
        errorCode,
        errorMessage
      }))
    }
  }
})
