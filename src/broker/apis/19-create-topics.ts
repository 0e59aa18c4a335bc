// CreateTopics (key 19): v0-7.
// - v1+ validateOnly; v5+ the result carries partitions, replication factor and configs;
//   v7 the topic id.
// Behaviour: numPartitions -1 means the broker default; replication factor must be 1 or -1
// (there is one node); manual assignments are accepted when they only name this node, and
// their count is the partition count. Config names are Kafka's (retention.ms, segment.bytes…).
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import type { BrokerCore } from '../core.js'
import { isValidTopicName } from '../log/log-manager.js'
import { decodeCreateTopicsRequest, type CreatableTopic } from '../../protocol/generated/create-topics-request.js'
import { encodeCreateTopicsResponse, type CreatableTopicResultInput } from '../../protocol/generated/create-topics-response.js'

function result (name: string, errorCode: number, errorMessage: string | null): CreatableTopicResultInput {
  return { name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null }
}

function create (core: BrokerCore, t: CreatableTopic, validateOnly: boolean): CreatableTopicResultInput {
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
    return result(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor}: this broker has one node, use 1 or -1`)
  }
  if (t.assignments.some(a => a.brokerIds.some(id => id !== NODE_ID))) {
    return result(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, `assignments may only name broker ${NODE_ID}`)
  }
  const partitions = t.assignments.length > 0 ? t.assignments.length : (t.numPartitions === -1 ? core.options.defaultPartitions : t.numPartitions)
  const configs: Record<string, string> = {}
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value
  if (validateOnly) {
    if (!isValidTopicName(t.name)) return result(t.name, ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name '${t.name}'`)
    if (core.logs.getTopic(t.name) !== undefined) return result(t.name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${t.name}' already exists`)
    if (partitions < 1) return result(t.name, ErrorCode.INVALID_PARTITIONS, 'number of partitions must be at least 1')
    return { ...result(t.name, ErrorCode.NONE, null), numPartitions: partitions, replicationFactor: 1 }
  }
  const created = core.logs.createTopic(t.name, partitions, configs)
  if (created.errorCode !== ErrorCode.NONE) return result(t.name, created.errorCode, created.errorMessage ?? null)
  const topic = core.logs.getTopic(t.name)!
  core.logger.info({ topic: t.name, partitions, configs }, 'created topic')
  return {
    name: t.name,
    topicId: topic.topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    numPartitions: partitions,
    replicationFactor: 1,
    configs: core.logs.describeConfigs(t.name).map(c => ({
      name: c.name, value: c.value, readOnly: false, configSource: c.isDefault ? 5 : 1, isSensitive: false
    }))
  }
}

registerApi({
  key: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  decodeRequest: decodeCreateTopicsRequest,
  encodeResponse: encodeCreateTopicsResponse,
  handle (ctx, req) {
    return { throttleTimeMs: 0, topics: req.topics.map(t => create(ctx.core, t, req.validateOnly)) }
  }
})
