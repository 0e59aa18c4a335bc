// ListOffsets (key 2): v0-8.
// - v0 answers with the old-style offsets array; v1+ with one offset and its timestamp.
// - v2+ isolation level: under read_committed (1), latest is the last stable offset.
// - Special timestamps: -1 latest (log end), -2 earliest (log start), -3 max timestamp (v7+),
//   -4 earliest local (v8+; the same as earliest here, nothing is tiered).
// Behaviour: a timestamp >= 0 finds the first batch whose max timestamp is at or after it;
// none found gives offset -1, as Kafka does. Leader epochs are -1 (see Metadata).
import { registerApi } from './registry.js'
import { findPartition } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { PartitionLog } from '../log/partition-log.js'
import { decodeListOffsetsRequest } from '../../protocol/generated/list-offsets-request.js'
import { encodeListOffsetsResponse } from '../../protocol/generated/list-offsets-response.js'

const LATEST = -1
const EARLIEST = -2
const MAX_TIMESTAMP = -3
const EARLIEST_LOCAL = -4

function lookup (log: PartitionLog, timestamp: number, readCommitted: boolean): { offset: number, timestamp: number } {
  switch (timestamp) {
    case LATEST: return { offset: readCommitted ? log.lastStableOffset : log.logEndOffset, timestamp: -1 }
    case EARLIEST:
    case EARLIEST_LOCAL: return { offset: log.logStartOffset, timestamp: -1 }
    case MAX_TIMESTAMP: return log.maxTimestampOffset() ?? { offset: -1, timestamp: -1 }
    default: return log.offsetForTimestamp(timestamp) ?? { offset: -1, timestamp: -1 }
  }
}

registerApi({
  key: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 8,
  decodeRequest: decodeListOffsetsRequest,
  encodeResponse: encodeListOffsetsResponse,
  handle (ctx, req, version) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map(t => ({
        name: t.name,
        partitions: t.partitions.map(p => {
          const { log, errorCode } = findPartition(ctx.core, t.name, p.partitionIndex)
          const valid = p.timestamp >= 0 || p.timestamp === LATEST || p.timestamp === EARLIEST ||
            (p.timestamp === MAX_TIMESTAMP && version >= 7) || (p.timestamp === EARLIEST_LOCAL && version >= 8)
          if (log === undefined || !valid) {
            const code = log === undefined ? errorCode : ErrorCode.UNSUPPORTED_VERSION
            return { partitionIndex: p.partitionIndex, errorCode: code, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 }
          }
          const found = lookup(log, p.timestamp, version >= 2 && req.isolationLevel === 1)
          return {
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            oldStyleOffsets: found.offset >= 0 ? [found.offset] : [],
            timestamp: found.timestamp,
            offset: found.offset,
            leaderEpoch: -1
          }
        })
      }))
    }
  }
})
