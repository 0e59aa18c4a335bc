// OffsetCommit (key 8): v0-9.
// - v0 commits without a generation (standalone), v1+ with generation and member id.
// - v2-4 carry a retention time, ignored: committed offsets are kept until the group is
//   deleted or the topic is. v6+ committed leader epoch; v7+ group instance id; v8+ flexible;
//   v9 has v8's shape.
// Behaviour: the commit is on disk (page cache) before the response; offsets survive restarts.
// A partition that does not exist is answered UNKNOWN_TOPIC_OR_PARTITION and not stored, as
// Kafka does, whatever the group's state; the others are judged by the group (a current member
// may commit while a rebalance is being prepared).
import { registerApi } from './registry.js'
import { findPartition, requestedOffsets } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeOffsetCommitRequest } from '../../protocol/generated/offset-commit-request.js'
import { encodeOffsetCommitResponse } from '../../protocol/generated/offset-commit-response.js'

registerApi({
  key: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  decodeRequest: decodeOffsetCommitRequest,
  encodeResponse: encodeOffsetCommitResponse,
  handle (ctx, req, version) {
    const offsets = requestedOffsets(req.topics, version >= 6)
    const exists = (o: { topic: string, partition: number }): boolean => findPartition(ctx.core, o.topic, o.partition).log !== undefined
    const known = offsets.filter(exists)
    const committed = known.length === 0
      ? []
      : ctx.core.groups.commitOffsets({
        groupId: req.groupId,
        generationId: version >= 1 ? req.generationIdOrMemberEpoch : -1,
        memberId: version >= 1 ? req.memberId : '',
        groupInstanceId: version >= 7 ? req.groupInstanceId : null,
        offsets: known
      })
    const results = offsets.map(o => exists(o)
      ? committed.find(r => r.topic === o.topic && r.partition === o.partition)!
      : { topic: o.topic, partition: o.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })
    const byTopic = new Map<string, { partitionIndex: number, errorCode: number }[]>()
    for (const r of results) {
      let list = byTopic.get(r.topic)
      if (list === undefined) byTopic.set(r.topic, list = [])
      list.push({ partitionIndex: r.partition, errorCode: r.errorCode })
    }
    return { throttleTimeMs: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }
  }
})
