// Producing ingested records into a topic through the broker's own append path: the topic is
// found or auto-created exactly as Produce does it (findOrCreateTopic), each partition's records
// become RecordBatches (the broker's batch builder), and PartitionLog.append validates, assigns
// offsets, writes, and wakes fetchers and the autoscaler — the same as a Kafka producer's write.
//
// Partitioning: records from one pod go to one partition (hash of namespace/pod), so a pod's
// lines keep their order and same-pod context finds them together; records without a pod go to
// one partition picked at random per request (what Kafka's sticky partitioner does for keyless
// records). No Kafka key is set, as Fluent Bit sets none.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { crc32 } from '@node-rs/crc32'
import type { BrokerCore } from '../broker/core.js'
import { isValidTopicName, type Topic } from '../broker/log/log-manager.js'
import { findOrCreateTopic } from '../broker/apis/topic-lookup.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { buildBatch, type BatchRecord } from '../protocol/record-batch/index.js'
import { LogStoreError, badParam } from './errors.js'
import { podOf } from './field-path.js'
import type { IngestRecord } from './ingest-body.js'

// Bytes a record adds to a batch beyond its value: length, attributes, deltas, key, headers
// varints. Generous, so a batch never exceeds max.message.bytes.
const RECORD_OVERHEAD = 32
const BATCH_HEADER = 61
// Batches the log store reads back are decoded whole; smaller ones keep a context or search
// read from decoding far more records than it needs. Kafka producers default to 16 KiB-1 MiB.
const TARGET_BATCH_BYTES = 64 * 1024
/** Longest stretch of appending before other work gets a turn. */
const SLICE_MS = 20

export interface IngestResult {
  accepted: number
  topic: string
  partitions: { partition: number, baseOffset: number, lastOffset: number, count: number }[]
}

/** Appends `records` to `topicName`, creating the topic when the broker auto-creates topics. */
export async function ingestRecords (core: BrokerCore, topicName: string, records: IngestRecord[]): Promise<IngestResult> {
  if (!isValidTopicName(topicName)) throw badParam('topic', `invalid topic name '${topicName}': use 1-249 characters of a-z A-Z 0-9 . _ - (not '.' or '..')`)
  const found = findOrCreateTopic(core, topicName, true)
  if (found.topic === undefined) {
    if (found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new LogStoreError(404, `topic '${topicName}' does not exist and the broker does not auto-create topics: create it first`, 'topic')
    throw new LogStoreError(500, `cannot create topic '${topicName}' (Kafka error ${found.errorCode})`, 'topic')
  }
  const topic = found.topic
  const maxBatchBytes = maxMessageBytes(core, topic)
  const byPartition = assignPartitions(topic, records)
  // Check every record fits before writing any, so a request is not half-ingested for size.
  records.forEach((r, i) => {
    const size = BATCH_HEADER + RECORD_OVERHEAD + Buffer.byteLength(r.value)
    if (size > maxBatchBytes) throw new LogStoreError(413, `record ${i} is ${size} bytes as a record batch; topic '${topicName}' accepts at most ${maxBatchBytes} (max.message.bytes)`, 'body')
  })
  const result: IngestResult = { accepted: 0, topic: topicName, partitions: [] }
  let sliceStart = Date.now()
  for (const [partition, recs] of byPartition) {
    const log = topic.partitions[partition]
    let baseOffset = -1
    let lastOffset = -1
    for (const chunk of chunksWithin(recs, Math.min(maxBatchBytes, TARGET_BATCH_BYTES))) {
      const batch = buildBatch(chunk.map((r): BatchRecord => ({ key: null, value: r.value, timestamp: r.timestamp })))
      const appended = log.append(batch, core.clock.now())
      if (appended.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) {
        // A full or failing disk: nothing of this batch was stored, and a retry may succeed.
        throw new LogStoreError(503, `the broker cannot write to its disk (KAFKA_STORAGE_ERROR) after ${result.accepted} of ${records.length} records were stored; retry later`)
      }
      if (appended.errorCode !== ErrorCode.NONE) {
        throw new LogStoreError(500, `the broker refused a batch for ${topicName}/${partition} (Kafka error ${appended.errorCode}) after ${result.accepted} of ${records.length} records were stored`)
      }
      if (baseOffset < 0) baseOffset = appended.baseOffset
      lastOffset = appended.baseOffset + chunk.length - 1
      // A large request is appended in slices, so produces and other requests keep their turn.
      if (Date.now() - sliceStart >= SLICE_MS) {
        await yieldToEventLoop()
        sliceStart = Date.now()
      }
    }
    result.accepted += recs.length
    result.partitions.push({ partition, baseOffset, lastOffset, count: recs.length })
  }
  result.partitions.sort((a, b) => a.partition - b.partition)
  return result
}

function maxMessageBytes (core: BrokerCore, topic: Topic): number {
  const configured = Number(topic.configs['max.message.bytes'])
  return Number.isFinite(configured) && configured > 0 ? configured : core.options.maxMessageBytes
}

/** Records grouped by partition, in request order within each. */
function assignPartitions (topic: Topic, records: IngestRecord[]): Map<number, IngestRecord[]> {
  const n = topic.partitions.length
  const sticky = Math.floor(Math.random() * n)
  const out = new Map<number, IngestRecord[]>()
  for (const r of records) {
    const pod = podOf(r.doc)
    const p = pod === null ? sticky : crc32(`${pod.namespace ?? ''}/${pod.pod}`) % n
    let list = out.get(p)
    if (list === undefined) out.set(p, list = [])
    list.push(r)
  }
  return out
}

/** Consecutive runs of records whose batch stays within `maxBytes`. */
function * chunksWithin (records: IngestRecord[], maxBytes: number): Generator<IngestRecord[]> {
  let chunk: IngestRecord[] = []
  let size = BATCH_HEADER
  for (const r of records) {
    const add = RECORD_OVERHEAD + Buffer.byteLength(r.value)
    if (chunk.length > 0 && size + add > maxBytes) {
      yield chunk
      chunk = []
      size = BATCH_HEADER
    }
    chunk.push(r)
    size += add
  }
  if (chunk.length > 0) yield chunk
}
