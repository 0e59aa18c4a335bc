// The log store over the broker running in this process: PartitionLog.read is the call Fetch
// makes (synchronous, whole batches from one segment), its time index answers time lookups, and
// appends go through the broker's own append path (topic found or auto-created as Produce does;
// PartitionLog.append validates, assigns offsets, writes and wakes fetchers and the autoscaler).
import type { BrokerCore } from '../broker/core.js'
import type { PartitionLog } from '../broker/log/partition-log.js'
import { findOrCreateTopic } from '../broker/apis/topic-lookup.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { LogStoreError } from './errors.js'
import type { AppendOutcome, AppendTarget, PartitionRead, PartitionSource, TopicInfo, TopicStore } from './topic-store.js'

/** A partition of the embedded broker: its bounds are the live log's. */
class EmbeddedPartition implements PartitionSource {
  constructor (readonly partition: number, readonly log: PartitionLog) {}
  get logStartOffset (): number { return this.log.logStartOffset }
  get logEndOffset (): number { return this.log.logEndOffset }

  async read (offset: number, maxBytes: number): Promise<PartitionRead> {
    const read = this.log.read(offset, maxBytes)
    if (read.errorCode === ErrorCode.NONE) return { records: read.records }
    return offset < this.log.logStartOffset ? 'out-of-range' : { records: null }
  }

  async offsetForTimestamp (timestamp: number): Promise<number | null> {
    return this.log.offsetForTimestamp(timestamp)?.offset ?? null
  }
}

export class EmbeddedStore implements TopicStore {
  constructor (readonly core: BrokerCore) {}

  now (): number { return this.core.clock.now() }

  async listTopics (): Promise<TopicInfo[]> {
    return this.core.logs.listTopics().map(t => ({
      name: t.name,
      partitions: t.partitions.map((log, partition) => ({ partition, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, sizeBytes: log.sizeBytes }))
    }))
  }

  async topic (name: string): Promise<PartitionSource[] | null> {
    return this.core.logs.getTopic(name)?.partitions.map((log, p) => new EmbeddedPartition(p, log)) ?? null
  }

  async appendTarget (name: string): Promise<AppendTarget> {
    const found = findOrCreateTopic(this.core, name, true)
    if (found.topic === undefined) {
      if (found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new LogStoreError(404, `topic '${name}' does not exist and the broker does not auto-create topics: create it first`, 'topic')
      throw new LogStoreError(500, `cannot create topic '${name}' (Kafka error ${found.errorCode})`, 'topic')
    }
    return { partitions: found.topic.partitions.length, maxBatchBytes: this.#maxMessageBytes(name) }
  }

  async append (name: string, batches: Map<number, Buffer>): Promise<AppendOutcome> {
    const topic = this.core.logs.getTopic(name)
    const stored = new Map<number, number>()
    for (const [partition, batch] of batches) {
      const log = topic?.partitions[partition]
      if (log === undefined) return { stored, failure: { status: 503, reason: `topic '${name}' has no partition ${partition} now (deleted meanwhile?)` } }
      const appended = log.append(batch, this.core.clock.now())
      // A full or failing disk: nothing of this batch was stored, and a retry may succeed.
      if (appended.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) return { stored, failure: { status: 503, reason: 'the broker cannot write to its disk (KAFKA_STORAGE_ERROR)' } }
      if (appended.errorCode !== ErrorCode.NONE) return { stored, failure: { status: 500, reason: `the broker refused a batch for ${name}/${partition} (Kafka error ${appended.errorCode})` } }
      stored.set(partition, appended.baseOffset)
    }
    return { stored, failure: null }
  }

  async maxMessageBytes (name: string): Promise<number> { return this.#maxMessageBytes(name) }

  #maxMessageBytes (name: string): number {
    const configured = Number(this.core.logs.getTopic(name)?.configs['max.message.bytes'])
    return Number.isFinite(configured) && configured > 0 ? configured : this.core.options.maxMessageBytes
  }
}
