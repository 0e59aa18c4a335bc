import fs from 'node:fs'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Logger } from '../../shared/logger.js'
import { systemClock, type Clock } from '../../shared/clock.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { PartitionLog } from './partition-log.js'
import { DEFAULT_LOG_CONFIG, resolveTopicConfig, describeTopicConfig, type LogConfig } from './log-config.js'

export interface Topic {
  readonly name: string
  readonly topicId: string
  readonly partitions: PartitionLog[]
  /** Configs set explicitly for this topic (Kafka names). */
  readonly configs: Record<string, string>
}

interface TopicFile { name: string, topicId: string, partitions: number, configs: Record<string, string> }

const MAX_PARTITIONS = 10_000

/** Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], and not "." or "..". No path can escape. */
export function isValidTopicName (name: string): boolean {
  return name.length > 0 && name.length <= 249 && name !== '.' && name !== '..' && /^[a-zA-Z0-9._-]+$/.test(name)
}

/**
 * Owns every topic under `<dataDir>/topics/`: `<topic>/topic.json` (id, partition count and
 * explicit configs, written atomically) and `<topic>/<partition>/` for each partition's log.
 */
export class LogManager {
  readonly #root: string
  readonly #defaults: LogConfig
  readonly #log: Logger
  readonly #clock: Clock
  readonly #topics = new Map<string, Topic>()
  readonly #byId = new Map<string, Topic>()
  /** Called after every successful append to any partition. */
  onAppend: ((topic: string) => void) | null = null

  private constructor (root: string, defaults: LogConfig, logger: Logger, clock: Clock) {
    this.#root = root
    this.#defaults = defaults
    this.#log = logger
    this.#clock = clock
  }

  static open (dataDir: string, defaults: Partial<LogConfig>, logger: Logger, clock: Clock = systemClock): LogManager {
    const root = path.join(dataDir, 'topics')
    fs.mkdirSync(root, { recursive: true })
    const m = new LogManager(root, { ...DEFAULT_LOG_CONFIG, ...defaults }, logger, clock)
    for (const name of fs.readdirSync(root).sort()) {
      const file = path.join(root, name, 'topic.json')
      if (!isValidTopicName(name) || !fs.existsSync(file)) continue
      try {
        const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as TopicFile
        m.#load(meta)
      } catch (err) {
        logger.error({ err, topic: name }, `cannot load topic: ${file} is unreadable; topic skipped`)
      }
    }
    return m
  }

  #load (meta: TopicFile): Topic {
    const config = resolveTopicConfig(this.#defaults, meta.configs)
    if ('error' in config) throw new Error(config.error)
    const partitions: PartitionLog[] = []
    for (let p = 0; p < meta.partitions; p++) {
      const log = PartitionLog.open(path.join(this.#root, meta.name, String(p)), config, this.#log.child({ topic: meta.name, partition: p }), this.#clock)
      log.onAppend = () => this.onAppend?.(meta.name)
      partitions.push(log)
    }
    const topic: Topic = { name: meta.name, topicId: meta.topicId, partitions, configs: meta.configs }
    this.#topics.set(meta.name, topic)
    this.#byId.set(meta.topicId, topic)
    return topic
  }

  getTopic (name: string): Topic | undefined { return this.#topics.get(name) }
  getTopicById (topicId: string): Topic | undefined { return this.#byId.get(topicId) }
  listTopics (): Topic[] { return [...this.#topics.values()] }

  createTopic (name: string, numPartitions: number, configs: Record<string, string>): { errorCode: number, errorMessage?: string } {
    if (!isValidTopicName(name)) {
      return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `invalid topic name '${name}': use 1-249 characters of a-z A-Z 0-9 . _ - (not '.' or '..')` }
    }
    if (this.#topics.has(name)) return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `topic '${name}' already exists` }
    if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > MAX_PARTITIONS) {
      return { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `number of partitions must be between 1 and ${MAX_PARTITIONS}, got ${numPartitions}` }
    }
    const config = resolveTopicConfig(this.#defaults, configs)
    if ('error' in config) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: config.error }
    const meta: TopicFile = { name, topicId: randomUUID(), partitions: numPartitions, configs }
    const dir = path.join(this.#root, name)
    fs.mkdirSync(dir, { recursive: true })
    const tmp = path.join(dir, 'topic.json.tmp')
    const fd = fs.openSync(tmp, 'w')
    fs.writeSync(fd, JSON.stringify(meta, null, 2) + '\n')
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fs.renameSync(tmp, path.join(dir, 'topic.json'))
    this.#load(meta)
    return { errorCode: ErrorCode.NONE }
  }

  deleteTopic (name: string): number {
    const topic = this.#topics.get(name)
    if (topic === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    this.#topics.delete(name)
    this.#byId.delete(topic.topicId)
    for (const p of topic.partitions) p.destroy()
    fs.rmSync(path.join(this.#root, name), { recursive: true, force: true })
    return ErrorCode.NONE
  }

  describeConfigs (name: string): { name: string, value: string, isDefault: boolean }[] {
    const topic = this.#topics.get(name)
    if (topic === undefined) return []
    const effective = resolveTopicConfig(this.#defaults, topic.configs) as LogConfig
    return describeTopicConfig(effective, topic.configs)
  }

  applyRetention (now: number): void {
    for (const t of this.#topics.values()) for (const p of t.partitions) p.applyRetention(now)
  }

  flushAll (): void {
    for (const t of this.#topics.values()) for (const p of t.partitions) p.flush()
  }

  close (): void {
    for (const t of this.#topics.values()) for (const p of t.partitions) p.close()
    this.#topics.clear()
    this.#byId.clear()
  }
}
