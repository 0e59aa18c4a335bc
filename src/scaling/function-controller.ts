import type { ChildProcess } from 'node:child_process'
import { mergeSummaries, type RuleSummary } from '../rules/runtime/summary.js'
import type { Logger } from '../shared/logger.js'
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js'
import type { EventLog, ScalingEvent } from './events.js'
import type { OffsetsSource } from './offsets-source.js'
import { decideReplicas, INITIAL_SCALE_STATE, partitionLag, type ScaleState } from './policy.js'
import { ReplicaSet, type ReplicaProblem } from './replica-set.js'
import type { WorkloadSpec } from './workload.js'

/** What `GET /api/v1/functions` and `tidewatch status` show for one workload (a function or a rules workload). */
export interface WorkloadStatus {
  name: string
  /** Absent in answers from before rules workloads existed: a function. */
  kind?: 'function' | 'rules'
  topic: string
  consumerGroup: string
  mode: 'autoscale' | 'fixed'
  /** spare: a parked process is loaded and waiting, so the next replica joins in milliseconds. */
  replicas: { current: number, ready: number, desired: number, stopping: number, min: number, max: number, spare: boolean }
  lag: { total: number, partitions: { partition: number, lag: number, endOffset: number, committed: number }[] }
  recordsPerSecond: number
  handlerErrors: number
  /** Records in `<name>.dlq`: failed records, refused payloads and undecodable batches. */
  deadLetters: number
  /** Batches no replica could decode, each sent whole to `<name>.dlq` (since start). */
  undecodableBatches?: number
  /** The latest problem a replica met (an undecodable batch, a consumer that failed, an exit). */
  lastError?: ReplicaProblem | null
  lastEvent: ScalingEvent | null
  observedAt: string | null
  /** Why offsets could not be read, while they cannot. */
  error: string | null
  /** A rules workload: its rules as its replicas report them (state, last value, alerts). */
  rules?: RuleSummary[]
  /** A rules workload: contributions its owners ignored as redelivered, and dropped as later than their window. */
  contributions?: { duplicates: number, late: number }
  /** A rules workload: which replica process owns which contributions partitions. */
  owners?: { pid: number, partitions: number[] }[]
}

/** The name every client has used so far; a function's status is a WorkloadStatus. */
export type FunctionStatus = WorkloadStatus

export interface FunctionControllerOptions {
  config: WorkloadSpec
  source: OffsetsSource
  /** Starts one replica process of this workload (parked: loaded, waiting to be told to join). */
  spawn: (parked: boolean) => ChildProcess
  /** Keep a parked spare process for fast activation (default: when autoscaling). */
  spare?: boolean
  events: EventLog
  logger: Logger
  /** A fixed replica count instead of the autoscaler (`tidewatch run --replicas N`). */
  fixedReplicas?: number
  /** How often lag is read for status and metrics (decisions follow pollingInterval). */
  observeEveryMs?: number
  graceMs?: number
  /** Time for polling, decisions and rates (tests drive it). Default: the system clock. */
  clock?: Clock
}

// Window over which records/s is computed from the movement of committed offsets.
const RATE_WINDOW_MS = 10_000
// How long after an append a running function's lag is checked for a scale-up (embedded broker).
const UP_CHECK_DELAY_MS = 500

/**
 * Runs one workload (a function or a rules workload): reads its consumer group's lag, asks the scaling policy how many replicas it
 * should have — every pollingInterval like KEDA, at once when a record arrives while it has none,
 * and shortly after appends while it runs (embedded broker) — and makes the ReplicaSet match. Every change is an event with the policy's reason.
 */
export class WorkloadController {
  readonly name: string
  readonly replicas: ReplicaSet
  readonly #o: FunctionControllerOptions
  #state: ScaleState = INITIAL_SCALE_STATE
  #status: FunctionStatus
  #samples: { at: number, committed: number }[] = []
  #timers: TimerHandle[] = []
  #unwatch: (() => void) | null = null
  #deciding: Promise<void> | null = null
  #again = false
  #upCheck: TimerHandle | null = null
  #stopped = false
  readonly #abort = new AbortController()

  readonly #clock: Clock

  constructor (o: FunctionControllerOptions) {
    this.#o = o
    this.#clock = o.clock ?? systemClock
    this.name = o.config.name
    this.replicas = new ReplicaSet({
      name: o.config.name,
      spawn: o.spawn,
      spare: o.spare ?? o.fixedReplicas === undefined,
      events: o.events,
      logger: o.logger,
      graceMs: o.graceMs,
      clock: this.#clock,
      onChange: () => this.#refreshReplicas()
    })
    const { scale, input } = o.config
    this.#status = {
      name: o.config.name,
      kind: o.config.kind,
      topic: input.topic,
      consumerGroup: input.consumerGroup,
      mode: o.fixedReplicas === undefined ? 'autoscale' : 'fixed',
      replicas: { current: 0, ready: 0, desired: 0, stopping: 0, spare: false, min: o.fixedReplicas ?? scale.minReplicas, max: o.fixedReplicas ?? scale.maxReplicas },
      lag: { total: 0, partitions: [] },
      recordsPerSecond: 0,
      handlerErrors: 0,
      deadLetters: 0,
      undecodableBatches: 0,
      lastError: null,
      lastEvent: null,
      observedAt: null,
      error: null
    }
  }

  status (): WorkloadStatus {
    this.#refreshReplicas()
    const totals = this.replicas.totals()
    const status: WorkloadStatus = { ...this.#status, handlerErrors: totals.handlerErrors, undecodableBatches: totals.undecodableBatches, lastError: this.replicas.lastError, lastEvent: this.#o.events.last(this.name) }
    if (this.#o.config.kind === 'rules') {
      const reports = this.replicas.rulesReports()
      status.rules = mergeSummaries(reports.map(r => r.rules))
      status.contributions = { duplicates: reports.reduce((n, r) => n + r.duplicates, 0), late: reports.reduce((n, r) => n + r.late, 0) }
      status.owners = reports.map(r => ({ pid: r.pid, partitions: r.partitions }))
    }
    return status
  }

  /**
   * Makes sure the input topic exists and that a group starting from `latest` has a committed
   * position, so records that arrive while the function has no replicas wait for it instead of
   * being skipped by the replica that they wake up. Then starts deciding.
   */
  async start (): Promise<void> {
    const { topic, consumerGroup, startFrom } = this.#o.config.input
    await this.#o.source.ensureTopic(topic, missing => this.#o.logger.warn({ function: this.name, topics: missing }, 'waiting for the input topic to exist (auto-creation is off on this cluster?)'), this.#abort.signal)
    if (startFrom === 'latest') {
      try {
        const pinned = await this.#o.source.pinUncommittedToEnd(consumerGroup, topic)
        if (pinned > 0) this.#o.logger.info({ function: this.name, group: consumerGroup, partitions: pinned }, 'group starts from the current end of the topic')
      } catch (err) {
        // The group has members (replicas from another supervisor?): they own its position.
        this.#o.logger.warn({ function: this.name, err: (err as Error).message }, 'could not record the start position; the group keeps its own')
      }
    }
    if (this.#stopped) return
    this.replicas.keepSpare()
    if (this.#o.fixedReplicas !== undefined) {
      this.#apply(this.#o.fixedReplicas, `fixed at ${this.#o.fixedReplicas} (--replicas)`)
    } else {
      this.#unwatch = this.#o.source.watch(topic, () => this.#appended())
      const poll = (): void => {
        this.#decideSoon()
        this.#timers[0] = this.#clock.setTimeout(poll, this.#o.config.scale.pollingInterval * 1000)
      }
      poll()
    }
    const observe = (): void => {
      this.#observe().catch(() => {}).finally(() => {
        if (!this.#stopped) this.#timers[1] = this.#clock.setTimeout(observe, this.#o.observeEveryMs ?? 1000)
      })
    }
    observe()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    this.#abort.abort()
    for (const t of this.#timers) if (t !== undefined) this.#clock.clearTimeout(t)
    if (this.#upCheck !== null) this.#clock.clearTimeout(this.#upCheck)
    this.#unwatch?.()
    await this.#deciding
    await this.replicas.stopAll()
  }

  /**
   * Records arrived (embedded broker only). From zero, decide at once: that is activation. With
   * replicas running, look again a moment later, for scale-up only: lag read right after an
   * append counts records the replicas have not had time to take, while lag still there
   * UP_CHECK_DELAY_MS later is a backlog. Scaling down stays on the pollingInterval rhythm.
   */
  #appended (): void {
    if (this.replicas.wanted === 0) { this.#decideSoon(); return }
    if (this.#upCheck !== null || this.replicas.wanted >= this.#o.config.scale.maxReplicas) return
    this.#upCheck = this.#clock.setTimeout(() => { this.#upCheck = null; this.#decideSoon(true) }, UP_CHECK_DELAY_MS)
  }

  /** Runs a decision now, or right after the one in progress. */
  #decideSoon (upOnly = false): void {
    if (this.#stopped) return
    if (this.#deciding !== null) { this.#again = true; return }
    this.#deciding = this.#decide(upOnly).finally(() => {
      this.#deciding = null
      if (this.#again) { this.#again = false; this.#decideSoon() }
    })
  }

  async #decide (upOnly: boolean): Promise<void> {
    const lags = await this.#observe()
    if (lags === null || this.#stopped) return
    const current = this.replicas.wanted
    const d = decideReplicas({ now: this.#clock.now(), current, lags, settings: this.#o.config.scale, state: this.#state })
    if (upOnly && d.desired <= current) return
    this.#state = d.state
    if (d.desired !== current) this.#apply(d.desired, d.reason)
  }

  #apply (to: number, reason: string): void {
    const from = this.replicas.wanted
    this.replicas.scaleTo(to)
    this.#o.events.record({ function: this.name, type: 'scale', from, to, reason })
    this.#o.logger.info({ function: this.name, from, to, reason }, 'scaled')
    this.#refreshReplicas()
  }

  /** Reads offsets, updates the status; returns lag per partition, or null if unreadable. */
  async #observe (): Promise<number[] | null> {
    const { topic, consumerGroup, startFrom } = this.#o.config.input
    let offsets
    try {
      offsets = await this.#o.source.groupOffsets(consumerGroup, topic)
      this.#status.deadLetters = this.#o.config.deadLetterTopic === null ? 0 : await this.#o.source.recordCount(this.#o.config.deadLetterTopic)
    } catch (err) {
      const message = (err as Error).message
      if (this.#status.error !== message) {
        this.#o.events.record({ function: this.name, type: 'error', reason: `cannot read offsets: ${message}; replicas are left as they are` })
      }
      this.#status.error = message
      return null
    }
    this.#status.error = null
    const now = this.#clock.now()
    const partitions = (offsets ?? []).map(p => ({ partition: p.partition, lag: partitionLag(p, startFrom), endOffset: p.endOffset, committed: p.committed }))
    this.#status.lag = { total: partitions.reduce((n, p) => n + p.lag, 0), partitions }
    this.#status.observedAt = new Date(now).toISOString()
    const committed = partitions.reduce((n, p) => n + Math.max(0, p.committed), 0)
    this.#samples = [...this.#samples.filter(s => now - s.at <= RATE_WINDOW_MS), { at: now, committed }]
    const first = this.#samples[0]
    this.#status.recordsPerSecond = now > first.at ? Math.max(0, (committed - first.committed) * 1000 / (now - first.at)) : 0
    return partitions.map(p => p.lag)
  }

  #refreshReplicas (): void {
    this.#status.replicas.current = this.replicas.running
    this.#status.replicas.ready = this.replicas.ready
    this.#status.replicas.spare = this.replicas.spareReady
    this.#status.replicas.stopping = this.replicas.stopping
    this.#status.replicas.desired = this.replicas.wanted
  }
}

/** The name the supervisor has always used; a function is one kind of workload. */
export const FunctionController = WorkloadController
export type FunctionController = WorkloadController
