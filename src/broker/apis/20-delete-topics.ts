// DeleteTopics (key 20): v0-6.
// - v0-5 name topics; v6 names each topic by name or by topic id.
// Behaviour: the topic's files are removed and its committed group offsets forgotten.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { BrokerCore } from '../core.js'
import { decodeDeleteTopicsRequest } from '../../protocol/generated/delete-topics-request.js'
import { encodeDeleteTopicsResponse } from '../../protocol/generated/delete-topics-response.js'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

function remove (core: BrokerCore, name: string | null, topicId: string) {
  const topic = name !== null && name !== ''
    ? core.logs.getTopic(name)
    : core.logs.getTopicById(topicId)
  if (topic === undefined) {
    const errorCode = name !== null && name !== '' ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID
    return { name, topicId, errorCode, errorMessage: 'unknown topic' }
  }
  const errorCode = core.logs.deleteTopic(topic.name)
  if (errorCode === ErrorCode.NONE) {
    core.groups.deleteTopicOffsets(topic.name)
    core.logger.info({ topic: topic.name }, 'deleted topic')
  }
  return { name: topic.name, topicId: topic.topicId, errorCode, errorMessage: null }
}

registerApi({
  key: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  decodeRequest: decodeDeleteTopicsRequest,
  encodeResponse: encodeDeleteTopicsResponse,
  handle (ctx, req, version) {
    const wanted = version >= 6
      ? req.topics.map(t => ({ name: t.name, topicId: t.topicId }))
      : req.topicNames.map(name => ({ name, topicId: ZERO_UUID }))
    return { throttleTimeMs: 0, responses: wanted.map(t => remove(ctx.core, t.name, t.topicId)) }
  }
})
