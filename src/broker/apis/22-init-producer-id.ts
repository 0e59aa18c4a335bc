// InitProducerId (key 22): v0-4.
// - v2+ flexible; v3+ carry the producer's current id and epoch (KIP-360: a producer resuming
//   after an error names them, and must be the id's current holder); v4 answers a stale holder
//   PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH. v5 (TRANSACTION_ABORTABLE, KIP-890) is
//   not served.
// Behaviour: like Kafka, a request without a transactional id always gets a fresh producer id
// (never reused: ids are reserved on disk in blocks) with epoch 0 — @platformatic/kafka sends
// id 0 / epoch 0 on its first request. With a transactional id the transaction coordinator
// answers (src/broker/txn/coordinator.ts): the id's own producer id, kept across restarts, with
// the next epoch; a transaction the previous holder left open is aborted first. A
// transaction.timeout.ms above 900000 (Kafka's transaction.max.timeout.ms) is
// INVALID_TRANSACTION_TIMEOUT, an empty transactional id INVALID_REQUEST (as Kafka).
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
  handle (ctx, req, version) {
    if (req.transactionalId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1, producerEpoch: -1 }
    if (req.transactionalId !== null) {
      const pid = version >= 3 ? req.producerId : -1
      const epoch = version >= 3 ? req.producerEpoch : -1
      return { throttleTimeMs: 0, ...ctx.core.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, pid, epoch, version) }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.core.producerIds.next(), producerEpoch: 0 }
  }
})
