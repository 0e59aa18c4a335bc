// FindCoordinator (key 10): v0-5.
// - v4+ batch several keys in one request (coordinatorKeys); v0-3 ask for one key.
// - keyType 0 = consumer group, 1 = transaction (transactional id).
// Behaviour: this node coordinates every group and every transactional id, reached on the
// listener the client came in on. Any other key type is INVALID_REQUEST, as in Kafka 3.8.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import { decodeFindCoordinatorRequest } from '../../protocol/generated/find-coordinator-request.js'
import { encodeFindCoordinatorResponse } from '../../protocol/generated/find-coordinator-response.js'

const GROUP = 0
const TRANSACTION = 1

registerApi({
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeFindCoordinatorRequest,
  encodeResponse: encodeFindCoordinatorResponse,
  handle (ctx, req, version) {
    const { advertisedHost, port } = ctx.connection.listener
    const found = req.keyType === GROUP || req.keyType === TRANSACTION
    const errorCode = found ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST
    const errorMessage = found ? null : `unknown coordinator key type ${req.keyType}`
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
