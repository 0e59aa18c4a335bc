// The consumer side of a group membership, over @platformatic/kafka's flowing MessagesStream.
import type { Consumer, MessagesStream, Message } from '@platformatic/kafka'
import type { KafkaRecord } from './client.js'

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
 *
 * When the stream fails (a Fetch response it cannot parse, a broker that stays away) or ends
 * unasked, the records already queued are still handed out; after them nextBatch throws
 * StreamFailure, and positions() tells where each partition stopped.
 */
const QUEUE_HIGH = 5000
const QUEUE_LOW = 1000

/** The consumer's stream failed or ended; the subscription cannot hand out more records. */
export class StreamFailure extends Error {
  override name = 'StreamFailure'
}

export class GroupSubscription {
  readonly topic: string
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>
  readonly #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>
  readonly #queue: RawMessage[] = []
  #head = 0
  #waiter: (() => void) | null = null
  #error: Error | null = null
  #ended = false
  #closing: Promise<void> | null = null

  constructor (topic: string, consumer: Consumer<Buffer, Buffer, Buffer, Buffer>, stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>) {
    this.topic = topic
    this.#consumer = consumer
    this.#stream = stream
    const wake = (): void => { const w = this.#waiter; this.#waiter = null; w?.() }
    stream.on('data', (m: RawMessage) => {
      this.#queue.push(m)
      if (this.#queue.length - this.#head >= QUEUE_HIGH) stream.pause()
      wake()
    })
    stream.on('error', err => { this.#error ??= err; wake() })
    stream.on('end', () => { this.#ended = true; wake() })
    stream.on('close', () => { this.#ended = true; wake() })
  }

  get #queued (): number { return this.#queue.length - this.#head }

  /**
   * Resolves with the next records (at least one), or an empty batch after `maxWaitMs` of
   * silence. Throws StreamFailure once the queue is empty and the stream has failed or ended.
   */
  async nextBatch (maxRecords: number, maxWaitMs: number): Promise<KafkaRecord[]> {
    if (this.#queued === 0 && !this.#ended && this.#error === null) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(() => { this.#waiter = null; resolve() }, maxWaitMs)
        this.#waiter = () => { clearTimeout(timer); resolve() }
      })
    }
    if (this.#queued === 0 && this.#closing === null) {
      if (this.#error !== null) throw new StreamFailure(`the consumer stopped: ${describeError(this.#error)}`, { cause: this.#error })
      if (this.#ended) throw new StreamFailure('the consumer stream ended unexpectedly')
    }
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

  /**
   * Where each partition assigned to this member is read from next: after the last batch the
   * stream handed over. Once every queued record is processed, that is where it stopped.
   */
  positions (): { partition: number, offset: number }[] {
    const assigned = this.#consumer.assignments?.find(a => a.topic === this.topic)?.partitions ?? []
    const out: { partition: number, offset: number }[] = []
    for (const partition of assigned) {
      const offset = this.#stream.offsetsToFetch.get(`${this.topic}:${partition}`)
      if (offset !== undefined && offset >= 0n) out.push({ partition, offset: Number(offset) })
    }
    return out
  }

  /** The partitions of the topic this member is assigned now (they change with every rebalance). */
  assigned (): number[] {
    return [...(this.#consumer.assignments?.find(a => a.topic === this.topic)?.partitions ?? [])].sort((a, b) => a - b)
  }

  /** Commits, per partition, the offset after the last record processed. */
  async commit (offsets: { topic: string, partition: number, offset: number }[]): Promise<void> {
    if (offsets.length === 0) return
    await this.#consumer.commit({ offsets: offsets.map(o => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) })
  }

  /**
   * Stops the stream and leaves the group. Gives up after `timeoutMs` (a broker that is gone
   * would otherwise hold it through the client's retries): the group then drops this member
   * when its session times out.
   */
  async close (timeoutMs = 5000): Promise<void> {
    this.#closing ??= (async () => {
      await this.#stream.close().catch(() => {})
      await new Promise<void>(resolve => this.#consumer.close(true, () => resolve()))
    })()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#closing, new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
  }
}

/** An error's message with the first cause that says more (the client wraps errors in others). */
function describeError (err: Error): string {
  const parts: string[] = [err.message]
  const nested = (err as { errors?: Error[] }).errors
  let cause: unknown = err.cause ?? (Array.isArray(nested) ? nested[nested.length - 1] : undefined)
  for (let depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (!parts.includes(cause.message)) parts.push(cause.message)
    const inner = (cause as { errors?: Error[] }).errors
    cause = cause.cause ?? (Array.isArray(inner) ? inner[inner.length - 1] : undefined)
  }
  return parts.join(': ')
}

