import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Logger } from '../../shared/logger.js'
import { systemClock, type Clock } from '../../shared/clock.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { PartitionLog, isStorageError } from './partition-log.js'
import { FileCache } from './file-cache.js'
import { DEFAULT_LOG_CONFIG, resolveTopicConfig, describeTopicConfig, type LogConfig, type ConfigEntry } from './log-config.js'
import { readTopicDir, partitionLimitProblem, type PartitionLimits, type TopicFile, writeFileDurably } from './topic-files.js'

export type { PartitionLimits } from './topic-files.js'

export interface Topic {
  readonly name: string
  readonly topicId: string
  /** Grows with CreatePartitions; never shrinks. */
  readonly partitions: PartitionLog[]
  /** Configs set explicitly for this topic (Kafka names); replaced by AlterConfigs. */
  configs: Record<string, string>
}

export interface StorageLimits extends PartitionLimits {
  /** Segment file descriptors held open at once (FileCache). */
  maxOpenFiles: number
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = { maxOpenFiles: 1000, maxPartitionsPerTopic: 10_000, maxPartitions: 20_000 }

/** Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], and not "." or "..". No path can escape. */
export function isValidTopicName (name: string): boolean {
  return name.length > 0 && name.length <= 249 && name !== '.' && name !== '..' && /^[a-zA-Z0-9._-]+$/.test(name)
}

/**
 * Owns every topic under `<dataDir>/topics/`: `<topic>/topic.json` (id, partition count and
 * explicit configs) and `<topic>/<partition>/` for each partition's log.
 *
 * A topic exists once its topic.json does: creation makes every partition directory first and
 * writes topic.json last (fsynced, renamed into place), so a crash or an error part-way leaves
 * a directory without topic.json, which the next start removes. A topic that cannot be loaded
 * (damaged topic.json, unreadable partition) is reported and skipped, never stopping the broker
 * or touching other topics; its name stays taken until someone repairs or removes it.
 */
export class LogManager {
  readonly #root: string
  #defaults: LogConfig
  readonly #log: Logger
  readonly #clock: Clock
  readonly #limits: StorageLimits
  readonly #files: FileCache
  readonly #topics = new Map<string, Topic>()
  readonly #byId = new Map<string, Topic>()
  /** Topic directories on disk that could not be loaded, with why. */
  readonly #damaged = new Map<string, string>()
  #partitionCount = 0
  /** Called after every successful append to any partition. */
  onAppend: ((topic: string) => void) | null = null

  private constructor (root: string, defaults: LogConfig, logger: Logger, clock: Clock, limits: StorageLimits) {
    this.#root = root
    this.#defaults = defaults
    this.#log = logger
    this.#clock = clock
    this.#limits = limits
    this.#files = new FileCache(limits.maxOpenFiles)
  }

  static open (dataDir: string, defaults: Partial<LogConfig>, logger: Logger, clock: Clock = systemClock, limits: Partial<StorageLimits> = {}): LogManager {
    const root = path.join(dataDir, 'topics')
    fs.mkdirSync(root, { recursive: true })
    const m = new LogManager(root, { ...DEFAULT_LOG_CONFIG, ...defaults }, logger, clock, { ...DEFAULT_STORAGE_LIMITS, ...limits })
    for (const name of fs.readdirSync(root).sort()) {
      if (!isValidTopicName(name)) continue
      const found = readTopicDir(path.join(root, name), name)
      if (found.kind === 'meta') {
        const problem = m.#loadSafely(found.meta)
        if (problem !== null) m.#skip(name, problem)
      } else if (found.kind === 'unfinished') {
        // A creation interrupted before topic.json was written: nothing was ever stored in it.
        logger.warn({ topic: name }, 'removed a topic directory left by an interrupted creation')
        fs.rmSync(path.join(root, name), { recursive: true, force: true })
      } else {
        m.#skip(name, found.problem)
      }
    }
    return m
  }

  #skip (name: string, problem: string): void {
    this.#damaged.set(name, problem)
    this.#log.error({ topic: name, dir: path.join(this.#root, name) }, `cannot load topic '${name}': ${problem}; topic skipped, its files are left as they are (repair them, or remove the directory to free the name)`)
  }

  /** Loads a topic, or returns why it could not (closing whatever it had opened). */
  #loadSafely (meta: TopicFile): string | null {
    const config = resolveTopicConfig(this.#defaults, meta.configs)
    if ('error' in config) return config.error
    const partitions: PartitionLog[] = []
    try {
      for (let p = 0; p < meta.partitions; p++) {
        const log = PartitionLog.open(path.join(this.#root, meta.name, String(p)), config, this.#log.child({ topic: meta.name, partition: p }), this.#clock, this.#files)
        log.onAppend = () => this.onAppend?.(meta.name)
        partitions.push(log)
      }
    } catch (err) {
      // Whatever went wrong (an unreadable file, a damaged index), only this topic is affected.
      for (const log of partitions) log.close()
      return `partition ${partitions.length}: ${(err as Error).message}`
    }
    const topic: Topic = { name: meta.name, topicId: meta.topicId, partitions, configs: meta.configs }
    this.#topics.set(meta.name, topic)
    this.#byId.set(meta.topicId, topic)
    this.#partitionCount += partitions.length
    return null
  }

  getTopic (name: string): Topic | undefined { return this.#topics.get(name) }
  getTopicById (topicId: string): Topic | undefined { return this.#byId.get(topicId) }
  listTopics (): Topic[] { return [...this.#topics.values()] }
  /** Partitions of every loaded topic. */
  get partitionCount (): number { return this.#partitionCount }
  /** Segment file descriptors open now (at most `maxOpenFiles`). */
  get openFiles (): number { return this.#files.openCount }

  /**
   * Why a topic cannot be created, or null. `alsoRequested` counts partitions accepted earlier in
   * the same request (the per-request limit is the caller's).
   */
  creationProblem (name: string, numPartitions: number, configs: Record<string, string>, alsoRequested = 0): { errorCode: number, errorMessage: string } | null {
    if (!isValidTopicName(name)) {
      return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `invalid topic name '${name}': use 1-249 characters of a-z A-Z 0-9 . _ - (not '.' or '..')` }
    }
    if (this.#topics.has(name)) return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `topic '${name}' already exists` }
    const damaged = this.#damaged.get(name)
    if (damaged !== undefined) {
      return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `a damaged topic '${name}' is on disk (${damaged}); repair it or remove ${path.join(this.#root, name)} and restart the broker` }
    }
    const limit = partitionLimitProblem(numPartitions, this.#partitionCount + alsoRequested, this.#limits)
    if (limit !== null) return limit
    const config = resolveTopicConfig(this.#defaults, configs)
    if ('error' in config) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: config.error }
    return null
  }

  createTopic (name: string, numPartitions: number, configs: Record<string, string>): { errorCode: number, errorMessage?: string } {
    const problem = this.creationProblem(name, numPartitions, configs)
    if (problem !== null) return problem
    const meta: TopicFile = { name, topicId: randomUUID(), partitions: numPartitions, configs }
    const dir = path.join(this.#root, name)
    let failure: string | null
    try {
      // Partition directories first, topic.json last: until it is in place the topic does not
      // exist, for this process and for the next start.
      for (let p = 0; p < numPartitions; p++) fs.mkdirSync(path.join(dir, String(p)), { recursive: true })
      writeFileDurably(path.join(dir, 'topic.json'), JSON.stringify(meta, null, 2) + '\n')
      failure = this.#loadSafely(meta)
    } catch (err) {
      if (!isStorageError(err)) throw err
      failure = err.message
    }
    if (failure !== null) {
      fs.rmSync(dir, { recursive: true, force: true })
      this.#log.error({ topic: name, partitions: numPartitions, err: failure }, 'topic creation failed; nothing of it was kept')
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `cannot create topic '${name}' (${failure}); nothing of it was kept` }
    }
    return { errorCode: ErrorCode.NONE }
  }

  deleteTopic (name: string): number {
    const topic = this.#topics.get(name)
    if (topic === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    this.#topics.delete(name)
    this.#byId.delete(topic.topicId)
    this.#partitionCount -= topic.partitions.length
    for (const p of topic.partitions) p.destroy()
    fs.rmSync(path.join(this.#root, name), { recursive: true, force: true })
    return ErrorCode.NONE
  }

  /**
   * New broker-wide defaults (dynamic broker configs such as log.retention.ms): every topic's
   * effective config is worked out again from them and its own explicit configs.
   */
  setDefaults (defaults: LogConfig): void {
    this.#defaults = defaults
    for (const t of this.#topics.values()) {
      const config = resolveTopicConfig(defaults, t.configs)
      if (!('error' in config)) for (const p of t.partitions) p.updateConfig(config)
    }
  }

  get defaults (): LogConfig { return this.#defaults }

  describeConfigs (name: string): ConfigEntry[] {
    const topic = this.#topics.get(name)
    if (topic === undefined) return []
    const effective = resolveTopicConfig(this.#defaults, topic.configs) as LogConfig
    return describeTopicConfig(effective, topic.configs)
  }

  /**
   * Replaces a topic's explicit configs (AlterConfigs; IncrementalAlterConfigs computes the new
   * set first). Validated as a whole, written to topic.json durably, then applied to every
   * partition; with `validateOnly` nothing changes.
   */
  alterConfigs (name: string, configs: Record<string, string>, validateOnly: boolean): { errorCode: number, errorMessage: string | null } {
    const topic = this.#topics.get(name)
    if (topic === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${name}'` }
    const config = resolveTopicConfig(this.#defaults, configs)
    if ('error' in config) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: config.error }
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null }
    const failure = this.#writeMeta({ name, topicId: topic.topicId, partitions: topic.partitions.length, configs })
    if (failure !== null) return failure
    topic.configs = configs
    for (const p of topic.partitions) p.updateConfig(config)
    return { errorCode: ErrorCode.NONE, errorMessage: null }
  }

  /** Why a topic cannot grow to `count` partitions, or null (CreatePartitions). */
  addPartitionsProblem (name: string, count: number): { errorCode: number, errorMessage: string } | null {
    const topic = this.#topics.get(name)
    if (topic === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `unknown topic '${name}'` }
    const now = topic.partitions.length
    if (count <= now) {
      return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: count === now ? `topic '${name}' already has ${now} partitions` : `topic '${name}' has ${now} partitions, more than the ${count} asked for; partitions can only be added` }
    }
    const limit = partitionLimitProblem(count, this.#partitionCount - now, this.#limits)
    return limit
  }

  /**
   * Adds partitions up to `count`. The new partition directories come first, topic.json with
   * the new count last, so a crash in between leaves the topic as it was (the next start sees
   * only the partitions topic.json names, and a later CreatePartitions starts those afresh).
   */
  addPartitions (name: string, count: number): { errorCode: number, errorMessage: string | null } {
    const problem = this.addPartitionsProblem(name, count)
    if (problem !== null) return problem
    const topic = this.#topics.get(name)!
    const config = resolveTopicConfig(this.#defaults, topic.configs) as LogConfig
    const added: PartitionLog[] = []
    try {
      for (let p = topic.partitions.length; p < count; p++) {
        const dir = path.join(this.#root, name, String(p))
        fs.rmSync(dir, { recursive: true, force: true })
        const log = PartitionLog.open(dir, config, this.#log.child({ topic: name, partition: p }), this.#clock, this.#files)
        log.onAppend = () => this.onAppend?.(name)
        added.push(log)
      }
    } catch (err) {
      for (const log of added) log.destroy()
      if (!isStorageError(err)) throw err
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `cannot add partitions to '${name}' (${err.message}); it keeps ${topic.partitions.length}` }
    }
    const failure = this.#writeMeta({ name, topicId: topic.topicId, partitions: count, configs: topic.configs })
    if (failure !== null) {
      for (const log of added) log.destroy()
      return failure
    }
    topic.partitions.push(...added)
    this.#partitionCount += added.length
    return { errorCode: ErrorCode.NONE, errorMessage: null }
  }

  /** Rewrites topic.json; a storage failure is KAFKA_STORAGE_ERROR and leaves the old file. */
  #writeMeta (meta: TopicFile): { errorCode: number, errorMessage: string } | null {
    try {
      writeFileDurably(path.join(this.#root, meta.name, 'topic.json'), JSON.stringify(meta, null, 2) + '\n')
      return null
    } catch (err) {
      if (!isStorageError(err)) throw err
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `cannot write topic.json of '${meta.name}': ${err.message}` }
    }
  }

  applyRetention (now: number): void {
    for (const t of this.#topics.values()) for (const p of t.partitions) p.applyRetention(now)
  }

  /** Compacts every partition of topics with cleanup.policy=compact (see PartitionLog.compact). */
  compact (now: number): void {
    for (const t of this.#topics.values()) for (const p of t.partitions) p.compact(now)
  }

  flushAll (): void {
    for (const t of this.#topics.values()) for (const p of t.partitions) p.flush()
  }

  close (): void {
    for (const t of this.#topics.values()) for (const p of t.partitions) p.close()
    this.#topics.clear()
    this.#byId.clear()
    this.#files.close()
  }
}
