import type { Logger } from '../shared/logger.js'
import { systemClock, type Clock } from '../shared/clock.js'
import type { FunctionConfig, RetryConfig } from './config/load.js'
import type { GroupSubscription, KafkaClient, KafkaRecord, OutgoingRecord } from '../kafka/client.js'
import type { UnreadableBatch } from '../kafka/batch-reader.js'
import { loadHandler, type LoadedHandler } from './loader.js'
import { createContext, Outbox, parseData, prefilter } from './context.js'
import { withTimeout } from './local-test.js'
import { createOutput, type Output } from './outputs/index.js'
import { DeliveryError, retryDecision } from '../shared/http-delivery.js'

const DEFAULT_RETRY: RetryConfig = { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 10_000 }
/** An unreadable batch larger than this goes to the dead-letter topic cut to this size. */
export const DEAD_BATCH_MAX_BYTES = 512 * 1024
// After a consumer failure, partitions are read RECOVERY_WINDOW_BYTES at a time, at most
// RECOVERY_WINDOWS times, before a new consumer takes over (it fails again, and this repeats,
// if a bad batch lies further on).
const RECOVERY_WINDOW_BYTES = 1024 * 1024
const RECOVERY_WINDOWS = 16

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
  /** Offsets to commit past what the records reach (batches skipped into the dead-letter topic). */
  commits: { partition: number, offset: number }[]
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
  #stopping = false
  #wake: (() => void) | null = null

  readonly #clock: Clock

  constructor (opts: { config: FunctionConfig, kafka: KafkaClient, logger: Logger, write?: (line: string) => void, clock?: Clock }) {
    this.#clock = opts.clock ?? systemClock
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
    if (this.#stopping) return
    this.#sub = await this.#kafka.subscribe({ groupId: consumerGroup, topics: [topic], startFrom })
    this.#log.info({ function: this.#config.name, topic, group: consumerGroup }, 'replica started')
  }

  /**
   * Processes batches until stop(); resolves after the group is left. When the consumer fails,
   * the partitions are read with Tidewatch's own codec from where it stopped: an undecodable
   * batch goes to the dead-letter topic, the rest is processed, and a new consumer carries on.
   * Throws when that finds nothing to get past (the replica then exits and is restarted).
   */
  async run (): Promise<void> {
    try {
      while (!this.#stopping && this.#sub !== null) {
        try {
          let batch: KafkaRecord[]
          try {
            batch = await this.#sub.nextBatch(500, 1000)
          } catch (err) {
            if (this.#stopping) break
            await this.#recover(err as Error)
            continue
          }
          if (batch.length > 0) await this.#process(batch)
        } catch (err) {
          if (err instanceof Stopping) break
          throw err
        }
      }
    } catch (err) {
      this.#problem((err as Error).message)
      throw err
    } finally {
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

  /**
   * After the consumer failed: reads each assigned partition from where it stopped, window by
   * window (the client fetches up to 10 MiB a partition, RECOVERY_WINDOW_BYTES is read at a
   * time), processing and committing as it goes, until the partition's first undecodable batch
   * is in the dead-letter topic and committed past, or its end is reached. Then a new consumer.
   */
  async #recover (failure: Error): Promise<void> {
    const sub = this.#sub!
    let positions = sub.positions()
    this.#problem(failure.message)
    this.#log.error({ function: this.#config.name, err: failure.message, positions }, 'the consumer failed; reading its partitions from where it stopped')
    let progressed = false
    for (let window = 0; positions.length > 0 && window < RECOVERY_WINDOWS; window++) {
      const readings = await this.#kafka.readFrom(sub.topic, positions, { maxBytesPerPartition: RECOVERY_WINDOW_BYTES })
      const records = readings.flatMap(r => r.records)
      const unreadable = readings.flatMap(r => r.unreadable === null ? [] : [r.unreadable])
      for (const b of unreadable) {
        this.#log.error({ function: this.#config.name, topic: b.topic, partition: b.partition, baseOffset: b.baseOffset, lastOffset: b.lastOffset, reason: b.reason }, 'undecodable batch; sent to the dead-letter topic, consumption continues after it')
        this.#problem(`undecodable batch ${b.topic}/${b.partition}/${b.baseOffset}-${b.lastOffset}: ${b.reason}`)
      }
      const moved = readings.filter(r => r.next > r.from)
      if (moved.length === 0) break
      progressed = true
      await this.#process(records, { dead: unreadable.map(b => this.#deadBatch(b)), commits: moved.map(r => ({ partition: r.partition, offset: r.next })) })
      this.stats.undecodableBatches += unreadable.length
      // Read on only where nothing was wrong yet: the consumer can take over from a bad batch.
      positions = moved.filter(r => r.unreadable === null).map(r => ({ partition: r.partition, offset: r.next }))
    }
    // Nothing to get past: not a problem with the data. Fail, and be restarted.
    if (!progressed) throw failure
    await sub.close()
    if (this.#stopping) { this.#sub = null; return }
    const { consumerGroup, startFrom } = this.#config.input
    this.#sub = await this.#kafka.subscribe({ groupId: consumerGroup, topics: [sub.topic], startFrom })
  }

  async #process (records: KafkaRecord[], extra: Extra = { dead: [], commits: [] }): Promise<void> {
    const handler = this.#handler!
    const names = [...this.#outputs.keys()]
    const env = { ...process.env, ...this.#config.env }
    const outbox = new Outbox(names)
    const dead: OutgoingRecord[] = [...extra.dead]
    const wanted = prefilter(this.#config.input.prefilter)
    for (const r of records) {
      if (this.#stopping) throw new Stopping()
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
    for (const c of extra.commits) next.set(c.partition, Math.max(next.get(c.partition) ?? 0, c.offset))
    const topic = this.#config.input.topic
    await this.#sub!.commit([...next].map(([partition, offset]) => ({ topic, partition, offset })))
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
