// FindCoordinator (key 10): v0-5.
// - v4+ batch several keys in one request (coordinatorKeys); v0-3 ask for one key.
// - keyType 0 = consumer group, 1 = transaction.
// Behaviour: this node coordinates every group. Transactions are not supported: a transaction
// coordinator lookup answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which every client treats
// as fatal at once (librdkafka raises a fatal error, kafkajs does not retry it), with a message
// saying why. COORDINATOR_NOT_AVAILABLE would be retried until the client's transaction
// timeout, 10-60 s later, with no hint of the cause.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import { decodeFindCoordinatorRequest } from '../../protocol/generated/find-coordinator-request.js'
import { encodeFindCoordinatorResponse } from '../../protocol/generated/find-coordinator-response.js'

const GROUP = 0
export const NO_TRANSACTIONS = 'the Tidewatch broker does not support transactions: produce without a transactional id (idempotence alone is supported)'

registerApi({
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 5,
  decodeRequest: decodeFindCoordinatorRequest,
  encodeResponse: encodeFindCoordinatorResponse,
  handle (ctx, req, version) {
    // The listener the client came in on: its coordinator is reached the same way.
    const { advertisedHost, port } = ctx.connection.listener
    const errorCode = req.keyType === GROUP ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    const errorMessage = errorCode === ErrorCode.NONE ? null : NO_TRANSACTIONS
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
