import type { EventEmitter } from 'node:events'
import { Admin, Producer } from '@platformatic/kafka'
import { readPositions, type PositionReading } from './read-positions.js'
import type { ConnectionOptions } from './connection.js'
import { checkConnection } from './connection-check.js'
import { clientConnectionOptions, isLastingFailure, type ClientConnectionOptions } from './connection-options.js'
import type { KafkaSettings } from './connection-settings.js'
import { GroupSubscription, type SubscribeOptions } from './subscription.js'
import { BatchProducer } from './batch-producer.js'

export { GroupSubscription, StreamFailure, type Polled, type PollOptions } from './subscription.js'
export { BatchProducer, ProduceRefused } from './batch-producer.js'

/** Offsets of one partition as seen by one consumer group. */
export interface PartitionOffsets { partition: number, endOffset: number, logStartOffset: number, committed: number }

/** A record as Tidewatch code sees it, whatever cluster it came from. */
export interface KafkaRecord {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: Record<string, string>
}

export interface OutgoingRecord {
  topic: string
  key?: string | Buffer | null
  value: string | Buffer
  headers?: Record<string, string>
  /** A partition chosen by the caller (otherwise the client's partitioner picks one). */
  partition?: number
  /** The record's timestamp, epoch ms (otherwise now). */
  timestamp?: number
}

/**
 * The one way Tidewatch code talks to Kafka — the embedded broker or a real cluster alike.
 * Consuming (group membership, Fetch, commits) is Tidewatch's own code on its own codec
 * (subscription.ts); producing and admin calls go through @platformatic/kafka.
 */
/**
 * The client library listens for one 'error' of a connection that failed to connect; a second
 * (a broker resetting the socket after refusing its SASL login) has no listener and would be an
 * uncaught exception that ends the process. The failure itself reaches the caller as usual.
 */
function absorbLateErrors<C extends Admin | Producer<Buffer, Buffer, Buffer, Buffer>> (client: C): C {
  (client as unknown as EventEmitter).on('client:broker:failed', (e: { connection?: EventEmitter }) => { e.connection?.on('error', () => {}) })
  return client
}

export interface KafkaClientOptions {
  /** How to reach the cluster: brokers, TLS, SASL (connection-settings.ts). */
  settings: KafkaSettings
  /** The client id brokers see, unless the settings name one. */
  clientId: string
}

export class KafkaClient {
  readonly #bootstrap: string[]
  readonly #clientId: string
  /** TLS and SASL as both the client library and Tidewatch's own connections take them. */
  readonly #security: Omit<ClientConnectionOptions, 'bootstrapBrokers'>
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | null = null
  #admin: Admin | null = null
  #batchProducer: BatchProducer | null = null
  #probe: Admin | null = null

  /** Reads the settings' certificate files now: a missing one is a KafkaSettingsError naming its setting. */
  constructor (opts: KafkaClientOptions) {
    this.#bootstrap = opts.settings.brokers
    this.#clientId = opts.settings.clientId ?? opts.clientId
    const { bootstrapBrokers: _, ...security } = clientConnectionOptions(opts.settings)
    this.#security = security
  }

  /**
   * Connects to a bootstrap broker as every connection of this client will (TLS, SASL) and asks
   * for the cluster's metadata: what a command does once at start, so that wrong settings fail
   * there, explained (connection-options.ts), instead of in a retry loop.
   */
  async verify (timeoutMs = 15_000): Promise<void> {
    await checkConnection(this.#bootstrap, this.#connection({ connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs }))
  }

  async produce (records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return
    this.#producer ??= absorbLateErrors(new Producer({ clientId: this.#clientId, bootstrapBrokers: this.#bootstrap, ...this.#security, idempotent: true, autocreateTopics: true }))
    const buf = (v: string | Buffer): Buffer => typeof v === 'string' ? Buffer.from(v) : v
    await this.#producer.send({
      messages: records.map(r => ({
        topic: r.topic,
        key: r.key === undefined || r.key === null ? undefined : buf(r.key),
        value: buf(r.value),
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
        ...(r.timestamp !== undefined ? { timestamp: BigInt(Math.trunc(r.timestamp)) } : {}),
        headers: r.headers === undefined ? undefined : new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]))
      }))
    })
  }

  /**
   * A producer of RecordBatches built by the caller (the collector's), sent with Tidewatch's own
   * codec to each partition's leader as this client's metadata says; closed with the client.
   */
  batchProducer (): BatchProducer {
    this.#batchProducer ??= new BatchProducer({
      connection: this.#connection(),
      layout: async (topic, fresh) => {
        const meta = await this.#adminClient().metadata({ topics: [topic], autocreateTopics: true, forceUpdate: fresh })
        const t = meta.topics.get(topic)
        if (t === undefined || t.partitionsCount === 0) throw new Error(`topic '${topic}' is not in the cluster metadata`)
        return { partitions: t.partitionsCount, leaders: t.partitions.map(p => p?.leader ?? -1), brokers: meta.brokers }
      }
    })
    return this.#batchProducer
  }

  /**
   * Resolves once every topic exists, asking the cluster to create missing ones (the embedded
   * broker does; a cluster with auto-creation off is waited on, reported every `reportEveryMs`).
   */
  async waitForTopics (topics: string[], onWait: (missing: string[]) => void, signal?: AbortSignal, reportEveryMs = 10_000): Promise<void> {
    let lastReport = 0
    while (signal?.aborted !== true) {
      const missing: string[] = []
      for (const t of topics) {
        try {
          await this.#adminClient().metadata({ topics: [t], autocreateTopics: true, forceUpdate: true })
        } catch (err) {
          // TLS or SASL refused: waiting will not make the topic appear.
          if (isLastingFailure(err as Error)) throw err
          missing.push(t)
        }
      }
      if (missing.length === 0) return
      if (Date.now() - lastReport >= reportEveryMs) { onWait(missing); lastReport = Date.now() }
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  }

  /**
   * Joins `groupId` for `topics` (the first one is consumed); resolves once this member has its
   * partitions. A group with no committed offsets starts at `startFrom`.
   */
  async subscribe (opts: SubscribeOptions): Promise<GroupSubscription> {
    return await GroupSubscription.open(this.#bootstrap, this.#connection(), opts)
  }

  /**
   * What every socket of Tidewatch's own consumer is opened with: the one place where connection
   * settings (TLS, SASL) join the client id; the producer and admin clients (@platformatic/kafka)
   * take the same settings in their own options.
   */
  #connection (extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
    return { clientId: this.#clientId, ...this.#security, ...extra }
  }

  #adminClient (): Admin {
    this.#admin ??= absorbLateErrors(new Admin({ clientId: `${this.#clientId}-admin`, bootstrapBrokers: this.#bootstrap, ...this.#security }))
    return this.#admin
  }

  /**
   * Metadata of a topic that may well not exist (a function's dead-letter topic before its
   * first dead letter): asked without the client's retries, which would spend 3 s on every
   * "unknown topic" — the autoscaler asks each poll. Other failures get the retrying client.
   */
  async #metadataIfExists (topic: string): Promise<Awaited<ReturnType<Admin['metadata']>> | null> {
    this.#probe ??= absorbLateErrors(new Admin({ clientId: `${this.#clientId}-probe`, bootstrapBrokers: this.#bootstrap, ...this.#security, retries: 0 }))
    try {
      return await this.#probe.metadata({ topics: [topic], forceUpdate: true })
    } catch (err) {
      if ((err as { findBy?: (k: string, v: string) => unknown }).findBy?.('apiId', 'UNKNOWN_TOPIC_OR_PARTITION') !== undefined) return null
    }
    try {
      return await this.#adminClient().metadata({ topics: [topic], forceUpdate: true })
    } catch {
      return null
    }
  }

  /**
   * Reads `topic` from the given positions, one Fetch per partition leader, without joining a
   * group: per partition, the records up to the first batch that cannot be read, and that batch.
   * Throws when a leader cannot be read.
   */
  async readFrom (topic: string, positions: { partition: number, offset: number }[], opts: { maxBytesPerPartition?: number, timeoutMs?: number } = {}): Promise<PositionReading[]> {
    return await readPositions(this.#bootstrap, this.#connection({ requestTimeoutMs: opts.timeoutMs ?? 10_000 }), topic, positions, opts.maxBytesPerPartition ?? 1_048_576)
  }

  /** Partitions of `topic`; 0 when it does not exist (asked without retries, see above). */
  async partitionCount (topic: string): Promise<number> {
    return (await this.#metadataIfExists(topic))?.topics.get(topic)?.partitionsCount ?? 0
  }

  /**
   * Creates `topic` with `partitions` and `configs` unless it exists (a topic created meanwhile
   * by another process is fine); returns its partition count, which may differ if it existed.
   */
  async ensureTopic (topic: string, partitions: number, configs: Record<string, string> = {}): Promise<number> {
    const existing = await this.partitionCount(topic)
    if (existing > 0) return existing
    try {
      await this.#adminClient().createTopics({ topics: [topic], partitions, replicas: -1, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) })
    } catch (err) {
      const now = await this.partitionCount(topic)
      if (now > 0) return now
      throw err
    }
    return await this.partitionCount(topic)
  }

  /**
   * Per partition, the first offset whose record timestamp is at or after `timestampMs` (Kafka's
   * ListOffsets by time), or the log end offset where no record is that recent.
   */
  async offsetsForTime (topic: string, partitions: number[], timestampMs: number): Promise<Map<number, number>> {
    const admin = this.#adminClient()
    const list = async (timestamp: bigint): Promise<Map<number, number>> => {
      const res = await admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map(p => ({ partitionIndex: p, timestamp })) }] })
      return new Map(res[0].partitions.map(p => [p.partitionIndex, Number(p.offset)]))
    }
    const [found, ends] = await Promise.all([list(BigInt(Math.max(0, Math.trunc(timestampMs)))), list(-1n)])
    return new Map(partitions.map(p => [p, (found.get(p) ?? -1) < 0 ? ends.get(p) ?? 0 : found.get(p)!]))
  }

  /** Log end offset of every partition of `topic`. */
  async endOffsets (topic: string): Promise<number[]> {
    const admin = this.#adminClient()
    const meta = await admin.metadata({ topics: [topic] })
    const count = meta.topics.get(topic)!.partitionsCount
    const res = await admin.listOffsets({ topics: [{ name: topic, partitions: [...Array(count).keys()].map(p => ({ partitionIndex: p, timestamp: -1n })) }] })
    const out = new Array<number>(count).fill(0)
    for (const p of res[0].partitions) out[p.partitionIndex] = Number(p.offset)
    return out
  }

  /** End and start offset of every partition of `topic`; null when the topic does not exist. */
  async topicOffsets (topic: string): Promise<Omit<PartitionOffsets, 'committed'>[] | null> {
    const admin = this.#adminClient()
    const meta = await this.#metadataIfExists(topic)
    const count = meta?.topics.get(topic)?.partitionsCount ?? 0
    if (count === 0) return null
    const partitions = [...Array(count).keys()]
    const list = async (timestamp: bigint): Promise<number[]> => {
      const res = await admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map(p => ({ partitionIndex: p, timestamp })) }] })
      const out = new Array<number>(count).fill(0)
      for (const p of res[0].partitions) out[p.partitionIndex] = Number(p.offset)
      return out
    }
    const [ends, starts] = await Promise.all([list(-1n), list(-2n)])
    return partitions.map(p => ({ partition: p, endOffset: ends[p], logStartOffset: starts[p] }))
  }

  /** Offsets of `topic` with `groupId`'s commits (-1 where none) — what lag is computed from. */
  async groupOffsets (groupId: string, topic: string): Promise<PartitionOffsets[] | null> {
    const [offsets, committed] = await Promise.all([this.topicOffsets(topic), this.committedOffsets(groupId, topic)])
    return offsets?.map(p => ({ ...p, committed: committed.get(p.partition) ?? -1 })) ?? null
  }

  /**
   * Commits the current end offset for every partition the group has never committed, so that
   * "start from latest" means from when the function was deployed, not from whenever a replica
   * happens to start — a function scaled to zero must still see the record that wakes it up.
   * Only possible while the group has no members; returns how many partitions were pinned.
   */
  async pinUncommittedToEnd (groupId: string, topic: string): Promise<number> {
    const offsets = await this.groupOffsets(groupId, topic)
    const missing = (offsets ?? []).filter(p => p.committed < 0)
    if (missing.length === 0) return 0
    await this.#adminClient().alterConsumerGroupOffsets({
      groupId,
      topics: [{ name: topic, partitionOffsets: missing.map(p => ({ partition: p.partition, offset: BigInt(p.endOffset) })) }]
    })
    return missing.length
  }

  /** Committed offset per partition of `topic` for `groupId` (-1 where none). */
  async committedOffsets (groupId: string, topic: string): Promise<Map<number, number>> {
    const [group] = await this.#adminClient().listConsumerGroupOffsets({ groups: [groupId] })
    const out = new Map<number, number>()
    for (const p of group?.topics.find(t => t.name === topic)?.partitions ?? []) out.set(p.partitionIndex, Number(p.committedOffset))
    return out
  }

  /**
   * Closes the producer and the admin client, giving up after `timeoutMs`: a client whose
   * broker went away and came back was seen never to finish closing (its socket then keeps the
   * process alive, which callers that are done exit past).
   */
  async close (timeoutMs = 5000): Promise<void> {
    this.#batchProducer?.close()
    let timer: NodeJS.Timeout | undefined
    const closing = Promise.all([this.#producer?.close().catch(() => {}), this.#admin?.close().catch(() => {}), this.#probe?.close().catch(() => {})])
    await Promise.race([closing, new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
  }
}
