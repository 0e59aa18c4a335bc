import type { ChildProcess } from 'node:child_process'
import type { Logger } from '../shared/logger.js'
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js'
import { backoffDelay } from '../shared/http-delivery.js'
import type { EventLog } from './events.js'

import type { ReplicaMessage, ReplicaProblem } from './replica-ipc.js'

export type { ReplicaMessage, ReplicaProblem }

interface Slot {
  child: ChildProcess | null
  /** Asked to stop: its exit is expected, not a crash. */
  stopping: boolean
  ready: boolean
  stats: typeof ZERO
  restartTimer: TimerHandle | null
  crashes: number[]
  /** The last problem this slot's current process reported. */
  problem: ReplicaProblem | null
  /** A rules replica's latest report of its rules. */
  rules: RulesReport | null
}

/** What a rules replica reports of the rules it owns (the IPC `rules` message without its type). */
export type RulesReport = Omit<Extract<ReplicaMessage, { type: 'rules' }>, 'type'>

const ZERO = { records: 0, handlerErrors: 0, deadLetters: 0, sends: 0, undecodableBatches: 0 }
const CRASH_WINDOW_MS = 60_000
const CRASH_LOOP = 5
/** Restart backoff of a replica (or spare) that keeps exiting: 250 ms doubling up to 30 s. */
const RESTART_BACKOFF = { initialMs: 250, maxMs: 30_000 }
/**
 * Default wait between SIGTERM and SIGKILL. A replica stops by itself within its own deadline
 * (STOP_DEADLINE_MS in cli/replica-command.ts, 5 s); this is only the backstop.
 */
export const DEFAULT_GRACE_MS = 10_000

/**
 * The replica processes of one function, kept at the count the autoscaler asks for. Slots
 * 1..n are wanted; scaling down stops the highest slots gracefully (SIGTERM: the replica
 * abandons what it has not delivered, uncommitted, and leaves the group; SIGKILL only after
 * `graceMs`). A replica that dies unasked is restarted with backoff, and a crash loop is
 * reported as an event.
 */
export class ReplicaSet {
  readonly #slots = new Map<number, Slot>()
  readonly #retired = { ...ZERO }
  #wanted = 0
  #closed = false
  #spare: ChildProcess | null = null
  #spareTimer: TimerHandle | null = null
  #spareCrashes: number[] = []
  #spareParked = false
  #lastError: ReplicaProblem | null = null

  constructor (private readonly opts: {
    name: string
    /** Starts a replica process; a parked one loads everything and waits for a 'start' message. */
    spawn: (parked: boolean) => ChildProcess
    /**
     * Keep one parked process ready, so the next replica (activation from zero above all) joins
     * in milliseconds instead of paying a Node start and module loading (~1 s of CPU).
     */
    spare?: boolean
    events: EventLog
    logger: Logger
    graceMs?: number
    /** Called when the running or ready count changes. */
    onChange?: () => void
    /** Time for restart backoff, grace periods and crash windows. Default: the system clock. */
    clock?: Clock
  }) {
    this.#clock = opts.clock ?? systemClock
  }

  readonly #clock: Clock

  /** Replica processes alive and not on their way out. */
  get running (): number { return [...this.#slots.values()].filter(s => s.child !== null && !s.stopping).length }
  /** Replicas that have joined the group and are consuming. */
  get ready (): number { return [...this.#slots.values()].filter(s => s.ready && !s.stopping).length }
  get wanted (): number { return this.#wanted }
  /** Replicas asked to stop that have not exited yet (finishing their batch, leaving the group). */
  get stopping (): number { return [...this.#slots.values()].filter(s => s.child !== null && s.stopping).length }
  /** A parked spare is loaded and waiting: the next replica starts without a process start. */
  get spareReady (): boolean { return this.#spare !== null && this.#spareParked }

  /** The latest problem any replica of this set reported or met (null: none yet). */
  get lastError (): ReplicaProblem | null { return this.#lastError }

  #noteProblem (p: ReplicaProblem | null | undefined): void {
    if (p === null || p === undefined) return
    if (this.#lastError === null || p.time > this.#lastError.time) this.#lastError = p
  }

  /** The rules reports of the replicas running now (rules workloads only). */
  rulesReports (): (RulesReport & { pid: number })[] {
    return [...this.#slots.values()].flatMap(s => s.child !== null && !s.stopping && s.rules !== null ? [{ ...s.rules, pid: s.child.pid ?? 0 }] : [])
  }

  /** Counters over every replica this set has run, including exited ones. */
  totals (): typeof ZERO {
    const t = { ...this.#retired }
    for (const s of this.#slots.values()) for (const k of Object.keys(t) as (keyof typeof ZERO)[]) t[k] += s.stats[k]
    return t
  }

  scaleTo (n: number): void {
    if (this.#closed) return
    this.#wanted = n
    for (let slot = 1; slot <= n; slot++) {
      const s = this.#slots.get(slot)
      // A slot still stopping is started again as soon as its replica has left (see #exited).
      if (s === undefined) this.#start(slot, [])
    }
    for (const [slot, s] of this.#slots) if (slot > n) this.#stop(slot, s)
    this.opts.onChange?.()
  }

  async stopAll (): Promise<void> {
    this.#closed = true
    this.#wanted = 0
    if (this.#spareTimer !== null) this.#clock.clearTimeout(this.#spareTimer)
    const spare = this.#spare
    this.#spare = null
    const spareExited = spare === null || spare.exitCode !== null ? Promise.resolve() : new Promise<void>(resolve => spare.once('exit', () => resolve()))
    spare?.kill('SIGTERM')
    if (spare !== null) {
      const kill = this.#clock.setTimeout(() => spare.kill('SIGKILL'), this.opts.graceMs ?? DEFAULT_GRACE_MS)
      spare.once('exit', () => this.#clock.clearTimeout(kill))
    }
    const exits = [...this.#slots.entries()].map(([slot, s]) => {
      const exited = s.child === null ? Promise.resolve() : new Promise<void>(resolve => s.child!.once('exit', () => resolve()))
      this.#stop(slot, s)
      return exited
    })
    await Promise.all([...exits, spareExited])
  }

  /** Makes sure a parked spare exists (when enabled). */
  keepSpare (): void {
    if (this.opts.spare !== true || this.#closed || this.#spare !== null || this.#spareTimer !== null) return
    const child = this.opts.spawn(true)
    this.#spare = child
    this.#spareParked = false
    child.on('message', (m: ReplicaMessage) => {
      if (m?.type === 'parked' && this.#spare === child) { this.#spareParked = true; this.opts.onChange?.() }
    })
    child.on('error', err => this.opts.logger.error({ function: this.opts.name, err: err.message }, 'spare replica process error'))
    child.once('exit', (code, signal) => {
      if (this.#spare !== child) return // it became a replica; its slot handles the exit
      this.#spare = null
      this.#spareParked = false
      if (this.#closed) return
      // A spare that dies is a handler or config that cannot load: back off, as for replicas.
      const now = this.#clock.now()
      this.#spareCrashes = [...this.#spareCrashes, now].filter(t => now - t < CRASH_WINDOW_MS)
      const delay = backoffDelay(this.#spareCrashes.length, RESTART_BACKOFF)
      this.opts.logger.warn({ function: this.opts.name, code, signal, restartInMs: delay }, 'spare replica exited; starting another')
      this.#spareTimer = this.#clock.setTimeout(() => { this.#spareTimer = null; this.keepSpare() }, delay)
    })
  }

  // A new spare is loaded only once every replica asked for has joined: loading one costs about
  // a second of CPU, which replicas starting at the same moment need more.
  #refillSpareWhenSettled (): void {
    if ([...this.#slots.values()].every(s => s.ready || s.stopping)) this.keepSpare()
  }

  #start (slot: number, crashes: number[]): void {
    let child: ChildProcess
    if (this.#spare !== null && this.#spare.exitCode === null && this.#spare.connected) {
      child = this.#spare
      this.#spare = null
      this.#spareParked = false
      child.send({ type: 'start' } satisfies ReplicaMessage)
    } else {
      child = this.opts.spawn(false)
    }
    const s: Slot = { child, stopping: false, ready: false, stats: { ...ZERO }, restartTimer: null, crashes, problem: null, rules: null }
    this.#slots.set(slot, s)
    this.opts.logger.info({ function: this.opts.name, slot, pid: child.pid }, 'replica process started')
    child.on('message', (m: ReplicaMessage) => {
      if (m?.type === 'ready') { s.ready = true; this.#refillSpareWhenSettled(); this.opts.onChange?.() }
      if (m?.type === 'stats') {
        s.stats = { records: m.records, handlerErrors: m.handlerErrors, deadLetters: m.deadLetters, sends: m.sends, undecodableBatches: m.undecodableBatches ?? 0 }
        if (m.lastError !== undefined && m.lastError !== null) s.problem = m.lastError
        this.#noteProblem(m.lastError)
      }
      if (m?.type === 'rules') s.rules = { rules: m.rules, partitions: m.partitions, duplicates: m.duplicates, late: m.late }
    })
    child.on('error', err => this.opts.logger.error({ function: this.opts.name, slot, err: err.message }, 'replica process error'))
    child.once('exit', (code, signal) => this.#exited(slot, s, code, signal))
  }

  #stop (slot: number, s: Slot): void {
    if (s.restartTimer !== null) { this.#clock.clearTimeout(s.restartTimer); s.restartTimer = null }
    if (s.child === null) { this.#slots.delete(slot); return }
    if (s.stopping) return
    s.stopping = true
    const child = s.child
    child.kill('SIGTERM')
    const kill = this.#clock.setTimeout(() => child.kill('SIGKILL'), this.opts.graceMs ?? DEFAULT_GRACE_MS)
    child.once('exit', () => this.#clock.clearTimeout(kill))
  }

  #exited (slot: number, s: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    for (const k of Object.keys(this.#retired) as (keyof typeof ZERO)[]) this.#retired[k] += s.stats[k]
    s.stats = { ...ZERO }
    s.child = null
    s.ready = false
    s.rules = null
    if (s.stopping || this.#closed || slot > this.#wanted) {
      this.#slots.delete(slot)
      if (!this.#closed && slot <= this.#wanted) this.#start(slot, s.crashes)
      this.opts.onChange?.()
      return
    }
    const now = this.#clock.now()
    s.crashes = [...s.crashes, now].filter(t => now - t < CRASH_WINDOW_MS)
    const delay = backoffDelay(s.crashes.length, RESTART_BACKOFF)
    const how = signal !== null ? `killed by ${signal}` : `exited with code ${code ?? '?'}`
    // The replica's own report (sent before it exits) says why; an exit without one still shows.
    const why = s.problem !== null ? ` (last error: ${s.problem.message})` : ''
    this.#noteProblem({ time: new Date().toISOString(), message: `replica ${slot} ${how}${why}` })
    this.opts.events.record({ function: this.opts.name, type: 'replica-exit', reason: `replica ${slot} ${how}${why}; restarting in ${delay} ms` })
    if (s.crashes.length >= CRASH_LOOP && s.crashes.length % CRASH_LOOP === 0) {
      this.opts.events.record({ function: this.opts.name, type: 'crash-loop', reason: `replica ${slot} exited ${s.crashes.length} times in the last minute; last: ${how}. Its log above says why; restarts continue with backoff up to 30 s` })
      this.opts.logger.error({ function: this.opts.name, slot, crashesLastMinute: s.crashes.length }, 'replica is crash-looping')
    } else {
      this.opts.logger.warn({ function: this.opts.name, slot, code, signal, restartInMs: delay }, 'replica exited; restarting')
    }
    this.opts.onChange?.()
    s.restartTimer = this.#clock.setTimeout(() => {
      s.restartTimer = null
      if (this.#closed || slot > this.#wanted) { this.#slots.delete(slot); return }
      this.#start(slot, s.crashes)
    }, delay)
  }
}
