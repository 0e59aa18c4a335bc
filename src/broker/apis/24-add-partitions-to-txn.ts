// AddPartitionsToTxn (key 24): v0-3.
// - v1 is v0; v2 answers a stale epoch PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before); v3 flexible.
// - v4+ batch several transactions and add VerifyOnly: Kafka keeps those for its brokers (a
//   partition leader asking the coordinator, KIP-890); clients use v3 and below. Not served.
// Behaviour: the partitions join the id's transaction (which begins with its first partition or
// group, starting its transaction.timeout.ms). Produce with the transactional id is accepted
// only for partitions added here. Any partition that does not exist is
// UNKNOWN_TOPIC_OR_PARTITION and the others of the request OPERATION_NOT_ATTEMPTED, as in Kafka:
// nothing is added.
import { registerApi } from './registry.js'
import { findPartition } from './topic-lookup.js'
import { decodeAddPartitionsToTxnRequest } from '../../protocol/generated/add-partitions-to-txn-request.js'
import { encodeAddPartitionsToTxnResponse } from '../../protocol/generated/add-partitions-to-txn-response.js'

registerApi({
  key: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  decodeRequest: decodeAddPartitionsToTxnRequest,
  encodeResponse: encodeAddPartitionsToTxnResponse,
  handle (ctx, req, version) {
    const partitions = req.v3AndBelowTopics.flatMap(t => t.partitions.map(partition => ({ topic: t.name, partition })))
    const codes = ctx.core.transactions.addPartitions(
      req.v3AndBelowTransactionalId, req.v3AndBelowProducerId, req.v3AndBelowProducerEpoch, partitions,
      p => findPartition(ctx.core, p.topic, p.partition).log !== undefined, version)
    let i = 0
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map(t => ({
        name: t.name,
        resultsByPartition: t.partitions.map(partitionIndex => ({ partitionIndex, partitionErrorCode: codes[i++] }))
      }))
    }
  }
})
