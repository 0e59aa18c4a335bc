import type { BrokerCore } from '../broker/core.js'
import type { KafkaClient, PartitionOffsets } from '../kafka/client.js'

/** Where the autoscaler reads offsets from: the in-process broker directly, or any cluster. */
export interface OffsetsSource {
  /** Resolves once `topic` exists, creating it where the cluster allows (the embedded broker does). */
  ensureTopic: (topic: string, onWait: (missing: string[]) => void, signal?: AbortSignal) => Promise<void>
  /** Offsets of every partition of `topic` for `groupId`; null when the topic does not exist. */
  groupOffsets: (groupId: string, topic: string) => Promise<PartitionOffsets[] | null>
  /** Records currently held in `topic` (0 when it does not exist): the DLQ count. */
  recordCount: (topic: string) => Promise<number>
  /** See KafkaClient.pinUncommittedToEnd. */
  pinUncommittedToEnd: (groupId: string, topic: string) => Promise<number>
  /**
   * Calls `listener` after records are appended to `topic`, until the returned function is
   * called; null when the source cannot know (a remote cluster is polled instead).
   */
  watch: (topic: string, listener: () => void) => (() => void) | null
}

/** Reads a Kafka cluster (or the embedded broker from another process) over the protocol. */
export class KafkaOffsetsSource implements OffsetsSource {
  constructor (readonly kafka: KafkaClient) {}
  async ensureTopic (topic: string, onWait: (missing: string[]) => void, signal?: AbortSignal): Promise<void> { await this.kafka.waitForTopics([topic], onWait, signal) }
  async groupOffsets (groupId: string, topic: string): Promise<PartitionOffsets[] | null> { return await this.kafka.groupOffsets(groupId, topic) }
  async recordCount (topic: string): Promise<number> {
    const offsets = await this.kafka.topicOffsets(topic)
    return (offsets ?? []).reduce((n, p) => n + p.endOffset - p.logStartOffset, 0)
  }

  async pinUncommittedToEnd (groupId: string, topic: string): Promise<number> { return await this.kafka.pinUncommittedToEnd(groupId, topic) }
  watch (): null { return null }
}

/**
 * Reads the broker running in this process without a network round trip, and hears about
 * appends as they happen: this is what lets a function at zero replicas start on its first record.
 */
export class EmbeddedOffsetsSource implements OffsetsSource {
  constructor (readonly core: BrokerCore) {}

  async ensureTopic (topic: string): Promise<void> {
    if (this.core.logs.getTopic(topic) !== undefined) return
    const created = this.core.logs.createTopic(topic, this.core.options.defaultPartitions, {})
    if (created.errorCode !== 0 && this.core.logs.getTopic(topic) === undefined) throw new Error(`cannot create topic ${topic}: ${created.errorMessage ?? `Kafka error code ${created.errorCode}`}`)
  }

  async groupOffsets (groupId: string, topic: string): Promise<PartitionOffsets[] | null> {
    const t = this.core.logs.getTopic(topic)
    if (t === undefined) return null
    const partitions = t.partitions.map((_, i) => i)
    const fetched = this.core.groups.fetchOffsets(groupId, [{ topic, partitions }]).topics[0]?.partitions ?? []
    const committed = new Map(fetched.map(p => [p.partition, p.offset]))
    return t.partitions.map((log, partition) => ({ partition, endOffset: log.logEndOffset, logStartOffset: log.logStartOffset, committed: committed.get(partition) ?? -1 }))
  }

  async recordCount (topic: string): Promise<number> {
    return (this.core.logs.getTopic(topic)?.partitions ?? []).reduce((n, log) => n + log.logEndOffset - log.logStartOffset, 0)
  }

  async pinUncommittedToEnd (groupId: string, topic: string): Promise<number> {
    const missing = (await this.groupOffsets(groupId, topic) ?? []).filter(p => p.committed < 0)
    if (missing.length === 0) return 0
    const results = this.core.groups.commitOffsets({
      groupId,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      offsets: missing.map(p => ({ topic, partition: p.partition, offset: p.endOffset, leaderEpoch: -1, metadata: null }))
    })
    const failed = results.find(r => r.errorCode !== 0)
    if (failed !== undefined) throw new Error(`could not commit start offsets for group ${groupId} (Kafka error code ${failed.errorCode})`)
    return missing.length
  }

  watch (topic: string, listener: () => void): () => void {
    return this.core.watchAppends(t => { if (t === topic) listener() })
  }
}
