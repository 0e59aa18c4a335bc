// What AlterConfigs and IncrementalAlterConfigs share: which resources can be altered here, and
// how an incremental change turns into the topic's new set of explicit configs.
import { ErrorCode } from '../../protocol/error-codes.js'
import { TOPIC_CONFIGS, ConfigType } from '../log/topic-config-defs.js'
import type { BrokerCore } from '../core.js'

export const RESOURCE_TOPIC = 2
const RESOURCE_BROKER = 4
const RESOURCE_GROUP = 32

export interface Outcome { errorCode: number, errorMessage: string | null }

/** Why a resource other than a topic cannot be altered (Kafka's INVALID_REQUEST for what is not dynamic). */
export function unalterable (resourceType: number): Outcome {
  if (resourceType === RESOURCE_BROKER) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'broker configs are the options tidewatch broker was started with (DescribeConfigs shows them); restart it with other flags to change them' }
  }
  if (resourceType === RESOURCE_GROUP) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'group configs are not supported (classic groups only)' }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resourceType} cannot be altered here (only topics, type 2)` }
}

const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3

/**
 * The topic's explicit configs after an IncrementalAlterConfigs change, or why it is refused.
 * APPEND and SUBTRACT work on list configs (cleanup.policy, the throttled-replica lists) only,
 * starting from the effective value, default included, as Kafka does.
 */
export function incrementalConfigs (core: BrokerCore, topic: string, changes: { name: string, configOperation: number, value: string | null }[]): Record<string, string> | Outcome {
  const t = core.logs.getTopic(topic)
  if (t === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${topic}'` }
  if (new Set(changes.map(c => c.name)).size !== changes.length) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'a config is named twice in one resource' }
  const next = { ...t.configs }
  const effective = new Map(core.logs.describeConfigs(topic).map(e => [e.name, e.value]))
  for (const c of changes) {
    const def = Object.hasOwn(TOPIC_CONFIGS, c.name) ? TOPIC_CONFIGS[c.name] : undefined
    if (c.configOperation === DELETE) { delete next[c.name]; continue }
    if (c.value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `config ${c.name}: a null value can only be deleted` }
    if (c.configOperation === SET) { next[c.name] = c.value; continue }
    if (c.configOperation !== APPEND && c.configOperation !== SUBTRACT) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `config ${c.name}: unknown operation ${c.configOperation}` }
    if (def === undefined) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `unknown topic config '${c.name}'` }
    if (def.type !== ConfigType.LIST) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `config ${c.name} is not a list: ${c.configOperation === APPEND ? 'APPEND' : 'SUBTRACT'} is only for list configs` }
    const current = (next[c.name] ?? effective.get(c.name) ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
    const items = c.value.split(',').map(s => s.trim()).filter(s => s !== '')
    const result = c.configOperation === APPEND ? [...current, ...items.filter(i => !current.includes(i))] : current.filter(i => !items.includes(i))
    next[c.name] = result.join(',')
  }
  return next
}
