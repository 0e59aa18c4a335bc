import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { Replica } from '../functions/replica.js'
import { KafkaClient } from '../kafka/client.js'
import { createLogger } from '../shared/logger.js'
import { CliError } from './args.js'
import { REPLICA_OPTIONS, type ReplicaMessage } from '../scaling/replica-ipc.js'
import { loadHandler } from '../functions/loader.js'

/**
 * From a stop request (SIGTERM, SIGINT, the supervisor gone) to exit, at most: the batch in hand
 * is abandoned uncommitted and the group left, or, past this, the process exits regardless (a
 * handler that hangs, an output that does not answer, a broker that is gone).
 */
export const STOP_DEADLINE_MS = 5000
// How often a supervised replica checks that its parent is still the one that started it: the
// IPC channel's 'disconnect' is the prompt signal, this the backstop.
const PARENT_CHECK_MS = 1000

/**
 * `tidewatch replica FILE --brokers B`: one replica process, as started by `tidewatch run` (or a
 * Kubernetes Deployment). With --parked it loads everything, then waits for the supervisor's
 * 'start' message before joining the group: the spare that makes activation from zero fast.
 * Under a supervisor (an IPC channel), it stops as soon as the supervisor is gone, whatever it
 * is doing and however the supervisor died: a replica must never outlive the process that runs it.
 */
export async function runReplicaCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: REPLICA_OPTIONS })
  const [file] = positionals
  if (file !== undefined && values.check === true) {
    // The supervisor's start-up check: the handler loads in a process of its own (user code
    // never runs in the supervisor), and any problem is reported before anything starts.
    await loadHandler(loadFunctionConfig(file))
    return 0
  }
  if (file === undefined || values.brokers === undefined) throw new CliError('usage: tidewatch replica FUNCTION.yaml --brokers host:port [--parked], or FUNCTION.yaml --check')
  const supervised = process.send !== undefined
  const parentPid = process.ppid
  const config = loadFunctionConfig(file)
  const logger = createLogger(`replica:${config.name}`)
  const kafka = new KafkaClient({ bootstrap: values.brokers.split(','), clientId: `tidewatch-${config.name}` })
  const replica = new Replica({ config, kafka, logger })

  let stopRequested: string | null = null
  let onStop = (): void => {}
  const stop = (why: string): void => {
    if (stopRequested !== null) return
    stopRequested = why
    logger.info({ function: config.name, why }, 'replica stopping')
    replica.stop()
    onStop()
    const deadline = setTimeout(() => {
      logger.warn({ function: config.name, why, deadlineMs: STOP_DEADLINE_MS }, 'replica did not stop in time; leaving the group and exiting')
      replica.abort().finally(() => process.exit(0))
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
  const report = async (m: ReplicaMessage): Promise<void> => {
    if (!supervised || !process.connected) return
    await new Promise<void>(resolve => { process.send!(m, undefined, {}, () => resolve()) })
  }
  const sendStats = async (): Promise<void> => {
    const s = replica.stats
    await report({ type: 'stats', records: s.records, handlerErrors: s.handlerErrors, deadLetters: s.deadLetters, sends: s.sends, undecodableBatches: s.undecodableBatches, lastError: s.lastError })
  }
  const ticker = setInterval(() => { sendStats().catch(() => {}) }, 1000)
  ticker.unref()
  // Listen before loading: the supervisor may hand this spare a slot while it is still loading.
  let startRequested = false
  let onStart = (): void => {}
  process.on('message', (m: ReplicaMessage) => { if (m?.type === 'start') { startRequested = true; onStart() } })
  let code = 0
  try {
    await replica.prepare()
    // Told to stop while loading (a spare is often still loading at shutdown): do not join.
    if (stopRequested !== null) process.exit(0)
    if (values.parked === true) {
      await report({ type: 'parked' })
      const go = await new Promise<boolean>(resolve => {
        onStart = () => resolve(true)
        onStop = () => resolve(false)
        if (startRequested) resolve(true)
        if (stopRequested !== null) resolve(false)
      })
      if (!go) process.exit(0)
    }
    await replica.join()
    if (stopRequested === null) await report({ type: 'ready' })
    await replica.run()
  } catch (err) {
    // A replica that cannot go on says why and exits, so its supervisor sees it and restarts it
    // (with backoff), instead of a process that looks ready and consumes nothing.
    logger.error({ function: config.name, err: (err as Error).message }, 'replica failed')
    code = 1
  } finally {
    clearInterval(ticker)
    await sendStats().catch(() => {})
    await kafka.close()
  }
  // Client sockets and timers may linger after close; the replica's work is done.
  process.exit(code)
}
