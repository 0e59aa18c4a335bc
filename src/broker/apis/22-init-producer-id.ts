// InitProducerId (key 22): v0-4.
// - v2+ flexible; v3+ carry the producer's current id and epoch, which matter only for
//   transactional producers.
// Behaviour: like Kafka, a request without a transactional id always gets a fresh producer id
// (never reused: ids are reserved on disk in blocks) with epoch 0 — @platformatic/kafka sends
// id 0 / epoch 0 on its first request. Transactional ids are refused: no transactions here.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeInitProducerIdRequest } from '../../protocol/generated/init-producer-id-request.js'
import { encodeInitProducerIdResponse } from '../../protocol/generated/init-producer-id-response.js'

registerApi({
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeInitProducerIdRequest,
  encodeResponse: encodeInitProducerIdResponse,
  handle (ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.core.producerIds.next(), producerEpoch: 0 }
  }
})
