// TxnOffsetCommit (key 28): v0-4.
// - v2+ committed leader epoch; v3+ flexible, with the consuming member's generation, member id
//   and group instance id (KIP-447), checked against the group as OffsetCommit's are; v4 only
//   allows TRANSACTION_ABORTABLE, which this broker never sends.
// Behaviour: the offsets are held with the transaction and committed to the group only when it
// commits (dropped on abort). Until then OffsetFetch with require_stable answers
// UNSTABLE_OFFSET_COMMIT for those partitions. The group must have been added to the
// transaction (AddOffsetsToTxn) — else INVALID_TXN_STATE: the offsets would never be committed;
// a stale epoch is INVALID_PRODUCER_EPOCH; a partition that does not exist
// UNKNOWN_TOPIC_OR_PARTITION (the others are held, as Kafka does).
import { registerApi } from './registry.js'
import { findPartition, requestedOffsets } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeTxnOffsetCommitRequest } from '../../protocol/generated/txn-offset-commit-request.js'
import { encodeTxnOffsetCommitResponse } from '../../protocol/generated/txn-offset-commit-response.js'

registerApi({
  key: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeTxnOffsetCommitRequest,
  encodeResponse: encodeTxnOffsetCommitResponse,
  handle (ctx, req, version) {
    const core = ctx.core
    const offsets = requestedOffsets(req.topics, version >= 2)
    const known = (o: { topic: string, partition: number }): boolean => findPartition(core, o.topic, o.partition).log !== undefined
    let errorCode = core.groups.checkTransactionalMember({
      groupId: req.groupId,
      generationId: version >= 3 ? req.generationId : -1,
      memberId: version >= 3 ? req.memberId : '',
      groupInstanceId: version >= 3 ? req.groupInstanceId : null
    })
    if (errorCode === ErrorCode.NONE) {
      errorCode = core.transactions.holdOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId, offsets.filter(known))
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map(t => ({
        name: t.name,
        partitions: t.partitions.map(p => ({
          partitionIndex: p.partitionIndex,
          errorCode: errorCode === ErrorCode.NONE && !known({ topic: t.name, partition: p.partitionIndex }) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : errorCode
        }))
      }))
    }
  }
})
