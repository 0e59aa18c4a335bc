// Metadata (key 3): v0-12.
// - v1+: a null topic list means all topics; an empty list means none (v0: empty means all).
// - v4+: allowAutoTopicCreation; older versions always allow it, as Kafka did.
// - v10+: topics carry their topic id; v10+ requests may name a topic by id only.
// - v8+: authorized operations on request (v8-10 also the cluster's): without an authorizer,
//   every operation the resource type supports, as Kafka reports it.
// Behaviour: one broker (node 1) leads every partition. Leader epochs are reported as -1 so
// clients never need OffsetForLeaderEpoch, which this broker does not serve.
import { registerApi } from './registry.js'
import { authorizedOperations, TOPIC_OPERATIONS, CLUSTER_OPERATIONS, UNKNOWN_OPERATIONS } from './authorized-operations.js'
import { findOrCreateTopic } from './topic-lookup.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { NODE_ID } from '../core.js'
import type { BrokerCore } from '../core.js'
import type { Topic } from '../log/log-manager.js'
import { decodeMetadataRequest } from '../../protocol/generated/metadata-request.js'
import { encodeMetadataResponse, type MetadataResponseTopicInput } from '../../protocol/generated/metadata-response.js'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

function describeTopic (topic: Topic, operations: number): MetadataResponseTopicInput {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: false,
    partitions: topic.partitions.map((_, i) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: i,
      leaderId: NODE_ID,
      leaderEpoch: -1,
      replicaNodes: [NODE_ID],
      isrNodes: [NODE_ID],
      offlineReplicas: []
    })),
    topicAuthorizedOperations: operations
  }
}

function missing (name: string | null, topicId: string, errorCode: number): MetadataResponseTopicInput {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: UNKNOWN_OPERATIONS }
}

function lookup (core: BrokerCore, name: string | null, topicId: string, allowAutoCreate: boolean, operations: number): MetadataResponseTopicInput {
  if (name === null || name === '') {
    const byId = core.logs.getTopicById(topicId)
    return byId !== undefined ? describeTopic(byId, operations) : missing(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID)
  }
  const { topic, errorCode } = findOrCreateTopic(core, name, allowAutoCreate)
  return topic !== undefined ? describeTopic(topic, operations) : missing(name, ZERO_UUID, errorCode)
}

registerApi({
  key: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  decodeRequest: decodeMetadataRequest,
  encodeResponse: encodeMetadataResponse,
  handle (ctx, req, version) {
    const core = ctx.core
    const all = req.topics === null || (version === 0 && req.topics.length === 0)
    const allowAutoCreate = version < 4 || req.allowAutoTopicCreation
    const operations = authorizedOperations(version >= 8 && req.includeTopicAuthorizedOperations, TOPIC_OPERATIONS)
    const topics = all
      ? core.logs.listTopics().map(t => describeTopic(t, operations))
      : req.topics!.map(t => lookup(core, t.name, t.topicId, allowAutoCreate, operations))
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: NODE_ID, host: ctx.connection.listener.advertisedHost, port: ctx.connection.listener.port, rack: null }],
      clusterId: core.clusterId,
      controllerId: NODE_ID,
      topics,
      clusterAuthorizedOperations: authorizedOperations(version >= 8 && req.includeClusterAuthorizedOperations, CLUSTER_OPERATIONS)
    }
  }
})
