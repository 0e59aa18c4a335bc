// DescribeConfigs (key 32): v0-4.
// - v0 reports isDefault; v1+ a config source instead, and synonyms on request (none here);
//   v3+ config types and documentation; v4 flexible.
// Behaviour: topics (resource type 2) report every one of Kafka's topic configs with its
// effective value and type (source: set on the topic, or default); the broker (resource type 4)
// reports the settings it was started with, and its dynamic configs (source DYNAMIC_BROKER_CONFIG,
// not read-only), a dynamic log default in place of the started-with value of the same name.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import type { BrokerCore } from '../core.js'
import { decodeDescribeConfigsRequest, type DescribeConfigsResource } from '../../protocol/generated/describe-configs-request.js'
import { encodeDescribeConfigsResponse, type DescribeConfigsResultInput } from '../../protocol/generated/describe-configs-response.js'

const TOPIC = 2
const BROKER = 4
const SOURCE_TOPIC = 1
const SOURCE_DYNAMIC_BROKER = 2
const SOURCE_STATIC_BROKER = 4
const SOURCE_DEFAULT = 5
const TYPE_STRING = 2
const TYPE_LONG = 5

interface Entry { name: string, value: string, isDefault: boolean, type?: number, dynamic?: boolean }

function brokerEntries (core: BrokerCore): Entry[] {
  const o = core.options
  const num = (n: number): string => Number.isFinite(n) ? String(n) : String(Number.MAX_SAFE_INTEGER)
  return [
    { name: 'auto.create.topics.enable', value: String(o.autoCreateTopics), isDefault: false },
    { name: 'num.partitions', value: String(o.defaultPartitions), isDefault: false },
    { name: 'message.max.bytes', value: String(o.maxMessageBytes), isDefault: false },
    { name: 'socket.request.max.bytes', value: String(o.requestMaxBytes), isDefault: false },
    { name: 'log.segment.bytes', value: String(o.segmentBytes), isDefault: false },
    { name: 'log.retention.ms', value: String(o.retentionMs), isDefault: false },
    { name: 'log.retention.bytes', value: String(o.retentionBytes), isDefault: false },
    { name: 'log.flush.interval.messages', value: num(o.flushMessages), isDefault: false },
    { name: 'log.flush.interval.ms', value: String(o.flushMs), isDefault: false },
    { name: 'group.initial.rebalance.delay.ms', value: String(o.initialRebalanceDelayMs), isDefault: false }
  ]
}

function withDynamic (core: BrokerCore, entries: Entry[]): Entry[] {
  const dynamic = core.brokerConfigs.configs
  const out = entries.filter(e => !Object.hasOwn(dynamic, e.name))
  for (const [name, value] of Object.entries(dynamic)) out.push({ name, value, isDefault: false, dynamic: true })
  return out
}

function describe (core: BrokerCore, res: DescribeConfigsResource, version: number): DescribeConfigsResultInput {
  const base = { resourceType: res.resourceType, resourceName: res.resourceName }
  let entries: Entry[]
  let source: (e: Entry) => number
  if (res.resourceType === TOPIC) {
    if (core.logs.getTopic(res.resourceName) === undefined) {
      return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${res.resourceName}'`, configs: [] }
    }
    entries = core.logs.describeConfigs(res.resourceName)
    source = e => e.isDefault ? SOURCE_DEFAULT : SOURCE_TOPIC
  } else if (res.resourceType === BROKER) {
    entries = withDynamic(core, brokerEntries(core))
    source = e => e.dynamic === true ? SOURCE_DYNAMIC_BROKER : SOURCE_STATIC_BROKER
  } else {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${res.resourceType} is not supported`, configs: [] }
  }
  const keys = res.configurationKeys
  if (keys !== null && keys.length > 0) entries = entries.filter(e => keys.includes(e.name))
  return {
    ...base,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    configs: entries.map(e => ({
      name: e.name,
      value: e.value,
      readOnly: res.resourceType === BROKER && e.dynamic !== true,
      isDefault: e.isDefault,
      configSource: version >= 1 ? source(e) : -1,
      isSensitive: false,
      synonyms: [],
      configType: e.type ?? (/^-?\d+$/.test(e.value) ? TYPE_LONG : TYPE_STRING),
      documentation: null
    }))
  }
}

registerApi({
  key: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  decodeRequest: decodeDescribeConfigsRequest,
  encodeResponse: encodeDescribeConfigsResponse,
  handle (ctx, req, version) {
    return { throttleTimeMs: 0, results: req.resources.map(r => describe(ctx.core, r, version)) }
  }
})
