import type { BrokerCore } from '../core.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { Topic } from '../log/log-manager.js'
import type { PartitionLog } from '../log/partition-log.js'

/**
 * Finds a topic, creating it when auto-creation is on for the broker and allowed by the request
 * (librdkafka producers rely on Metadata auto-creating topics; kafkajs asks for it explicitly).
 */
export function findOrCreateTopic (core: BrokerCore, name: string, allowAutoCreate: boolean): { topic?: Topic, errorCode: number } {
  const topic = core.logs.getTopic(name)
  if (topic !== undefined) return { topic, errorCode: ErrorCode.NONE }
  if (!allowAutoCreate || !core.options.autoCreateTopics) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
  const created = core.logs.createTopic(name, core.options.defaultPartitions, {})
  if (created.errorCode !== ErrorCode.NONE && created.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    return { errorCode: created.errorCode }
  }
  core.logger.info({ topic: name, partitions: core.options.defaultPartitions }, 'auto-created topic')
  return { topic: core.logs.getTopic(name), errorCode: ErrorCode.NONE }
}

/** The partition's log, or the Kafka error code a client expects when there is none. */
export function findPartition (core: BrokerCore, topicName: string, partition: number): { log?: PartitionLog, errorCode: number } {
  const topic = core.logs.getTopic(topicName)
  const log = topic?.partitions[partition]
  if (log === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
  return { log, errorCode: ErrorCode.NONE }
}

/** The offsets an OffsetCommit or TxnOffsetCommit asks to commit, flattened (leader epochs where the version carries them). */
export function requestedOffsets (topics: readonly { name: string, partitions: readonly { partitionIndex: number, committedOffset: number, committedLeaderEpoch: number, committedMetadata: string | null }[] }[], withLeaderEpoch: boolean): { topic: string, partition: number, offset: number, leaderEpoch: number, metadata: string | null }[] {
  return topics.flatMap(t => t.partitions.map(p => ({
    topic: t.name,
    partition: p.partitionIndex,
    offset: p.committedOffset,
    leaderEpoch: withLeaderEpoch ? p.committedLeaderEpoch : -1,
    metadata: p.committedMetadata
  })))
}
