// EndTxn (key 26): v0-4.
// - v1 is v0; v2 answers a stale epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3
//   flexible; v4 only allows TRANSACTION_ABORTABLE, which this broker never sends.
// Behaviour: commit or abort. A marker (a control batch: key version 0 + type 1 commit / 0
// abort, value version 0 + coordinator epoch 0) is written to every partition the transaction
// added, before the response; on commit the offsets TxnOffsetCommit held are committed to their
// groups, on abort dropped. A repeat of the outcome just reached (a client retrying) is NONE;
// ending a transaction that is not open is INVALID_TXN_STATE, as in Kafka.
import { registerApi } from './registry.js'
import { decodeEndTxnRequest } from '../../protocol/generated/end-txn-request.js'
import { encodeEndTxnResponse } from '../../protocol/generated/end-txn-response.js'

registerApi({
  key: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeEndTxnRequest,
  encodeResponse: encodeEndTxnResponse,
  handle (ctx, req, version) {
    const errorCode = ctx.core.transactions.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, version)
    return { throttleTimeMs: 0, errorCode }
  }
})
