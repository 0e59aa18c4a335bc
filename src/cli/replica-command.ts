import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { Replica } from '../functions/replica.js'
import { KafkaClient } from '../kafka/client.js'
import { createLogger } from '../shared/logger.js'
import { CliError } from './args.js'
import type { ReplicaMessage } from '../scaling/replica-set.js'

/**
 * `tidewatch replica FILE --brokers B`: one replica process, as started by `tidewatch run` (or a
 * Kubernetes Deployment). With --parked it loads everything, then waits for the supervisor's
 * 'start' message before joining the group: the spare that makes activation from zero fast.
 */
export async function runReplicaCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { brokers: { type: 'string' }, parked: { type: 'boolean' } } })
  const [file] = positionals
  if (file === undefined || values.brokers === undefined) throw new CliError('usage: tidewatch replica FUNCTION.yaml --brokers host:port')
  const config = loadFunctionConfig(file)
  const logger = createLogger(`replica:${config.name}`)
  const kafka = new KafkaClient({ bootstrap: values.brokers.split(','), clientId: `tidewatch-${config.name}` })
  const replica = new Replica({ config, kafka, logger })
  let terminated = false
  const stop = (): void => { terminated = true; replica.stop() }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // Under `tidewatch run` / `up` the supervisor listens on the IPC channel for readiness and
  // counters; on Kubernetes there is none and this is skipped.
  const report = async (m: ReplicaMessage): Promise<void> => {
    if (process.send === undefined || !process.connected) return
    await new Promise<void>(resolve => { process.send!(m, undefined, {}, () => resolve()) })
  }
  const sendStats = async (): Promise<void> => await report({ type: 'stats', records: replica.stats.records, handlerErrors: replica.stats.handlerErrors, deadLetters: replica.stats.deadLetters, sends: replica.stats.sends })
  const ticker = setInterval(() => { sendStats().catch(() => {}) }, 1000)
  ticker.unref()
  // Listen before loading: the supervisor may hand this spare a slot while it is still loading.
  let startRequested = false
  let onStart = (): void => {}
  process.on('message', (m: ReplicaMessage) => { if (m?.type === 'start') { startRequested = true; onStart() } })
  try {
    await replica.prepare()
    // Told to stop while loading (a spare is often still loading at shutdown): do not join.
    if (terminated) process.exit(0)
    if (values.parked === true) {
      await report({ type: 'parked' })
      const go = await new Promise<boolean>(resolve => {
        if (startRequested) resolve(true)
        if (terminated) resolve(false)
        onStart = () => resolve(true)
        process.once('disconnect', () => resolve(false))
        process.once('SIGTERM', () => resolve(false))
        process.once('SIGINT', () => resolve(false))
      })
      if (!go) process.exit(0)
    }
    await replica.join()
    await report({ type: 'ready' })
    await replica.run()
  } finally {
    clearInterval(ticker)
    await sendStats().catch(() => {})
    await kafka.close()
  }
  // Client sockets and timers may linger after close; the replica's work is done.
  process.exit(0)
}
