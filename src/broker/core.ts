import fs from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Logger } from '../shared/logger.js'
import type { Clock } from '../shared/clock.js'
import type { ResolvedBrokerOptions } from './config.js'
import { LogManager } from './log/log-manager.js'
import { GroupCoordinator } from './groups/coordinator.js'
import { ProducerIdAllocator } from './producer-ids.js'
import { TransactionCoordinator } from './txn/coordinator.js'
import { SaslAuthenticator } from './sasl/authenticator.js'
import { BrokerConfigStore } from './broker-configs.js'
import { DEFAULT_LOG_CONFIG, resolveTopicConfig, type LogConfig } from './log/log-config.js'

/** The one node this broker is. */
export const NODE_ID = 1

/**
 * The broker's state and its owners: topics and partitions (LogManager), consumer groups
 * (GroupCoordinator), producer ids and transactions (TransactionCoordinator). API files reach
 * everything through this object.
 */
export class BrokerCore {
  readonly options: ResolvedBrokerOptions
  readonly logger: Logger
  readonly clock: Clock
  readonly logs: LogManager
  readonly groups: GroupCoordinator
  readonly producerIds: ProducerIdAllocator
  readonly transactions: TransactionCoordinator
  /** SASL users and mechanisms; disabled when the broker has no users. */
  readonly sasl: SaslAuthenticator
  readonly clusterId: string
  /** Broker configs changed at run time (kafka-configs.sh --entity-type brokers). */
  readonly brokerConfigs: BrokerConfigStore
  readonly #logDefaults: LogConfig
  /** Set by the server once listening, so Metadata can advertise the real port when 0 was asked. */
  port: number
  #appendWaiters = new Set<() => void>()
  #appendWatchers = new Set<(topic: string) => void>()

  constructor (options: ResolvedBrokerOptions, logger: Logger, clock: Clock) {
    this.options = options
    this.logger = logger
    this.clock = clock
    this.port = options.port
    this.sasl = new SaslAuthenticator(options.sasl)
    fs.mkdirSync(options.dataDir, { recursive: true })
    this.clusterId = loadClusterId(options.dataDir)
    this.#logDefaults = {
      ...DEFAULT_LOG_CONFIG,
      segmentBytes: options.segmentBytes,
      retentionMs: options.retentionMs,
      retentionBytes: options.retentionBytes,
      maxMessageBytes: options.maxMessageBytes,
      flushMessages: options.flushMessages,
      flushMs: options.flushMs
    }
    this.brokerConfigs = new BrokerConfigStore(options.dataDir)
    this.logs = LogManager.open(options.dataDir, this.#withDynamicDefaults(), logger.child({ part: 'log' }), clock, {
      maxOpenFiles: options.maxOpenFiles,
      maxPartitionsPerTopic: options.maxPartitionsPerTopic,
      maxPartitions: options.maxPartitions
    })
    this.logs.onAppend = topic => {
      this.#wakeFetchers()
      for (const w of this.#appendWatchers) w(topic)
    }
    this.groups = GroupCoordinator.open({
      dataDir: options.dataDir,
      logger: logger.child({ part: 'groups' }),
      clock,
      initialRebalanceDelayMs: options.initialRebalanceDelayMs
    })
    this.producerIds = new ProducerIdAllocator(options.dataDir)
    this.transactions = new TransactionCoordinator({
      dataDir: options.dataDir,
      logger: logger.child({ part: 'transactions' }),
      clock,
      nextProducerId: () => this.producerIds.next(),
      partition: (topic, partition) => this.logs.getTopic(topic)?.partitions[partition],
      groups: this.groups
    })
  }

  /** The log defaults from the options with the dynamic broker configs on top. */
  #withDynamicDefaults (): LogConfig {
    const resolved = resolveTopicConfig(this.#logDefaults, this.brokerConfigs.topicDefaults())
    return 'error' in resolved ? this.#logDefaults : resolved
  }

  /** Replaces the dynamic broker configs (AlterConfigs on the broker); the log defaults follow. */
  setBrokerConfigs (configs: Record<string, string>, validateOnly: boolean): { errorCode: number, errorMessage: string | null } {
    const outcome = this.brokerConfigs.replace(configs, validateOnly)
    if (outcome.errorCode === 0 && !validateOnly) {
      this.logs.setDefaults(this.#withDynamicDefaults())
      this.logger.info({ configs }, 'dynamic broker configs changed')
    }
    return outcome
  }

  /**
   * Resolves when a partition gets new data or after `timeoutMs`, whichever is first. Fetch
   * long polls use it; the caller re-reads and decides whether it has enough.
   */
  waitForAppend (timeoutMs: number): Promise<void> {
    return new Promise(resolve => {
      const done = (): void => {
        this.#appendWaiters.delete(done)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, timeoutMs))
      this.#appendWaiters.add(done)
    })
  }

  /**
   * Calls `listener` with the topic name after every append, until the returned function is
   * called. The autoscaler uses it to start a replica the moment a record arrives, instead of
   * waiting for its next lag poll.
   */
  watchAppends (listener: (topic: string) => void): () => void {
    this.#appendWatchers.add(listener)
    return () => { this.#appendWatchers.delete(listener) }
  }

  #wakeFetchers (): void {
    if (this.#appendWaiters.size === 0) return
    for (const w of [...this.#appendWaiters]) w()
  }

  close (): void {
    for (const w of [...this.#appendWaiters]) w()
    this.transactions.close()
    this.groups.close()
    this.logs.close()
  }
}

function loadClusterId (dataDir: string): string {
  const file = path.join(dataDir, 'cluster-id')
  try {
    const id = fs.readFileSync(file, 'utf8').trim()
    if (id) return id
  } catch {}
  // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding.
  const id = randomBytes(16).toString('base64url')
  fs.writeFileSync(file, id + '\n')
  return id
}
