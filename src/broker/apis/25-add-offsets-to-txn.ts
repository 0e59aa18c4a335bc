// AddOffsetsToTxn (key 25): v0-4.
// - v1 is v0; v2 answers a stale epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3
//   flexible; v4 only allows TRANSACTION_ABORTABLE, which this broker never sends.
// Behaviour: the group joins the id's transaction (Kafka adds the group's __consumer_offsets
// partition); TxnOffsetCommit for that group is accepted from then on, and its offsets are
// committed with the transaction (sendOffsetsToTransaction).
import { registerApi } from './registry.js'
import { decodeAddOffsetsToTxnRequest } from '../../protocol/generated/add-offsets-to-txn-request.js'
import { encodeAddOffsetsToTxnResponse } from '../../protocol/generated/add-offsets-to-txn-response.js'

registerApi({
  key: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeAddOffsetsToTxnRequest,
  encodeResponse: encodeAddOffsetsToTxnResponse,
  handle (ctx, req, version) {
    const errorCode = ctx.core.transactions.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId, version)
    return { throttleTimeMs: 0, errorCode }
  }
})
