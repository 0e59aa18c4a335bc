// OffsetDelete (key 47): v0 (KIP-496).
// Behaviour: forgets a group's committed offsets for the named partitions. A partition that
// does not exist is UNKNOWN_TOPIC_OR_PARTITION; a topic an active member subscribes to is
// GROUP_SUBSCRIBED_TO_TOPIC (its offsets stay); the group's own problems (GROUP_ID_NOT_FOUND,
// NON_EMPTY_GROUP for a non-consumer group with members) are the response's error code.
import { registerApi } from './registry.js'
import { findPartition } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeOffsetDeleteRequest } from '../../protocol/generated/offset-delete-request.js'
import { encodeOffsetDeleteResponse } from '../../protocol/generated/offset-delete-response.js'

registerApi({
  key: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  decodeRequest: decodeOffsetDeleteRequest,
  encodeResponse: encodeOffsetDeleteResponse,
  handle (ctx, req) {
    const asked = req.topics.flatMap(t => t.partitions.map(p => ({ topic: t.name, partition: p.partitionIndex })))
    const known = asked.filter(x => findPartition(ctx.core, x.topic, x.partition).log !== undefined)
    const result = ctx.core.groups.deleteOffsets(req.groupId, known)
    if (result.errorCode !== ErrorCode.NONE) return { errorCode: result.errorCode, throttleTimeMs: 0, topics: [] }
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map(t => ({
        name: t.name,
        partitions: t.partitions.map(p => ({
          partitionIndex: p.partitionIndex,
          errorCode: result.partitions.find(r => r.topic === t.name && r.partition === p.partitionIndex)?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        }))
      }))
    }
  }
})
