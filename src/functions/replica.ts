import type { Logger } from '../shared/logger.js'
import type { FunctionConfig, RetryConfig } from './config/load.js'
import type { GroupSubscription, KafkaClient, KafkaRecord, OutgoingRecord } from '../kafka/client.js'
import { loadHandler, type LoadedHandler } from './loader.js'
import { createContext, Outbox, parseData, prefilter } from './context.js'
import { withTimeout } from './local-test.js'
import { createOutput, type Output } from './outputs/index.js'
import { DeliveryError } from '../shared/http-delivery.js'

const DEFAULT_RETRY: RetryConfig = { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 10_000 }

export interface ReplicaStats { records: number, batches: number, handlerErrors: number, deadLetters: number, sends: number }

/** Raised inside a retry loop when the replica is asked to stop: the batch is left uncommitted. */
class Stopping extends Error {}

/**
 * One replica of a function: a member of the function's consumer group that, batch by batch,
 * runs the handler on every record in order, delivers what it sent to the outputs, sends
 * failed records to `<name>.dlq`, and only then commits. Nothing is committed that was not
 * delivered, so a crash or an output outage means redelivery, never loss (at least once).
 */
export class Replica {
  readonly stats: ReplicaStats = { records: 0, batches: 0, handlerErrors: 0, deadLetters: 0, sends: 0 }
  readonly #config: FunctionConfig
  readonly #kafka: KafkaClient
  readonly #log: Logger
  readonly #write: (line: string) => void
  #handler: LoadedHandler | null = null
  #outputs = new Map<string, Output>()
  #sub: GroupSubscription | null = null
  #stopping = false
  #wake: (() => void) | null = null

  constructor (opts: { config: FunctionConfig, kafka: KafkaClient, logger: Logger, write?: (line: string) => void }) {
    this.#config = opts.config
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
    this.#sub = await this.#kafka.subscribe({ groupId: consumerGroup, topics: [topic], startFrom })
    this.#log.info({ function: this.#config.name, topic, group: consumerGroup }, 'replica started')
  }

  /** Processes batches until stop(); resolves after the last batch is committed and the group left. */
  async run (): Promise<void> {
    const sub = this.#sub
    if (sub === null) throw new Error('start() first')
    try {
      while (!this.#stopping) {
        const batch = await sub.nextBatch(500, 1000)
        if (batch.length === 0) continue
        try {
          await this.#process(batch)
        } catch (err) {
          if (err instanceof Stopping) break
          throw err
        }
      }
    } finally {
      await sub.close()
      this.#log.info({ function: this.#config.name, ...this.stats }, 'replica stopped')
    }
  }

  /** Graceful stop: the batch in hand is finished and committed (unless an output is down). */
  stop (): void {
    this.#stopping = true
    this.#wake?.()
  }

  async #process (records: KafkaRecord[]): Promise<void> {
    const handler = this.#handler!
    const names = [...this.#outputs.keys()]
    const env = { ...process.env, ...this.#config.env }
    const outbox = new Outbox(names)
    const dead: OutgoingRecord[] = []
    const wanted = prefilter(this.#config.input.prefilter)
    for (const r of records) {
      if (!wanted(r.value)) continue
      // Sends are kept only if the handler succeeds, so a failed record sends nothing.
      const local = new Outbox(names)
      const record = { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key?.toString() ?? null, headers: r.headers }
      const ctx = createContext({ name: this.#config.name, record, env, log: this.#log, outbox: local })
      try {
        await withTimeout(this.#config.timeoutMs, () => handler.handle(ctx, parseData(r.value)))
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
    await this.#sub!.commit([...next].map(([partition, offset]) => ({ topic: records[0].topic, partition, offset })))
    this.stats.records += records.length
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

  /**
   * Retries `fn` with exponential backoff (honouring Retry-After) for as long as it fails in a
   * retryable way: an output that is down holds the batch, uncommitted, until it is back.
   */
  async #retry (what: string, cfg: RetryConfig, fn: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fn()
        if (attempt > cfg.attempts) this.#log.info({ what, attempt }, 'delivery recovered')
        return
      } catch (err) {
        if (err instanceof DeliveryError && !err.retryable) throw err
        if (this.#stopping) throw new Stopping()
        const backoff = Math.min(cfg.maxBackoffMs, cfg.initialBackoffMs * 2 ** Math.min(attempt - 1, 20))
        const wait = err instanceof DeliveryError && err.retryAfterMs !== null ? Math.max(err.retryAfterMs, backoff) : backoff
        const level = attempt === cfg.attempts ? 'error' : 'warn'
        if (attempt <= cfg.attempts || attempt % 10 === 0) this.#log[level]({ what, attempt, retryInMs: wait, err: (err as Error).message }, attempt >= cfg.attempts ? 'delivery failing; holding the batch (nothing is committed) and retrying' : 'delivery failed; retrying')
        await new Promise<void>(resolve => {
          const t = setTimeout(() => { this.#wake = null; resolve() }, wait)
          this.#wake = () => { clearTimeout(t); this.#wake = null; resolve() }
        })
      }
    }
  }
}
