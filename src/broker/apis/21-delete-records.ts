// DeleteRecords (key 21): v0-2.
// Behaviour: moves a partition's log start offset forward (offset -1 means up to the high
// watermark); whole segments below it are deleted, and the new start survives restarts.
import { registerApi } from './registry.js'
import { findPartition } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeDeleteRecordsRequest } from '../../protocol/generated/delete-records-request.js'
import { encodeDeleteRecordsResponse } from '../../protocol/generated/delete-records-response.js'

registerApi({
  key: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  decodeRequest: decodeDeleteRecordsRequest,
  encodeResponse: encodeDeleteRecordsResponse,
  handle (ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map(t => ({
        name: t.name,
        partitions: t.partitions.map(p => {
          const { log, errorCode } = findPartition(ctx.core, t.name, p.partitionIndex)
          if (log === undefined) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode }
          const target = p.offset === -1 ? log.logEndOffset : p.offset
          if (target < 0 || target > log.logEndOffset) {
            return { partitionIndex: p.partitionIndex, lowWatermark: log.logStartOffset, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }
          }
          return { partitionIndex: p.partitionIndex, lowWatermark: log.deleteRecordsBefore(target), errorCode: ErrorCode.NONE }
        })
      }))
    }
  }
})
