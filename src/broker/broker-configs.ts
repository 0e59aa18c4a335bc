// Dynamic broker configs: what AlterConfigs and IncrementalAlterConfigs may change on the broker
// resource at run time (kafka-configs.sh --entity-type brokers). Two kinds, as in Kafka's
// DynamicBrokerConfig: the log defaults (log.retention.ms and the like), which become the
// default of the matching topic config for every topic that does not set its own; and settings
// Kafka takes at run time that have nothing to act on here (thread pools, Kerberos), accepted,
// kept and reported. Anything else is refused, naming what can be changed. The set is kept in
// <data-dir>/broker-configs.json and applied again at start; one node, so the per-broker and the
// cluster-wide entity are the same.
import fs from 'node:fs'
import path from 'node:path'
import { ErrorCode } from '../protocol/error-codes.js'
import { TOPIC_CONFIGS } from './log/topic-config-defs.js'
import { writeFileDurably } from './log/topic-files.js'

const NO_THREADS = 'requests are served by one event loop; there are no thread pools to size'
const NO_KERBEROS = 'no GSSAPI (Kerberos) here'

interface DynamicDef { topicConfig?: string, noEffect?: string, kind?: 'int' | 'double' | 'string' }

export const DYNAMIC_BROKER_CONFIGS: Record<string, DynamicDef> = {
  'log.cleanup.policy': { topicConfig: 'cleanup.policy' },
  'log.retention.ms': { topicConfig: 'retention.ms' },
  'log.retention.bytes': { topicConfig: 'retention.bytes' },
  'log.segment.bytes': { topicConfig: 'segment.bytes' },
  'log.roll.ms': { topicConfig: 'segment.ms' },
  'log.index.interval.bytes': { topicConfig: 'index.interval.bytes' },
  'log.index.size.max.bytes': { topicConfig: 'segment.index.bytes' },
  'log.flush.interval.messages': { topicConfig: 'flush.messages' },
  'log.flush.interval.ms': { topicConfig: 'flush.ms' },
  'log.message.timestamp.type': { topicConfig: 'message.timestamp.type' },
  'log.cleaner.delete.retention.ms': { topicConfig: 'delete.retention.ms' },
  'log.cleaner.min.compaction.lag.ms': { topicConfig: 'min.compaction.lag.ms' },
  'message.max.bytes': { topicConfig: 'max.message.bytes' },
  'compression.type': { topicConfig: 'compression.type' },
  'min.insync.replicas': { topicConfig: 'min.insync.replicas' },
  'background.threads': { noEffect: NO_THREADS, kind: 'int' },
  'num.io.threads': { noEffect: NO_THREADS, kind: 'int' },
  'num.network.threads': { noEffect: NO_THREADS, kind: 'int' },
  'num.recovery.threads.per.data.dir': { noEffect: NO_THREADS, kind: 'int' },
  'num.replica.fetchers': { noEffect: 'one node, no replicas', kind: 'int' },
  'log.cleaner.threads': { noEffect: NO_THREADS, kind: 'int' },
  'log.cleaner.dedupe.buffer.size': { noEffect: 'the cleaner keeps a partition\'s keys in a map of its own', kind: 'int' },
  'log.cleaner.io.max.bytes.per.second': { noEffect: 'the cleaner is not throttled', kind: 'double' },
  'sasl.kerberos.kinit.cmd': { noEffect: NO_KERBEROS, kind: 'string' },
  'sasl.kerberos.min.time.before.relogin': { noEffect: NO_KERBEROS, kind: 'int' },
  'sasl.kerberos.ticket.renew.jitter': { noEffect: NO_KERBEROS, kind: 'double' },
  'sasl.kerberos.ticket.renew.window.factor': { noEffect: NO_KERBEROS, kind: 'double' }
}

export interface Outcome { errorCode: number, errorMessage: string | null }

/** Why `value` cannot be given to dynamic broker config `name`, or null. */
export function dynamicConfigProblem (name: string, value: string): Outcome | null {
  const def = Object.hasOwn(DYNAMIC_BROKER_CONFIGS, name) ? DYNAMIC_BROKER_CONFIGS[name] : undefined
  if (def === undefined) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `broker config ${name} cannot be changed at run time here (these can: ${Object.keys(DYNAMIC_BROKER_CONFIGS).join(', ')}); other settings are tidewatch broker's flags` }
  }
  let problem: string | null = null
  if (def.topicConfig !== undefined) {
    const parsed = TOPIC_CONFIGS[def.topicConfig].parse(value)
    if (typeof parsed === 'object' && !Array.isArray(parsed)) problem = parsed.error
  } else if (def.kind === 'int' && !/^-?\d+$/.test(value.trim())) {
    problem = `expected a whole number, got '${value}'`
  } else if (def.kind === 'double' && (value.trim() === '' || !Number.isFinite(Number(value)))) {
    problem = `expected a number, got '${value}'`
  }
  return problem === null ? null : { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `broker config ${name}=${value}: ${problem}` }
}

/** The dynamic configs set on the broker, persisted in the data directory. */
export class BrokerConfigStore {
  readonly #file: string
  #configs: Record<string, string>

  constructor (dataDir: string) {
    this.#file = path.join(dataDir, 'broker-configs.json')
    this.#configs = {}
    try {
      const parsed = JSON.parse(fs.readFileSync(this.#file, 'utf8')) as { configs?: Record<string, string> }
      for (const [k, v] of Object.entries(parsed.configs ?? {})) if (typeof v === 'string' && dynamicConfigProblem(k, v) === null) this.#configs[k] = v
    } catch {}
  }

  get configs (): Readonly<Record<string, string>> { return this.#configs }

  /** The topic configs the dynamic log defaults stand for (log.retention.ms -> retention.ms). */
  topicDefaults (configs: Record<string, string> = this.#configs): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(configs)) {
      const topicConfig = DYNAMIC_BROKER_CONFIGS[k]?.topicConfig
      if (topicConfig !== undefined) out[topicConfig] = v
    }
    return out
  }

  /** Validates the whole new set; unless `validateOnly`, writes it. Returns the outcome. */
  replace (configs: Record<string, string>, validateOnly: boolean): Outcome {
    for (const [k, v] of Object.entries(configs)) {
      const problem = dynamicConfigProblem(k, v)
      if (problem !== null) return problem
    }
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null }
    try {
      writeFileDurably(this.#file, JSON.stringify({ configs }, null, 2) + '\n')
    } catch (err) {
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `cannot write ${this.#file}: ${(err as Error).message}` }
    }
    this.#configs = { ...configs }
    return { errorCode: ErrorCode.NONE, errorMessage: null }
  }
}
