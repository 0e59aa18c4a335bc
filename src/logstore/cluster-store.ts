// The log store over a Kafka cluster, through Tidewatch's own client: Metadata for the topics and
// their leaders, ListOffsets for each partition's bounds and for time lookups (the broker's time
// index), Fetch for batches (read_uncommitted from the offset asked, as the embedded reader reads
// its log; no consumer group, so nothing is committed), Produce with acks=all for appends (the
// batch producer, which auto-creates topics where the cluster does), and DescribeConfigs for a
// topic's max.message.bytes. A request the cluster cannot answer now is a 503 (shippers retry an
// ingest; a search can be asked again); one it refuses for good says which.
import { KafkaClient } from '../kafka/client.js'
import { ProduceRefused } from '../kafka/batch-producer.js'
import { Cluster, KafkaProtocolError } from '../kafka/cluster.js'
import { clientConnectionOptions } from '../kafka/connection-options.js'
import type { KafkaSettings } from '../kafka/connection-settings.js'
import { ErrorCode, errorCodeName } from '../protocol/error-codes.js'
import type { FetchResponse } from '../protocol/generated/fetch-response.js'
import type { ListOffsetsResponse } from '../protocol/generated/list-offsets-response.js'
import type { MetadataResponse } from '../protocol/generated/metadata-response.js'
import type { DescribeConfigsResponse } from '../protocol/generated/describe-configs-response.js'
import { FETCH_VERSIONS, fetchBody } from '../kafka/requests.js'
import { LogStoreError } from './errors.js'
import type { AppendOutcome, AppendTarget, PartitionBounds, PartitionRead, PartitionSource, TopicInfo, TopicStore } from './topic-store.js'

const FETCH = 1
const LIST_OFFSETS = 2
const METADATA = 3
const DESCRIBE_CONFIGS = 32
const EARLIEST = -2
const LATEST = -1
/** Kafka's default max.message.bytes, used when DescribeConfigs does not say (not authorized, say). */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
/** How long a topic's max.message.bytes is trusted before it is asked again. */
const CONFIG_MAX_AGE_MS = 60_000

/** Errors a fresh look at the metadata (a new leader) may cure. */
const STALE_LEADER = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH])

/** A failure to reach or use the cluster, as the log store reports it (never with a secret: messages name addresses and error codes only). */
function unavailable (what: string, err: unknown): LogStoreError {
  if (err instanceof LogStoreError) return err
  const code = err instanceof KafkaProtocolError ? err.code : null
  if (code === ErrorCode.TOPIC_AUTHORIZATION_FAILED) return new LogStoreError(403, `the Kafka cluster does not allow ${what} (TOPIC_AUTHORIZATION_FAILED): grant this client's user access to the topic`)
  return new LogStoreError(503, `cannot ${what} in the Kafka cluster: ${(err as Error).message}`)
}

class ClusterPartition implements PartitionSource {
  constructor (readonly store: ClusterStore, readonly topic: string, readonly partition: number, public logStartOffset: number, public logEndOffset: number) {}

  async read (offset: number, maxBytes: number): Promise<PartitionRead> {
    const p = await this.store.fetch(this.topic, this.partition, offset, maxBytes)
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const [bounds] = await this.store.bounds(this.topic, [this.partition])
      this.logStartOffset = bounds.logStartOffset
      this.logEndOffset = bounds.logEndOffset
      return offset < this.logStartOffset ? 'out-of-range' : { records: null }
    }
    if (p.highWatermark >= 0) this.logEndOffset = p.highWatermark
    if (p.logStartOffset >= 0) this.logStartOffset = p.logStartOffset
    return { records: p.records }
  }

  async offsetForTimestamp (timestamp: number): Promise<number | null> {
    const found = await this.store.listOffsets(this.topic, [this.partition], Math.max(0, Math.trunc(timestamp)))
    const offset = found.get(this.partition) ?? -1
    return offset < 0 ? null : offset
  }
}

export class ClusterStore implements TopicStore {
  readonly #cluster: Cluster
  readonly #client: KafkaClient
  readonly #configs = new Map<string, { maxMessageBytes: number, at: number }>()

  /** `clientId`: what the brokers see (unless the settings name one). Reads certificate files now. */
  constructor (settings: KafkaSettings, clientId: string) {
    const id = settings.clientId ?? clientId
    const { bootstrapBrokers: _, ...security } = clientConnectionOptions(settings)
    this.#cluster = new Cluster(settings.brokers, { clientId: id, ...security })
    this.#client = new KafkaClient({ settings, clientId: id })
  }

  now (): number { return Date.now() }

  async listTopics (): Promise<TopicInfo[]> {
    let meta: MetadataResponse
    try {
      meta = await this.#cluster.request('any', METADATA, 1, 12, () => ({ topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }))
    } catch (err) { throw unavailable('list the topics', err) }
    const names = meta.topics.filter(t => t.name !== null && t.errorCode === ErrorCode.NONE && !t.isInternal).map(t => t.name!)
    const out: TopicInfo[] = []
    for (const name of names) {
      const partitions = await this.topic(name)
      if (partitions !== null) out.push({ name, partitions: partitions.map(p => ({ partition: p.partition, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, sizeBytes: null })) })
    }
    return out
  }

  async topic (name: string): Promise<PartitionSource[] | null> {
    const leaders = await this.#leaders(name, true)
    if (leaders === null) return null
    const bounds = await this.bounds(name, leaders.map((_, p) => p))
    return bounds.map(b => new ClusterPartition(this, name, b.partition, b.logStartOffset, b.logEndOffset))
  }

  async appendTarget (name: string): Promise<AppendTarget> {
    let partitions: number
    try {
      // Asks with auto-creation, as a producer's first write does.
      partitions = await this.#client.batchProducer().partitions(name)
    } catch (err) {
      const exists = await this.#leaders(name, true).catch(() => undefined)
      if (exists === null) throw new LogStoreError(404, `topic '${name}' does not exist in the Kafka cluster and the cluster does not auto-create topics: create it first`, 'topic')
      throw unavailable(`find topic '${name}'`, err)
    }
    return { partitions, maxBatchBytes: await this.maxMessageBytes(name) }
  }

  async append (name: string, batches: Map<number, Buffer>): Promise<AppendOutcome> {
    const done = new Set<number>()
    const baseOffsets = new Map<number, number>()
    let failure: AppendOutcome['failure'] = null
    // One retry after a fresh look at the leaders (the producer drops its layout on failure).
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.#client.batchProducer().send(name, batches, done, baseOffsets)
        failure = null
        break
      } catch (err) {
        const tooLarge = err instanceof ProduceRefused && (err.errorCode === ErrorCode.MESSAGE_TOO_LARGE || err.errorCode === ErrorCode.RECORD_LIST_TOO_LARGE)
        failure = { status: tooLarge ? 413 : 503, reason: `the Kafka cluster did not store a batch for '${name}' (${(err as Error).message})` }
        if (tooLarge) break
      }
    }
    const stored = new Map<number, number>()
    for (const p of done) stored.set(p, baseOffsets.get(p) ?? -1)
    return { stored, failure }
  }

  async maxMessageBytes (name: string): Promise<number> {
    const known = this.#configs.get(name)
    if (known !== undefined && Date.now() - known.at < CONFIG_MAX_AGE_MS) return known.maxMessageBytes
    let value = KAFKA_DEFAULT_MAX_MESSAGE_BYTES
    try {
      const res = await this.#cluster.request('any', DESCRIBE_CONFIGS, 0, 4, () => ({ resources: [{ resourceType: 2, resourceName: name, configurationKeys: ['max.message.bytes'] }], includeSynonyms: false, includeDocumentation: false })) as DescribeConfigsResponse
      const result = res.results[0]
      const configured = Number(result?.errorCode === ErrorCode.NONE ? result.configs.find(c => c.name === 'max.message.bytes')?.value : undefined)
      if (Number.isFinite(configured) && configured > 0) value = configured
    } catch {
      // Not allowed to describe configs, or an old broker: Kafka's default is the best guess,
      // and a batch over the real limit is refused by the broker with MESSAGE_TOO_LARGE (413).
    }
    this.#configs.set(name, { maxMessageBytes: value, at: Date.now() })
    return value
  }

  /** Leader per partition (-1: none now); null when the topic does not exist. */
  async #leaders (topic: string, fresh: boolean): Promise<number[] | null> {
    if (fresh || this.#cluster.partitions(topic) === undefined) {
      try { await this.#cluster.refreshMetadata([topic]) } catch (err) { throw unavailable(`read the metadata of '${topic}'`, err) }
    }
    const partitions = this.#cluster.partitions(topic)
    return partitions === undefined || partitions.length === 0 ? null : [...partitions].map(p => p?.leader ?? -1)
  }

  /** Sends one request per leader of `partitions`; retries once with fresh metadata where a leader moved. */
  async #perLeader<T> (topic: string, partitions: number[], what: string, ask: (leader: number, partitions: number[]) => Promise<Map<number, { errorCode: number, value: T }>>): Promise<Map<number, T>> {
    const out = new Map<number, T>()
    let pending = partitions
    for (let attempt = 0; pending.length > 0; attempt++) {
      const leaders = await this.#leaders(topic, attempt > 0)
      if (leaders === null) throw new LogStoreError(404, `topic '${topic}' does not exist`, 'topic')
      const byLeader = new Map<number, number[]>()
      for (const p of pending) byLeader.set(leaders[p] ?? -1, [...(byLeader.get(leaders[p] ?? -1) ?? []), p])
      const retry: number[] = []
      for (const [leader, ps] of byLeader) {
        let answers: Map<number, { errorCode: number, value: T }>
        try {
          if (leader < 0) throw new KafkaProtocolError(`no leader for ${topic}/${ps.join(',')}`, ErrorCode.LEADER_NOT_AVAILABLE)
          answers = await ask(leader, ps)
        } catch (err) {
          if (attempt === 0 && !(err instanceof LogStoreError)) { retry.push(...ps); continue }
          throw unavailable(what, err)
        }
        for (const p of ps) {
          const a = answers.get(p)
          const code = a?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          if (a !== undefined && code === ErrorCode.NONE) out.set(p, a.value)
          else if (attempt === 0 && STALE_LEADER.has(code)) retry.push(p)
          else throw unavailable(what, new KafkaProtocolError(`${topic}/${p}: ${errorCodeName(code)}`, code))
        }
      }
      pending = retry
    }
    return out
  }

  /** ListOffsets at `timestamp` (-2 earliest, -1 latest, else by time) per partition; -1 where none. */
  async listOffsets (topic: string, partitions: number[], timestamp: number): Promise<Map<number, number>> {
    return await this.#perLeader(topic, partitions, `list the offsets of '${topic}'`, async (leader, ps) => {
      const res = await this.#cluster.request(leader, LIST_OFFSETS, 1, 7, () => ({
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: ps.map(partitionIndex => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }]
      })) as ListOffsetsResponse
      return new Map(res.topics.flatMap(t => t.partitions).map(p => [p.partitionIndex, { errorCode: p.errorCode, value: Number(p.offset) }]))
    })
  }

  /** Log start and end offsets of `partitions`. */
  async bounds (topic: string, partitions: number[]): Promise<PartitionBounds[]> {
    const [starts, ends] = await Promise.all([this.listOffsets(topic, partitions, EARLIEST), this.listOffsets(topic, partitions, LATEST)])
    return partitions.map(p => ({ partition: p, logStartOffset: starts.get(p) ?? 0, logEndOffset: ends.get(p) ?? 0, sizeBytes: null }))
  }

  /** One partition's Fetch answer at `offset` (OFFSET_OUT_OF_RANGE is returned, other errors thrown). */
  async fetch (topic: string, partition: number, offset: number, maxBytes: number): Promise<{ errorCode: number, records: Buffer | null, highWatermark: number, logStartOffset: number }> {
    const answers = await this.#perLeader(topic, [partition], `read '${topic}'`, async leader => {
      const res = await this.#cluster.request(leader, FETCH, FETCH_VERSIONS[0], FETCH_VERSIONS[1], () => ({
        ...fetchBody(topic, [{ partition, offset, leaderEpoch: -1 }], { maxWaitMs: 0, maxBytes, partitionMaxBytes: maxBytes }) as object,
        // What the embedded reader sees: everything up to the high watermark.
        isolationLevel: 0
      })) as FetchResponse
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(`Fetch: ${errorCodeName(res.errorCode)}`, res.errorCode)
      const p = res.responses.flatMap(t => t.partitions).find(x => x.partitionIndex === partition)
      // Out of range is an answer here: the caller moves to the new log start.
      const code = p === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE ? ErrorCode.NONE : p.errorCode
      return new Map([[partition, { errorCode: code, value: { errorCode: p?.errorCode ?? code, records: p?.records ?? null, highWatermark: Number(p?.highWatermark ?? -1), logStartOffset: Number(p?.logStartOffset ?? -1) } }]])
    })
    return answers.get(partition)!
  }

  async close (): Promise<void> {
    this.#cluster.close()
    await this.#client.close()
  }
}
