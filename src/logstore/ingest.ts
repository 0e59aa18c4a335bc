// Producing ingested records into a topic through the store's append path (topic-store.ts): the
// topic is found or auto-created as a producer's write would find it, each partition's records
// become RecordBatches (the broker's batch builder), and the store appends them — the embedded
// broker's PartitionLog.append, or a Produce with acks=all to each partition's leader.
//
// Partitioning: records from one pod go to one partition (hash of namespace/pod), so a pod's
// lines keep their order and same-pod context finds them together; records without a pod go to
// one partition picked at random per request (what Kafka's sticky partitioner does for keyless
// records). No Kafka key is set, as Fluent Bit sets none.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { crc32 } from '@node-rs/crc32'
import { isValidTopicName } from '../broker/log/log-manager.js'
import { buildBatch, type BatchRecord } from '../protocol/record-batch/index.js'
import { LogStoreError, badParam } from './errors.js'
import { podOf } from './field-path.js'
import type { IngestRecord } from './ingest-body.js'
import type { TopicStore } from './topic-store.js'

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

/** Appends `records` to `topicName`, creating the topic when the store auto-creates topics. */
export async function ingestRecords (store: TopicStore, topicName: string, records: IngestRecord[]): Promise<IngestResult> {
  if (!isValidTopicName(topicName)) throw badParam('topic', `invalid topic name '${topicName}': use 1-249 characters of a-z A-Z 0-9 . _ - (not '.' or '..')`)
  const target = await store.appendTarget(topicName)
  const maxBatchBytes = target.maxBatchBytes
  const byPartition = assignPartitions(target.partitions, records)
  // Check every record fits before writing any, so a request is not half-ingested for size.
  records.forEach((r, i) => {
    const size = BATCH_HEADER + RECORD_OVERHEAD + Buffer.byteLength(r.value)
    if (size > maxBatchBytes) throw new LogStoreError(413, `record ${i} is ${size} bytes as a record batch; topic '${topicName}' accepts at most ${maxBatchBytes} (max.message.bytes)`, 'body')
  })
  // Each round appends the next batch of every partition (one Produce per leader on a cluster).
  const queues = [...byPartition].map(([partition, recs]) => ({ partition, count: recs.length, chunks: [...chunksWithin(recs, Math.min(maxBatchBytes, TARGET_BATCH_BYTES))], baseOffset: -1, lastOffset: -1 }))
  let stored = 0
  let sliceStart = Date.now()
  for (;;) {
    const round = new Map<number, Buffer>()
    const sizes = new Map<number, number>()
    for (const q of queues) {
      const chunk = q.chunks.shift()
      if (chunk === undefined) continue
      round.set(q.partition, buildBatch(chunk.map((r): BatchRecord => ({ key: null, value: r.value, timestamp: r.timestamp }))))
      sizes.set(q.partition, chunk.length)
    }
    if (round.size === 0) break
    const outcome = await store.append(topicName, round)
    for (const [partition, baseOffset] of outcome.stored) {
      const q = queues.find(x => x.partition === partition)!
      if (q.baseOffset < 0) q.baseOffset = baseOffset
      q.lastOffset = baseOffset + sizes.get(partition)! - 1
      stored += sizes.get(partition)!
    }
    if (outcome.failure !== null) {
      // Nothing is lost silently: the caller answers with this status (503: shippers retry,
      // storing again what was stored already, at-least-once).
      const retry = outcome.failure.status === 503 ? '; retry later' : ''
      throw new LogStoreError(outcome.failure.status, `${outcome.failure.reason} after ${stored} of ${records.length} records were stored${retry}`)
    }
    // A large request is appended in slices, so produces and other requests keep their turn.
    if (Date.now() - sliceStart >= SLICE_MS) {
      await yieldToEventLoop()
      sliceStart = Date.now()
    }
  }
  const partitions = queues.map(q => ({ partition: q.partition, baseOffset: q.baseOffset, lastOffset: q.lastOffset, count: q.count })).sort((a, b) => a.partition - b.partition)
  return { accepted: records.length, topic: topicName, partitions }
}

/** Records grouped by partition, in request order within each. */
function assignPartitions (n: number, records: IngestRecord[]): Map<number, IngestRecord[]> {
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
