// OffsetFetch (key 9): v0-9.
// - v2+ a null topic list fetches every committed offset of the group.
// - v5-7 committed leader epoch; v8+ (KIP-709) several groups per request; v9 adds member
//   id/epoch for the new consumer protocol, ignored for classic groups.
// Behaviour: an offset never committed is -1 with empty metadata and leader epoch -1; a
// committed one comes back with the leader epoch it was committed with (v5+). A client that
// would validate it with OffsetForLeaderEpoch finds that API not offered and skips validation
// (librdkafka does), which is right for a single node whose log is never truncated by a new
// leader.
// - v7+ require_stable (KIP-447): a partition for which an open transaction holds an offset
//   (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT, which the consumer retries, so it does
//   not start from an offset the transaction is about to move.
import { registerApi } from './registry.js'
import { decodeOffsetFetchRequest } from '../../protocol/generated/offset-fetch-request.js'
import { encodeOffsetFetchResponse } from '../../protocol/generated/offset-fetch-response.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { BrokerCore } from '../core.js'

function fetchGroup (core: BrokerCore, groupId: string, topics: { name: string, partitionIndexes: number[] }[] | null, requireStable: boolean) {
  const result = core.groups.fetchOffsets(groupId, topics === null ? null : topics.map(t => ({ topic: t.name, partitions: t.partitionIndexes })))
  return {
    errorCode: result.errorCode,
    topics: result.topics.map(t => ({
      name: t.topic,
      partitions: t.partitions.map(p => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        committedLeaderEpoch: p.leaderEpoch,
        metadata: p.metadata,
        errorCode: p.errorCode === ErrorCode.NONE && requireStable && core.transactions.hasHeldOffset(groupId, t.topic, p.partition) ? ErrorCode.UNSTABLE_OFFSET_COMMIT : p.errorCode
      }))
    }))
  }
}

registerApi({
  key: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  decodeRequest: decodeOffsetFetchRequest,
  encodeResponse: encodeOffsetFetchResponse,
  handle (ctx, req, version) {
    const stable = version >= 7 && req.requireStable
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        groups: req.groups.map(g => ({ groupId: g.groupId, ...fetchGroup(ctx.core, g.groupId, g.topics, stable) }))
      }
    }
    const one = fetchGroup(ctx.core, req.groupId, version >= 2 ? req.topics : (req.topics ?? []), stable)
    return { throttleTimeMs: 0, topics: one.topics, errorCode: one.errorCode }
  }
})
