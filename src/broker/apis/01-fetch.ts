// Fetch (key 1): v4-12.
// - v4 is the first version that carries RecordBatches and an isolation level.
// - v7+ fetch sessions (KIP-227): this broker never creates one (it answers session id 0), so
//   clients keep sending full fetches; a request naming an existing session id is refused with
//   FETCH_SESSION_ID_NOT_FOUND and the client falls back to a full fetch.
// - v13+ identify topics by id only and are not served.
// Behaviour: long poll — the response goes out as soon as minBytes are available or maxWaitMs
// has passed, waking on appends rather than polling. Whole stored batches are returned; the
// first non-empty partition always gets at least one batch even above the byte limits
// (KIP-74), so consumers always make progress. Without transactions the last stable offset
// equals the high watermark.
import { registerApi } from './registry.js'
import { findPartition } from './topic-lookup.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { BrokerCore } from '../core.js'
import { decodeFetchRequest, type FetchRequest } from '../protocol/generated/fetch-request.js'
import { encodeFetchResponse, type PartitionDataInput, type FetchableTopicResponseInput } from '../protocol/generated/fetch-response.js'

const NO_RECORDS = Buffer.alloc(0)

interface Collected { topics: FetchableTopicResponseInput[], bytes: number, errors: boolean }

function collect (core: BrokerCore, req: FetchRequest): Collected {
  let budget = req.maxBytes
  let bytes = 0
  let errors = false
  const readCommitted = req.isolationLevel === 1
  const topics = req.topics.map(t => ({
    topic: t.topic,
    partitions: t.partitions.map((p): PartitionDataInput => {
      const { log, errorCode } = findPartition(core, t.topic, p.partition)
      if (log === undefined) {
        errors = true
        return { partitionIndex: p.partition, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: NO_RECORDS }
      }
      let records: Buffer | null = null
      let code: number = ErrorCode.NONE
      if (budget > 0 || bytes === 0) {
        const limit = bytes === 0 ? Math.max(1, Math.min(p.partitionMaxBytes, req.maxBytes)) : Math.min(p.partitionMaxBytes, budget)
        const read = log.read(p.fetchOffset, limit)
        code = read.errorCode
        records = read.records
      } else if (p.fetchOffset > log.logEndOffset || p.fetchOffset < log.logStartOffset) {
        code = ErrorCode.OFFSET_OUT_OF_RANGE
      }
      if (code !== ErrorCode.NONE) errors = true
      const size = records?.length ?? 0
      bytes += size
      budget -= size
      const hw = log.logEndOffset
      return {
        partitionIndex: p.partition,
        errorCode: code,
        highWatermark: hw,
        lastStableOffset: hw,
        logStartOffset: log.logStartOffset,
        abortedTransactions: readCommitted ? [] : null,
        preferredReadReplica: -1,
        // Kafka sends empty record sets, never null: librdkafka rejects a null one.
        records: records ?? NO_RECORDS
      }
    })
  }))
  return { topics, bytes, errors }
}

registerApi({
  key: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 12,
  decodeRequest: decodeFetchRequest,
  encodeResponse: encodeFetchResponse,
  async handle (ctx, req, version) {
    const core = ctx.core
    if (version >= 7 && req.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] }
    }
    const deadline = core.clock.now() + Math.max(0, req.maxWaitMs)
    let result = collect(core, req)
    while (result.bytes < req.minBytes && !result.errors && req.topics.length > 0) {
      const left = deadline - core.clock.now()
      if (left <= 0) break
      await core.waitForAppend(left)
      result = collect(core, req)
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: result.topics }
  }
})
