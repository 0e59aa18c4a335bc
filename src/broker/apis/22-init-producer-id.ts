// InitProducerId (key 22): v0-4.
// - v2+ flexible; v3+ an existing producer id and epoch may be passed to bump the epoch.
// Behaviour: idempotent producers get a producer id that is never reused (ids are reserved on
// disk in blocks). Transactional ids are refused: transactions are not supported.
import { registerApi } from './registry.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { decodeInitProducerIdRequest } from '../protocol/generated/init-producer-id-request.js'
import { encodeInitProducerIdResponse } from '../protocol/generated/init-producer-id-response.js'

const MAX_EPOCH = 32767

registerApi({
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeInitProducerIdRequest,
  encodeResponse: encodeInitProducerIdResponse,
  handle (ctx, req, version) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 }
    }
    if (version >= 3 && req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.core.producerIds.next(), producerEpoch: 0 }
  }
})
