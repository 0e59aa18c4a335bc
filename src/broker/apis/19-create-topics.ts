// CreateTopics (key 19): v0-7.
// - v1+ validateOnly; v5+ the result carries partitions, replication factor and configs;
//   v7 the topic id.
// Behaviour: numPartitions -1 means the broker default; replication factor must be 1 or -1
// (there is one node); manual assignments are accepted when they only name this node, and
// their count is the partition count. Config names are Kafka's (retention.ms, segment.bytes…).
// Limits: partitions per topic (INVALID_PARTITIONS), per request and per broker
// (POLICY_VIOLATION), each message naming its flag; topics of one request are taken in order,
// so the ones before the request's limit is reached are created. A storage failure part-way
// (ENOSPC, EMFILE) answers KAFKA_STORAGE_ERROR and leaves nothing of that topic behind.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import type { BrokerCore } from '../core.js'
import { decodeCreateTopicsRequest, type CreatableTopic } from '../../protocol/generated/create-topics-request.js'
import { encodeCreateTopicsResponse, type CreatableTopicResultInput } from '../../protocol/generated/create-topics-response.js'

function result (name: string, errorCode: number, errorMessage: string | null): CreatableTopicResultInput {
  return { name, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null }
}

function create (core: BrokerCore, t: CreatableTopic, validateOnly: boolean, earlier: { partitions: number }): CreatableTopicResultInput {
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
    return result(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor}: this broker has one node, use 1 or -1`)
  }
  if (t.assignments.some(a => a.brokerIds.some(id => id !== NODE_ID))) {
    return result(t.name, ErrorCode.INVALID_REPLICATION_FACTOR, `assignments may only name broker ${NODE_ID}`)
  }
  const partitions = t.assignments.length > 0 ? t.assignments.length : (t.numPartitions === -1 ? core.options.defaultPartitions : t.numPartitions)
  const configs: Record<string, string> = {}
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value
  // Topics created earlier in this request already count on the broker; validateOnly ones do not.
  const problem = core.logs.creationProblem(t.name, partitions, configs, validateOnly ? earlier.partitions : 0)
  if (problem !== null) return result(t.name, problem.errorCode, problem.errorMessage)
  const perRequest = core.options.maxPartitionsPerRequest
  if (earlier.partitions + partitions > perRequest) {
    return result(t.name, ErrorCode.POLICY_VIOLATION, `this request asks for ${earlier.partitions + partitions} partitions in all, over the limit of ${perRequest} per CreateTopics request (raise it with --max-partitions-per-request)`)
  }
  earlier.partitions += partitions
  if (validateOnly) return { ...result(t.name, ErrorCode.NONE, null), numPartitions: partitions, replicationFactor: 1 }
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
    const earlier = { partitions: 0 }
    return { throttleTimeMs: 0, topics: req.topics.map(t => create(ctx.core, t, req.validateOnly, earlier)) }
  }
})
