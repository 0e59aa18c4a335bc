// Producing RecordBatches that are already built (the collector writes its records straight
// into batch bytes): one Produce request per partition leader, acks=all, through Tidewatch's own
// codec. The client library's producer takes one object per record and encodes each itself,
// which was most of the collector's time (bench/RESULTS.md, bench:tail).
// - Where partitions lead comes from the cluster's metadata (asked through the client library,
//   with auto-creation), kept for five minutes (Kafka's metadata.max.age.ms) and asked again
//   after any failure.
// - A partition whose batch was stored is added to the caller's `done` set, so a send that
//   failed half-way is retried for the other partitions only.
// - No producer id: a batch retried after a lost answer may be stored twice (at-least-once, as
//   the collector promises), never reordered, since the caller has one send in flight.
import { openConnection, type BrokerConnection, type ConnectionOptions } from './connection.js'
import { ErrorCode } from '../protocol/error-codes.js'

const PRODUCE = 0
// v3 is the oldest Produce a Kafka 4 broker serves; v8 the newest before flexible versions.
const PRODUCE_MIN = 3
const PRODUCE_MAX = 8
const METADATA_MAX_AGE_MS = 5 * 60_000

export interface TopicLayout {
  partitions: number
  /** Leader broker id per partition (-1: none now). */
  leaders: number[]
  brokers: Map<number, { host: string, port: number }>
}

/** The topic's layout from the cluster; `fresh` asks the cluster instead of a cache. */
export type LayoutSource = (topic: string, fresh: boolean) => Promise<TopicLayout>

const ERROR_NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]))

/** A partition's batch was refused; `errorCode` is Kafka's. */
export class ProduceRefused extends Error {
  constructor (readonly partition: number, readonly errorCode: number, detail: string | null) {
    super(`partition ${partition}: ${ERROR_NAMES.get(errorCode) ?? `error ${errorCode}`}${detail !== null && detail !== '' ? ` (${detail})` : ''}`)
  }
}

export class BatchProducer {
  readonly #connectionOptions: ConnectionOptions
  readonly #layoutSource: LayoutSource
  readonly #timeoutMs: number
  readonly #layouts = new Map<string, { layout: TopicLayout, at: number }>()
  readonly #connections = new Map<number, Promise<BrokerConnection>>()

  /** `connection`: what each socket is opened with (client id, TLS, SASL), as the client's own consumer. */
  constructor (o: { connection: ConnectionOptions, layout: LayoutSource, timeoutMs?: number }) {
    this.#connectionOptions = o.connection
    this.#layoutSource = o.layout
    this.#timeoutMs = o.timeoutMs ?? 30_000
  }

  /** The topic's partition count as last known, or null before its metadata was read. */
  knownPartitions (topic: string): number | null { return this.#layouts.get(topic)?.layout.partitions ?? null }

  /** The topic's partition count, asking the cluster (and creating the topic) when not known. */
  async partitions (topic: string): Promise<number> { return (await this.#layout(topic, false)).partitions }

  async #layout (topic: string, fresh: boolean): Promise<TopicLayout> {
    const known = this.#layouts.get(topic)
    if (!fresh && known !== undefined && Date.now() - known.at < METADATA_MAX_AGE_MS) return known.layout
    const layout = await this.#layoutSource(topic, fresh || known !== undefined)
    this.#layouts.set(topic, { layout, at: Date.now() })
    return layout
  }

  /**
   * Sends each partition's batch not in `done` to its leader; resolves once every one was stored
   * with acks=all, adding each stored partition to `done` (and its batch's base offset to
   * `baseOffsets`, when given). Throws the first failure otherwise.
   */
  async send (topic: string, batches: Map<number, Buffer>, done: Set<number>, baseOffsets?: Map<number, number>): Promise<void> {
    let layout: TopicLayout
    try { layout = await this.#layout(topic, false) } catch (err) { this.#layouts.delete(topic); throw err }
    const byLeader = new Map<number, number[]>()
    for (const p of batches.keys()) {
      if (done.has(p)) continue
      const leader = layout.leaders[p] ?? -1
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
    }
    const failures: Error[] = []
    await Promise.all([...byLeader].map(async ([leader, partitions]) => {
      try {
        await this.#sendTo(leader, layout, topic, partitions.map(p => ({ index: p, records: batches.get(p)! })), done, baseOffsets)
      } catch (err) {
        failures.push(err as Error)
      }
    }))
    if (failures.length === 0) return
    // Leaders move, topics are recreated: ask the cluster again before the retry.
    this.#layouts.delete(topic)
    throw failures[0]
  }

  async #sendTo (leader: number, layout: TopicLayout, topic: string, partitionData: { index: number, records: Buffer }[], done: Set<number>, baseOffsets?: Map<number, number>): Promise<void> {
    const broker = layout.brokers.get(leader)
    if (broker === undefined) throw new ProduceRefused(partitionData[0].index, ErrorCode.LEADER_NOT_AVAILABLE, 'no leader in the cluster metadata')
    let conn: BrokerConnection
    try {
      conn = await this.#connection(leader, broker)
      const version = conn.version(PRODUCE, PRODUCE_MIN, PRODUCE_MAX)
      // The broker may take its whole timeoutMs before it answers: the answer's deadline is later.
      const res = await conn.request(PRODUCE, version, { transactionalId: null, acks: -1, timeoutMs: this.#timeoutMs, topicData: [{ name: topic, partitionData }] }, 5000) as
        { responses: { partitionResponses: { index: number, errorCode: number, baseOffset: number, errorMessage?: string | null }[] }[] }
      let refused: ProduceRefused | null = null
      for (const t of res.responses) {
        for (const p of t.partitionResponses) {
          if (p.errorCode === ErrorCode.NONE) { done.add(p.index); baseOffsets?.set(p.index, Number(p.baseOffset)) }
          else refused ??= new ProduceRefused(p.index, p.errorCode, p.errorMessage ?? null)
        }
      }
      if (refused !== null) throw refused
      for (const p of partitionData) if (!done.has(p.index)) throw new Error(`the broker did not answer for partition ${p.index}`)
    } catch (err) {
      // A connection that failed or timed out is not reused (a late answer would be misread).
      if (!(err instanceof ProduceRefused)) this.#drop(leader)
      throw err
    }
  }

  async #connection (leader: number, broker: { host: string, port: number }): Promise<BrokerConnection> {
    const existing = this.#connections.get(leader)
    if (existing !== undefined) {
      const conn = await existing.catch(() => null)
      if (conn !== null && !conn.closed) return conn
      this.#connections.delete(leader)
    }
    const opening = openConnection(broker, { ...this.#connectionOptions, connectTimeoutMs: this.#timeoutMs, requestTimeoutMs: this.#timeoutMs })
    this.#connections.set(leader, opening)
    opening.catch(() => { if (this.#connections.get(leader) === opening) this.#connections.delete(leader) })
    return await opening
  }

  #drop (leader: number): void {
    const conn = this.#connections.get(leader)
    this.#connections.delete(leader)
    void conn?.then(c => c.close(), () => {})
  }

  close (): void {
    for (const leader of [...this.#connections.keys()]) this.#drop(leader)
  }
}
