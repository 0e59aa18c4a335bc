import { Admin, Consumer, Producer, type MessagesStream, type Message } from '@platformatic/kafka'

/** A record as Tidewatch code sees it, whatever cluster it came from. */
/** Offsets of one partition as seen by one consumer group. */
export interface PartitionOffsets { partition: number, endOffset: number, logStartOffset: number, committed: number }

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
}

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>

function toRecord (m: RawMessage): KafkaRecord {
  const headers: Record<string, string> = {}
  for (const [k, v] of m.headers) headers[k.toString()] = v.toString()
  return {
    topic: m.topic,
    partition: m.partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key !== undefined && m.key !== null && m.key.length > 0 ? m.key : null,
    value: m.value ?? null,
    headers
  }
}

/**
 * A consumer-group membership that hands out records in batches and commits explicitly.
 * Batches are whatever the client has already fetched (up to `maxRecords`), so a busy topic
 * gives big batches and a quiet one small, prompt ones.
 *
 * The stream runs in flowing mode into a bounded queue, paused above QUEUE_HIGH and resumed
 * below QUEUE_LOW: @platformatic/kafka keeps fetching only while the stream flows (draining a
 * paused stream with read() stalled it after its first fetch).
 */
const QUEUE_HIGH = 5000
const QUEUE_LOW = 1000

export class GroupSubscription {
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>
  readonly #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>
  readonly #queue: RawMessage[] = []
  #head = 0
  #waiter: (() => void) | null = null
  #error: Error | null = null
  #ended = false

  constructor (consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>) {
    this.#consumer = consumer
    this.#stream = stream
    const wake = (): void => { const w = this.#waiter; this.#waiter = null; w?.() }
    stream.on('data', (m: RawMessage) => {
      this.#queue.push(m)
      if (this.#queue.length - this.#head >= QUEUE_HIGH) stream.pause()
      wake()
    })
    stream.on('error', err => { this.#error = err; wake() })
    stream.on('end', () => { this.#ended = true; wake() })
    stream.on('close', () => { this.#ended = true; wake() })
  }

  get #queued (): number { return this.#queue.length - this.#head }

  /** Resolves with the next records (at least one), or an empty batch after `maxWaitMs` of silence. */
  async nextBatch (maxRecords: number, maxWaitMs: number): Promise<KafkaRecord[]> {
    if (this.#queued === 0 && !this.#ended && this.#error === null) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(() => { this.#waiter = null; resolve() }, maxWaitMs)
        this.#waiter = () => { clearTimeout(timer); resolve() }
      })
    }
    if (this.#error !== null) throw this.#error
    const n = Math.min(maxRecords, this.#queued)
    const batch = new Array<KafkaRecord>(n)
    for (let i = 0; i < n; i++) batch[i] = toRecord(this.#queue[this.#head + i])
    this.#head += n
    if (this.#head > 10_000 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head)
      this.#head = 0
    }
    if (this.#queued <= QUEUE_LOW && this.#stream.isPaused() && !this.#ended) this.#stream.resume()
    return batch
  }

  get ended (): boolean { return this.#ended }

  /** Commits, per partition, the offset after the last record processed. */
  async commit (offsets: { topic: string, partition: number, offset: number }[]): Promise<void> {
    if (offsets.length === 0) return
    await this.#consumer.commit({ offsets: offsets.map(o => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) })
  }

  async close (): Promise<void> {
    await this.#stream.close().catch(() => {})
    await new Promise<void>(resolve => this.#consumer.close(true, () => resolve()))
  }
}

/**
 * The one way Tidewatch code talks to Kafka — the embedded broker or a real cluster alike —
 * over @platformatic/kafka. Kept small on purpose so the client library stays replaceable.
 */
export class KafkaClient {
  readonly #bootstrap: string[]
  readonly #clientId: string
  #producer: Producer<Buffer, Buffer, Buffer, Buffer> | null = null
  #admin: Admin | null = null

  constructor (opts: { bootstrap: string[], clientId: string }) {
    this.#bootstrap = opts.bootstrap
    this.#clientId = opts.clientId
  }

  async produce (records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return
    this.#producer ??= new Producer({ clientId: this.#clientId, bootstrapBrokers: this.#bootstrap, idempotent: true, autocreateTopics: true })
    const buf = (v: string | Buffer): Buffer => typeof v === 'string' ? Buffer.from(v) : v
    await this.#producer.send({
      messages: records.map(r => ({
        topic: r.topic,
        key: r.key === undefined || r.key === null ? undefined : buf(r.key),
        value: buf(r.value),
        headers: r.headers === undefined ? undefined : new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]))
      }))
    })
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
        } catch {
          missing.push(t)
        }
      }
      if (missing.length === 0) return
      if (Date.now() - lastReport >= reportEveryMs) { onWait(missing); lastReport = Date.now() }
      await new Promise(resolve => setTimeout(resolve, 1000))
    }
  }

  /** Joins `groupId` for `topics`. A group with no committed offsets starts at `startFrom`. */
  async subscribe (opts: { groupId: string, topics: string[], startFrom: 'earliest' | 'latest', sessionTimeoutMs?: number }): Promise<GroupSubscription> {
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: this.#clientId,
      groupId: opts.groupId,
      bootstrapBrokers: this.#bootstrap,
      sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 300,
      maxWaitTime: 500,
      highWaterMark: 16384
    })
    const stream = await consumer.consume({ topics: opts.topics, mode: 'committed', fallbackMode: opts.startFrom, autocommit: false })
    return new GroupSubscription(consumer, stream)
  }

  #adminClient (): Admin {
    this.#admin ??= new Admin({ clientId: `${this.#clientId}-admin`, bootstrapBrokers: this.#bootstrap })
    return this.#admin
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
    let count: number
    try {
      const meta = await admin.metadata({ topics: [topic], forceUpdate: true })
      count = meta.topics.get(topic)?.partitionsCount ?? 0
    } catch {
      return null
    }
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

  async close (): Promise<void> {
    await this.#producer?.close().catch(() => {})
    await this.#admin?.close().catch(() => {})
  }
}
