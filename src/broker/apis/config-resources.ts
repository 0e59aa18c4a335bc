// What AlterConfigs and IncrementalAlterConfigs share: which resources can be altered here, and
// how an incremental change turns into the topic's new set of explicit configs.
import { ErrorCode } from '../../protocol/error-codes.js'
import { TOPIC_CONFIGS, ConfigType } from '../log/topic-config-defs.js'
import { NODE_ID, type BrokerCore } from '../core.js'
import { DYNAMIC_BROKER_CONFIGS } from '../broker-configs.js'

export const RESOURCE_TOPIC = 2
export const RESOURCE_BROKER = 4
const RESOURCE_GROUP = 32

export interface Outcome { errorCode: number, errorMessage: string | null }

/** Why a resource other than a topic or the broker cannot be altered (Kafka's INVALID_REQUEST). */
export function unalterable (resourceType: number): Outcome {
  if (resourceType === RESOURCE_GROUP) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'group configs are not supported (classic groups only)' }
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resourceType} cannot be altered here (only topics, type 2, and the broker, type 4)` }
}

/** The broker resource names this node answers to: its id, or '' for the cluster-wide default (the same here). */
export function brokerResourceProblem (name: string): Outcome | null {
  return name === '' || name === String(NODE_ID) ? null : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `no broker '${name}': this cluster is broker ${NODE_ID} alone` }
}

const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3

type Change = { name: string, configOperation: number, value: string | null }

/**
 * Explicit configs after an IncrementalAlterConfigs change, or why it is refused. APPEND and
 * SUBTRACT work on list configs only, starting from the effective value, default included, as
 * Kafka does.
 */
function applyChanges (current: Record<string, string>, effective: (name: string) => string | undefined, isList: (name: string) => boolean | undefined, changes: Change[]): Record<string, string> | Outcome {
  if (new Set(changes.map(c => c.name)).size !== changes.length) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'a config is named twice in one resource' }
  const next = { ...current }
  for (const c of changes) {
    if (c.configOperation === DELETE) { delete next[c.name]; continue }
    if (c.value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `config ${c.name}: a null value can only be deleted` }
    if (c.configOperation === SET) { next[c.name] = c.value; continue }
    if (c.configOperation !== APPEND && c.configOperation !== SUBTRACT) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `config ${c.name}: unknown operation ${c.configOperation}` }
    const list = isList(c.name)
    if (list === undefined) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `unknown config '${c.name}'` }
    if (!list) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `config ${c.name} is not a list: ${c.configOperation === APPEND ? 'APPEND' : 'SUBTRACT'} is only for list configs` }
    const items = (s: string): string[] => s.split(',').map(x => x.trim()).filter(x => x !== '')
    const had = items(next[c.name] ?? effective(c.name) ?? '')
    const given = items(c.value)
    next[c.name] = (c.configOperation === APPEND ? [...had, ...given.filter(i => !had.includes(i))] : had.filter(i => !given.includes(i))).join(',')
  }
  return next
}

const topicIsList = (name: string): boolean | undefined => Object.hasOwn(TOPIC_CONFIGS, name) ? TOPIC_CONFIGS[name].type === ConfigType.LIST : undefined

/** The topic's explicit configs after an IncrementalAlterConfigs change, or why it is refused. */
export function incrementalConfigs (core: BrokerCore, topic: string, changes: Change[]): Record<string, string> | Outcome {
  const t = core.logs.getTopic(topic)
  if (t === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${topic}'` }
  const effective = new Map(core.logs.describeConfigs(topic).map(e => [e.name, e.value]))
  return applyChanges(t.configs, n => effective.get(n), topicIsList, changes)
}

/** The dynamic broker configs after an IncrementalAlterConfigs change, or why it is refused. */
export function incrementalBrokerConfigs (core: BrokerCore, changes: Change[]): Record<string, string> | Outcome {
  const isList = (name: string): boolean | undefined => {
    const topicConfig = Object.hasOwn(DYNAMIC_BROKER_CONFIGS, name) ? DYNAMIC_BROKER_CONFIGS[name].topicConfig : undefined
    return topicConfig === undefined ? (Object.hasOwn(DYNAMIC_BROKER_CONFIGS, name) ? false : undefined) : topicIsList(topicConfig)
  }
  // The effective default of a log config is the topic config's default on this broker.
  const effective = (name: string): string | undefined => {
    const topicConfig = DYNAMIC_BROKER_CONFIGS[name]?.topicConfig
    return topicConfig === undefined ? undefined : TOPIC_CONFIGS[topicConfig].format(core.logs.defaults)
  }
  return applyChanges(core.brokerConfigs.configs, effective, isList, changes)
}
