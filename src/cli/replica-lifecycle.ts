import type { Logger } from '../shared/logger.js'
import type { ReplicaMessage } from '../scaling/replica-ipc.js'

/**
 * From a stop request (SIGTERM, SIGINT, the supervisor gone) to exit, at most: the batch in hand
 * is abandoned uncommitted and the group left, or, past this, the process exits regardless (a
 * handler that hangs, an output that does not answer, a broker that is gone).
 */
export const STOP_DEADLINE_MS = 5000
// How often a supervised replica checks that its parent is still the one that started it: the
// IPC channel's 'disconnect' is the prompt signal, this the backstop.
const PARENT_CHECK_MS = 1000
// How long leaving the group may take once the deadline has passed.
const ABORT_MS = 3000

/** What a replica process runs: a function's Replica or a rules workload's RulesReplica. */
export interface ReplicaWork {
  /** Everything before joining: a parked replica has done this and can join in milliseconds. */
  prepare: () => Promise<void>
  join: () => Promise<void>
  /** Consumes until stop(); resolves after the group is left, throws when it cannot go on. */
  run: () => Promise<void>
  stop: () => void
  /** Leaves the group now, whatever run() waits for. */
  abort: () => Promise<void>
}

export interface ReplicaLifecycle {
  /** For log lines: `{ function: name }` or `{ workload: name }`. */
  who: Record<string, string>
  logger: Logger
  work: ReplicaWork
  parked: boolean
  /** The messages reporting this replica's counters (sent every second and before exiting). */
  report: () => ReplicaMessage[]
  /** After the work is done (closing the Kafka client). */
  close: () => Promise<void>
}

/**
 * Runs one replica process as `tidewatch run` / `up` (or a Kubernetes Deployment) starts it. With
 * `parked` it loads everything, then waits for the supervisor's 'start' message before joining
 * the group: the spare that makes activation from zero fast. Under a supervisor (an IPC
 * channel) it stops as soon as the supervisor is gone, whatever it is doing and however the
 * supervisor died: a replica must never outlive the process that runs it. Never returns.
 */
export async function runReplicaLifecycle (o: ReplicaLifecycle): Promise<never> {
  const { logger, work, who } = o
  const supervised = process.send !== undefined
  const parentPid = process.ppid
  let stopRequested: string | null = null
  let onStop = (): void => {}
  const stop = (why: string): void => {
    if (stopRequested !== null) return
    stopRequested = why
    logger.info({ ...who, why }, 'replica stopping')
    work.stop()
    onStop()
    const deadline = setTimeout(() => {
      logger.warn({ ...who, why, deadlineMs: STOP_DEADLINE_MS }, 'replica did not stop in time; leaving the group and exiting')
      work.abort().finally(() => process.exit(0))
      // Leaving needs the broker; one that is gone must not keep the process alive either.
      setTimeout(() => process.exit(0), ABORT_MS).unref()
    }, STOP_DEADLINE_MS)
    deadline.unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  if (supervised) {
    process.on('disconnect', () => stop('the supervisor is gone (IPC channel closed)'))
    const watch = setInterval(() => { if (process.ppid !== parentPid) stop(`the supervisor (pid ${parentPid}) is gone`) }, PARENT_CHECK_MS)
    watch.unref()
  }

  // Under `tidewatch run` / `up` the supervisor listens on the IPC channel for readiness and
  // counters; on Kubernetes there is none and this is skipped.
  const send = async (m: ReplicaMessage): Promise<void> => {
    if (!supervised || !process.connected) return
    await new Promise<void>(resolve => { process.send!(m, undefined, {}, () => resolve()) })
  }
  const sendStats = async (): Promise<void> => { for (const m of o.report()) await send(m) }
  const ticker = setInterval(() => { sendStats().catch(() => {}) }, 1000)
  ticker.unref()
  // Listen before loading: the supervisor may hand this spare a slot while it is still loading.
  let startRequested = false
  let onStart = (): void => {}
  process.on('message', (m: ReplicaMessage) => { if (m?.type === 'start') { startRequested = true; onStart() } })
  let code = 0
  try {
    await work.prepare()
    // Told to stop while loading (a spare is often still loading at shutdown): do not join.
    if (stopRequested !== null) process.exit(0)
    if (o.parked) {
      await send({ type: 'parked' })
      const go = await new Promise<boolean>(resolve => {
        onStart = () => resolve(true)
        onStop = () => resolve(false)
        if (startRequested) resolve(true)
        if (stopRequested !== null) resolve(false)
      })
      if (!go) process.exit(0)
    }
    await work.join()
    if (stopRequested === null) await send({ type: 'ready' })
    await work.run()
  } catch (err) {
    // A replica that cannot go on says why and exits, so its supervisor sees it and restarts it
    // (with backoff), instead of a process that looks ready and consumes nothing.
    logger.error({ ...who, err: (err as Error).message }, 'replica failed')
    code = 1
  } finally {
    clearInterval(ticker)
    await sendStats().catch(() => {})
    await o.close()
  }
  // Client sockets and timers may linger after close; the replica's work is done.
  process.exit(code)
}
