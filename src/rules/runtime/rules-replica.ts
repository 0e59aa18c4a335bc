/**
 * One replica process of a rules workload: both stages in one process, as Kafka Streams runs a
 * topology's sub-topologies in every instance (docs/rules-runtime.md, "How it works"). The
 * record stage reads the input topic in the workload's group; the owner stage reads
 * `<name>.contributions` in `<name>.owners`. The two loops run side by side, so an Alertmanager
 * that is down holds only the owner's snapshots, not the reading of records.
 */
import type { KafkaClient } from '../../kafka/client.js'
import { systemClock, type Clock } from '../../shared/clock.js'
import type { Logger } from '../../shared/logger.js'
import { sleep } from '../../shared/sleep.js'
import type { PostableAlert } from '../alerts.js'
import type { CompiledRule } from '../compile.js'
import { RecordStage } from '../record-stage.js'
import { RuleSet } from '../rule-set.js'
import { AlertSender } from './alert-sender.js'
import { InputRole } from './input-role.js'
import { internalNames } from './messages.js'
import { lookbackMs } from './owner-partition.js'
import { OwnerRole } from './owner-role.js'
import { summarize, type RuleSummary } from './summary.js'

export interface RulesRuntimeConfig {
  /** The workload's name: its consumer group by default, and the prefix of its internal topics. */
  name: string
  topic: string
  consumerGroup: string
  startFrom: 'earliest' | 'latest'
}

export interface RulesReplicaOptions {
  config: RulesRuntimeConfig
  rules: readonly CompiledRule[]
  kafka: KafkaClient
  logger: Logger
  /** Posts alerts to Alertmanager (the alertmanager output functions use). */
  deliver: (alerts: PostableAlert[]) => Promise<void>
  publicUrl?: string
  clock?: Clock
}

/** Internal topics keep their records this long at least: the longest window twice, and a day. */
export function internalRetentionMs (rules: RuleSet): number {
  return Math.max(24 * 3600_000, 2 * lookbackMs(rules))
}

export interface RulesReplicaStats {
  records: number
  contributions: number
  alertsSent: number
  /** Contributions applied, ignored as redelivered, and dropped as later than their window. */
  applied: number
  duplicates: number
  late: number
  partitions: number[]
  undecodableBatches: number
  lastError: { time: string, message: string } | null
}

export class RulesReplica {
  readonly #o: RulesReplicaOptions
  readonly #rules: RuleSet
  readonly #clock: Clock
  readonly #sender: AlertSender
  #input: InputRole | null = null
  #owner: OwnerRole | null = null
  readonly #stopped = new AbortController()

  constructor (o: RulesReplicaOptions) {
    this.#o = o
    this.#rules = new RuleSet(o.rules)
    this.#clock = o.clock ?? systemClock
    this.#sender = new AlertSender({ deliver: o.deliver, publicUrl: o.publicUrl, clock: this.#clock, logger: o.logger })
  }

  /** A sleep that a stop request cuts short. */
  #sleep = async (ms: number): Promise<void> => { await sleep(this.#clock, ms, this.#stopped.signal) }

  /**
   * Waits for the input topic, and creates the internal topics with its partition count (a
   * contributions partition per input partition: as many owners as readers can share the work).
   */
  async prepare (): Promise<void> {
    const { kafka, config, logger } = this.#o
    await kafka.waitForTopics([config.topic], missing => logger.warn({ topics: missing }, 'waiting for the input topic to exist (auto-creation is off on this cluster?)'))
    const inputPartitions = await kafka.partitionCount(config.topic)
    const names = internalNames(config.name)
    const retention = { 'retention.ms': String(internalRetentionMs(this.#rules)), 'segment.bytes': String(64 * 1024 * 1024) }
    const partitions = await kafka.ensureTopic(names.contributions, inputPartitions, retention)
    await kafka.ensureTopic(names.state, partitions, retention)
    const clock = this.#clock
    const pause = this.#sleep
    this.#input = new InputRole({ kafka, stage: new RecordStage(this.#o.rules), rules: this.#rules, topic: config.topic, group: config.consumerGroup, startFrom: config.startFrom, contributions: { topic: names.contributions, partitions }, logger, clock, sleep: pause })
    this.#owner = new OwnerRole({ kafka, rules: this.#rules, names, partitions, inputPartitions, sender: this.#sender, logger, clock, sleep: pause })
  }

  async join (): Promise<void> {
    if (this.#stopped.signal.aborted) return
    await this.#owner!.join()
    if (this.#stopped.signal.aborted) return
    await this.#input!.join()
    this.#o.logger.info({ workload: this.#o.config.name, topic: this.#o.config.topic }, 'rules replica started')
  }

  /** Runs both stages until stop(); resolves after both have left their groups. */
  async run (): Promise<void> {
    const input = this.#input!
    const owner = this.#owner!
    try {
      // One failing stops the other: the replica exits and is restarted whole.
      await Promise.all([input.run(), owner.run()].map(async p => await p.catch(err => { this.stop(); throw err })))
    } finally {
      await input.close()
      await owner.close()
    }
  }

  stop (): void {
    this.#input?.stop()
    this.#owner?.stop()
    this.#stopped.abort()
  }

  /** Leaves both groups now, whatever the loops wait for. */
  async abort (timeoutMs = 2000): Promise<void> {
    this.stop()
    await Promise.all([this.#input?.close(timeoutMs), this.#owner?.close(timeoutMs, true)])
  }

  get stats (): RulesReplicaStats {
    const parts = this.#owner?.parts ?? []
    const sum = (k: 'applied' | 'duplicates' | 'late'): number => parts.reduce((n, p) => n + p.stats[k], 0)
    const problems = [this.#input?.stats.lastError, this.#owner?.lastError, this.#sender.lastError]
    return {
      records: this.#input?.stats.records ?? 0,
      contributions: this.#input?.stats.contributions ?? 0,
      alertsSent: this.#sender.sent,
      applied: sum('applied'),
      duplicates: sum('duplicates'),
      late: sum('late'),
      partitions: parts.map(p => p.partition),
      undecodableBatches: this.#input?.stats.undecodableBatches ?? 0,
      lastError: problems.filter(p => p !== null && p !== undefined).sort((a, b) => a!.time < b!.time ? 1 : -1)[0] ?? null
    }
  }

  summary (): RuleSummary[] { return summarize(this.#rules, this.#owner?.parts ?? []) }
}
