// Fetch (key 1): v4-16.
// - v4 is the first version that carries RecordBatches and an isolation level.
// - v7+ fetch sessions (KIP-227): this broker never creates one (it answers session id 0), so
//   clients keep sending full fetches; a request naming an existing session id is refused with
//   FETCH_SESSION_ID_NOT_FOUND and the client falls back to a full fetch.
// - v13+ identify topics by the id Metadata v10+ reports (persisted in topic.json); an unknown
//   id is UNKNOWN_TOPIC_ID. @platformatic/kafka needs this: its v12 encoder puts the topic id
//   where the name belongs, so it only works with v13+.
// - v15 replica state and v16 node endpoints are for replicas and leader changes: unused here.
// Behaviour: long poll — the response goes out as soon as minBytes are available or maxWaitMs
// has passed, waking on appends rather than polling. Whole stored batches are returned, at
// most partitionMaxBytes per partition and maxBytes in all, except that the first partition
// with data always gets its first batch even above both limits (KIP-74), so consumers always
// make progress; a later partition whose next batch does not fit gets none this time.
// Isolation: read_uncommitted (0) reads up to the high watermark. read_committed (1) reads only
// batches below the partition's last stable offset (the first offset of its earliest open
// transaction, else the high watermark), and lists the aborted transactions (producer id, first
// offset) that overlap the batches returned, so the consumer skips their records; control
// batches are returned as stored (consumers read markers to end a skip and never hand them out).
import { registerApi } from './registry.js'
import { findPartition } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { BrokerCore } from '../core.js'
import { decodeFetchRequest, type FetchRequest, type FetchPartition } from '../../protocol/generated/fetch-request.js'
import { encodeFetchResponse, type PartitionDataInput, type FetchableTopicResponseInput } from '../../protocol/generated/fetch-response.js'

const NO_RECORDS = Buffer.alloc(0)

/** Reads one fetch's worth from every requested partition, within the request's byte budget. */
class Collection {
  bytes = 0
  errors = false
  readonly #core: BrokerCore
  readonly #req: FetchRequest
  #budget: number

  constructor (core: BrokerCore, req: FetchRequest) {
    this.#core = core
    this.#req = req
    this.#budget = req.maxBytes
  }

  topics (version: number): FetchableTopicResponseInput[] {
    return this.#req.topics.map(t => {
      const name = version >= 13 ? this.#core.logs.getTopicById(t.topicId)?.name : t.topic
      return { topic: t.topic, topicId: t.topicId, partitions: t.partitions.map(p => this.#partition(name, p)) }
    })
  }

  #partition (topic: string | undefined, p: FetchPartition): PartitionDataInput {
    const { log, errorCode } = topic === undefined
      ? { log: undefined, errorCode: ErrorCode.UNKNOWN_TOPIC_ID }
      : findPartition(this.#core, topic, p.partition)
    if (log === undefined) {
      this.errors = true
      return { partitionIndex: p.partition, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: NO_RECORDS }
    }
    // KIP-74: only the first partition with data may exceed the limits (by its first batch, so
    // the consumer always progresses); every later one gets only whole batches that fit in
    // what is left of the response's maxBytes, or none.
    const first = this.bytes === 0
    const limit = Math.min(p.partitionMaxBytes, Math.max(0, this.#budget))
    const committed = this.#req.isolationLevel === 1
    const lso = log.lastStableOffset
    const read = log.read(p.fetchOffset, limit, first, committed ? lso : Infinity)
    const code = read.errorCode
    const records = read.records
    if (code !== ErrorCode.NONE) this.errors = true
    const size = records?.length ?? 0
    this.bytes += size
    this.#budget -= size
    const hw = log.logEndOffset
    return {
      partitionIndex: p.partition,
      errorCode: code,
      highWatermark: hw,
      lastStableOffset: lso,
      logStartOffset: log.logStartOffset,
      abortedTransactions: committed && code === ErrorCode.NONE ? log.abortedTransactions(p.fetchOffset, read.nextOffset) : null,
      preferredReadReplica: -1,
      // Kafka sends empty record sets, never null: librdkafka rejects a null one.
      records: records ?? NO_RECORDS
    }
  }
}

registerApi({
  key: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 16,
  decodeRequest: decodeFetchRequest,
  encodeResponse: encodeFetchResponse,
  async handle (ctx, req, version) {
    const core = ctx.core
    if (version >= 7 && req.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] }
    }
    const deadline = core.clock.now() + Math.max(0, req.maxWaitMs)
    for (;;) {
      const c = new Collection(core, req)
      const responses = c.topics(version)
      const left = deadline - core.clock.now()
      if (c.bytes >= req.minBytes || c.errors || req.topics.length === 0 || left <= 0) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }
      }
      await core.waitForAppend(left)
    }
  }
})
