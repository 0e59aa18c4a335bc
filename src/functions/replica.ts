import type { Logger } from '../shared/logger.js'
import { systemClock, type Clock } from '../shared/clock.js'
import type { FunctionConfig, RetryConfig } from './config/load.js'
import type { GroupSubscription, KafkaClient, KafkaRecord, OutgoingRecord, Polled } from '../kafka/client.js'
import type { UnreadableBatch } from '../kafka/batch-reader.js'
import { loadHandler, type LoadedHandler } from './loader.js'
import { createContext, Outbox, parseData, publicUrl } from './context.js'
import { Deadline } from './deadline.js'
import { createOutput, type Output } from './outputs/index.js'
import { DeliveryError, retryDecision } from '../shared/http-delivery.js'

const DEFAULT_RETRY: RetryConfig = { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 10_000 }
/** An unreadable batch larger than this goes to the dead-letter topic cut to this size. */
export const DEAD_BATCH_MAX_BYTES = 512 * 1024
/** Records that passed the prefilter handled per batch (one delivery and one commit per batch). */
export const BATCH_RECORDS = 500

export interface ReplicaStats {
  records: number
  batches: number
  handlerErrors: number
  deadLetters: number
  /** Batches that could not be decoded, sent whole to the dead-letter topic. */
  undecodableBatches: number
  sends: number
  /** The last problem this replica met (undecodable batch, failed consumer), for status. */
  lastError: { time: string, message: string } | null
}

/** Raised inside a batch when the replica is asked to stop: the batch is left uncommitted. */
class Stopping extends Error {}

interface Extra {
  dead: OutgoingRecord[]
  /** Offsets to commit past what the records reach (filtered out records, dead-lettered batches). */
  commits: { partition: number, offset: number }[]
  /** Records the batch covers, those the prefilter skipped included. */
  scanned: number
}

/**
 * One replica of a function: a member of the function's consumer group that, batch by batch,
 * runs the handler on every record in order, delivers what it sent to the outputs, sends
 * failed records to `<name>.dlq`, and only then commits. Nothing is committed that was not
 * delivered, so a crash or an output outage means redelivery, never loss (at least once).
 */
export class Replica {
  readonly stats: ReplicaStats = { records: 0, batches: 0, handlerErrors: 0, deadLetters: 0, undecodableBatches: 0, sends: 0, lastError: null }
  readonly #config: FunctionConfig
  readonly #kafka: KafkaClient
  readonly #log: Logger
  readonly #write: (line: string) => void
  #handler: LoadedHandler | null = null
  #outputs = new Map<string, Output>()
  #sub: GroupSubscription | null = null
  #committing: Promise<void> = Promise.resolve()
  readonly #deadline: Deadline
  #stopping = false
  #wake: (() => void) | null = null

  readonly #clock: Clock

  constructor (opts: { config: FunctionConfig, kafka: KafkaClient, logger: Logger, write?: (line: string) => void, clock?: Clock }) {
    this.#clock = opts.clock ?? systemClock
    this.#config = opts.config
    this.#deadline = new Deadline(opts.config.timeoutMs)
    this.#kafka = opts.kafka
    this.#log = opts.logger
    this.#write = opts.write ?? (line => { process.stdout.write(line) })
  }

  get deadLetterTopic (): string { return `${this.#config.name}.dlq` }

  /** Loads the handler (failing fast on a bad one) and joins the consumer group. */
  async start (): Promise<void> {
    await this.prepare()
    await this.join()
  }

  /** Everything before joining: a parked replica has done this and can join in milliseconds. */
  async prepare (): Promise<void> {
    if (this.#handler !== null) return
    this.#handler = await loadHandler(this.#config)
    for (const c of this.#config.outputs.values()) this.#outputs.set(c.name, createOutput(c, { kafka: this.#kafka, write: this.#write }))
  }

  async join (): Promise<void> {
    const { topic, consumerGroup, startFrom } = this.#config.input
    await this.#kafka.waitForTopics([topic], missing => this.#log.warn({ topics: missing }, 'waiting for the input topic to exist (auto-creation is off on this cluster?)'))
    if (startFrom === 'latest') {
      // Give a new group a committed position before joining, so that once this replica is
      // scaled to zero and back, records produced in between are not skipped. Fails harmlessly
      // when other members are in the group (they already hold a position).
      await this.#kafka.pinUncommittedToEnd(consumerGroup, topic).catch(() => 0)
    }
    if (this.#stopping) return
    this.#sub = await this.#kafka.subscribe({ groupId: consumerGroup, topics: [topic], startFrom, log: this.#log })
    this.#log.info({ function: this.#config.name, topic, group: consumerGroup }, 'replica started')
  }

  /**
   * Processes batches until stop(); resolves after the group is left. The consumer applies the
   * Function file's prefilter to the raw values, so only matching records become objects; a
   * batch that cannot be decoded goes to the dead-letter topic and consumption continues after
   * it. Throws when the consumer fails (no broker reachable): the replica then exits and is
   * restarted.
   */
  async run (): Promise<void> {
    const needles = this.#config.input.prefilter.map(n => Buffer.from(n))
    try {
      while (!this.#stopping && this.#sub !== null) {
        try {
          let polled: Polled
          try {
            polled = await this.#sub.poll({ maxRecords: BATCH_RECORDS, maxWaitMs: 1000, needles })
          } catch (err) {
            if (this.#stopping) break
            throw err
          }
          if (polled.positions.length === 0 && polled.unreadable.length === 0) continue
          for (const b of polled.unreadable) {
            this.#log.error({ function: this.#config.name, topic: b.topic, partition: b.partition, baseOffset: b.baseOffset, lastOffset: b.lastOffset, reason: b.reason }, 'undecodable batch; sent to the dead-letter topic, consumption continues after it')
            this.#problem(`undecodable batch ${b.topic}/${b.partition}/${b.baseOffset}-${b.lastOffset}: ${b.reason}`)
          }
          await this.#process(polled.records, { dead: polled.unreadable.map(b => this.#deadBatch(b)), commits: polled.positions, scanned: polled.scanned })
          this.stats.undecodableBatches += polled.unreadable.length
        } catch (err) {
          if (err instanceof Stopping) break
          throw err
        }
      }
    } catch (err) {
      this.#problem((err as Error).message)
      throw err
    } finally {
      // The last batch handled is committed before leaving (a failed commit means redelivery).
      await this.#committing.catch(() => {})
      await this.#sub?.close()
      this.#log.info({ function: this.#config.name, ...this.stats }, 'replica stopped')
    }
  }

  /**
   * Graceful stop: no further record of the batch in hand is started and what is left of it is
   * not committed (the next member redelivers it); a delivery in flight is not retried.
   */
  stop (): void {
    this.#stopping = true
    this.#wake?.()
  }

  /** Leaves the group now, whatever run() is waiting for (a hung handler, a broker gone). */
  async abort (timeoutMs = 2000): Promise<void> {
    this.stop()
    await this.#sub?.close(timeoutMs)
  }

  #problem (message: string): void {
    this.stats.lastError = { time: new Date(this.#clock.now()).toISOString(), message: message.slice(0, 1000) }
  }

  async #process (records: KafkaRecord[], extra: Extra): Promise<void> {
    const handler = this.#handler!
    const names = [...this.#outputs.keys()]
    const env = { ...process.env, ...this.#config.env }
    const consoleUrl = publicUrl()
    const outbox = new Outbox(names)
    const dead: OutgoingRecord[] = [...extra.dead]
    // Sends are kept only if the handler succeeds, so a failed record sends nothing: each record
    // sends into `local`, emptied before the next, and merged into the batch's outbox on success.
    const local = new Outbox(names)
    for (const r of records) {
      if (this.#stopping) throw new Stopping()
      local.byOutput.clear()
      const record = { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key?.toString() ?? null, headers: r.headers }
      const ctx = createContext({ name: this.#config.name, record, env, log: this.#log, outbox: local, publicUrl: consoleUrl })
      try {
        await this.#deadline.run(() => handler.handle(ctx, parseData(r.value)))
        for (const [name, payloads] of local.byOutput) for (const p of payloads) outbox.add(p, name)
      } catch (err) {
        this.stats.handlerErrors++
        dead.push(this.#deadLetter(r, err as Error))
      }
    }
    for (const [name, payloads] of outbox.byOutput) {
      const output = this.#outputs.get(name)!
      const retry = this.#config.outputs.get(name)!
      try {
        await this.#retry(`output ${name}`, 'retry' in retry ? retry.retry : DEFAULT_RETRY, () => output.deliver(payloads))
        this.stats.sends += payloads.length
      } catch (err) {
        if (!(err instanceof DeliveryError)) throw err
        this.#log.error({ output: name, err: err.message, payloads: payloads.length }, 'output refused the payloads; sending them to the dead-letter topic')
        for (const p of payloads) dead.push({ topic: this.deadLetterTopic, value: JSON.stringify(p), headers: { 'tidewatch.error': err.message, 'tidewatch.output': name } })
      }
    }
    if (dead.length > 0) {
      await this.#retry('dead-letter topic', DEFAULT_RETRY, () => this.#kafka.produce(dead))
      this.stats.deadLetters += dead.length
    }
    const next = new Map<number, number>()
    for (const r of records) next.set(r.partition, Math.max(next.get(r.partition) ?? 0, r.offset + 1))
    for (const c of extra.commits) next.set(c.partition, Math.max(next.get(c.partition) ?? 0, c.offset))
    const topic = this.#config.input.topic
    // The commit travels while the next batch is fetched and handled; the one before is awaited
    // first, so commits stay in order and a failed one stops the replica a batch later at most.
    await this.#committing
    const sub = this.#sub!
    this.#committing = sub.commit([...next].map(([partition, offset]) => ({ topic, partition, offset }))).then(() => {})
    this.#committing.catch(() => {})
    this.stats.records += extra.scanned
    this.stats.batches++
  }

  #deadLetter (r: KafkaRecord, err: Error): OutgoingRecord {
    this.#log.warn({ topic: r.topic, partition: r.partition, offset: r.offset, err: err.message }, 'handler failed; record sent to the dead-letter topic')
    return {
      topic: this.deadLetterTopic,
      key: r.key,
      value: r.value ?? '',
      headers: {
        ...r.headers,
        'tidewatch.error': err.message.slice(0, 1000),
        'tidewatch.stack': (err.stack ?? '').slice(0, 4000),
        'tidewatch.source': `${r.topic}/${r.partition}/${r.offset}`,
        'tidewatch.function': this.#config.name
      }
    }
  }

  /** A batch no client can decode, as it is stored (cut to DEAD_BATCH_MAX_BYTES), with why. */
  #deadBatch (b: UnreadableBatch): OutgoingRecord {
    const headers: Record<string, string> = {
      'tidewatch.error': b.reason.slice(0, 1000),
      'tidewatch.source': `${b.topic}/${b.partition}/${b.baseOffset}-${b.lastOffset}`,
      'tidewatch.function': this.#config.name,
      'tidewatch.kind': 'undecodable-batch'
    }
    if (b.bytes.length > DEAD_BATCH_MAX_BYTES) headers['tidewatch.truncated'] = `${b.bytes.length} bytes, first ${DEAD_BATCH_MAX_BYTES} kept`
    return { topic: this.deadLetterTopic, value: Buffer.from(b.bytes.subarray(0, DEAD_BATCH_MAX_BYTES)), headers }
  }

  /**
   * Retries `fn` for as long as it fails in a retryable way, waiting as the shared delivery
   * policy says (exponential backoff, Retry-After honoured): an output that is down holds the
   * batch, uncommitted, until it is back. A stop request ends the wait and abandons the batch.
   */
  async #retry (what: string, cfg: RetryConfig, fn: () => Promise<void>): Promise<void> {
    const backoff = { initialMs: cfg.initialBackoffMs, maxMs: cfg.maxBackoffMs }
    for (let attempt = 1; ; attempt++) {
      try {
        await fn()
        if (attempt > cfg.attempts) this.#log.info({ what, attempt }, 'delivery recovered')
        return
      } catch (err) {
        const decision = retryDecision(err, attempt, backoff)
        if (!decision.retry) throw err
        if (this.#stopping) throw new Stopping()
        const level = attempt === cfg.attempts ? 'error' : 'warn'
        if (attempt <= cfg.attempts || attempt % 10 === 0) this.#log[level]({ what, attempt, retryInMs: decision.afterMs, err: decision.reason }, attempt >= cfg.attempts ? 'delivery failing; holding the batch (nothing is committed) and retrying' : 'delivery failed; retrying')
        if (attempt === cfg.attempts) this.#problem(`${what}: ${decision.reason}`)
        await new Promise<void>(resolve => {
          const t = this.#clock.setTimeout(() => { this.#wake = null; resolve() }, decision.afterMs)
          this.#wake = () => { this.#clock.clearTimeout(t); this.#wake = null; resolve() }
        })
        if (this.#stopping) throw new Stopping()
      }
    }
  }
}
