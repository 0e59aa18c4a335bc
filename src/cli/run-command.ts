import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { loadHandler } from '../functions/loader.js'
import { startBroker, type RunningBroker } from '../broker/broker.js'
import { createLogger } from '../shared/logger.js'
import { CliError, parseIntOption } from './args.js'

export const RUN_USAGE = `Usage: tidewatch run FUNCTION.yaml [--brokers host:port] [--replicas N]

Runs a function: N replica processes share the function's consumer group, and each one
commits a batch only after every output accepted it. A replica that crashes is restarted.

Options:
  --brokers LIST   Kafka bootstrap servers (comma-separated). Default: start the embedded
                   broker in this process (see --port, --data-dir)
  --replicas N     replica processes (default 1; lag-based autoscaling is coming)
  --port N         embedded broker port (default 9092)
  --data-dir DIR   embedded broker data (default .tidewatch/broker)
  -h, --help       show this help`

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.js')

export async function runRunCommand (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { brokers: { type: 'string' }, replicas: { type: 'string' }, port: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${RUN_USAGE}`)
  }
  const v = parsed.values
  if (v.help === true) { console.log(RUN_USAGE); return 0 }
  const [file, ...extra] = parsed.positionals
  if (file === undefined || extra.length > 0) throw new CliError(`expected one Function file\n\n${RUN_USAGE}`)
  const replicas = parseIntOption('--replicas', v.replicas, { min: 1, max: 1000 }) ?? 1
  // Fail here, once, with a clear message, rather than in every replica.
  const config = loadFunctionConfig(file)
  for (const note of config.notCarried) console.error(`tidewatch: note: ${note}`)
  await loadHandler(config)
  const logger = createLogger(`run:${config.name}`)
  let broker: RunningBroker | null = null
  let bootstrap = v.brokers
  if (bootstrap === undefined) {
    broker = await startBroker({
      dataDir: path.resolve(v['data-dir'] ?? process.env.TIDEWATCH_DATA_DIR ?? '.tidewatch/broker'),
      port: parseIntOption('--port', v.port, { min: 0, max: 65535 }),
      logger: createLogger('broker')
    })
    bootstrap = broker.bootstrap
  }
  const supervisor = new ReplicaSet(path.resolve(file), bootstrap, logger)
  for (let i = 1; i <= replicas; i++) supervisor.start(i)
  console.log(`tidewatch run: ${config.name} with ${replicas} replica${replicas === 1 ? '' : 's'} on ${bootstrap}`)
  await new Promise<void>(resolve => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve() }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await supervisor.stopAll()
  await broker?.close()
  return 0
}

/** Replica processes, restarted with backoff when they die; a crash loop is reported, not hidden. */
class ReplicaSet {
  readonly #children = new Map<number, ChildProcess>()
  readonly #crashes = new Map<number, number[]>()
  #stopping = false

  constructor (readonly file: string, readonly bootstrap: string, readonly log: ReturnType<typeof createLogger>) {}

  start (slot: number): void {
    const child = spawn(process.execPath, ['--enable-source-maps', CLI, 'replica', this.file, '--brokers', this.bootstrap], { stdio: ['ignore', 'inherit', 'inherit'] })
    this.#children.set(slot, child)
    console.log(`replica ${slot} started (pid ${child.pid})`)
    child.on('exit', (code, signal) => {
      this.#children.delete(slot)
      if (this.#stopping) return
      const now = Date.now()
      const recent = [...(this.#crashes.get(slot) ?? []), now].filter(t => now - t < 60_000)
      this.#crashes.set(slot, recent)
      const delay = Math.min(30_000, 500 * 2 ** (recent.length - 1))
      const level = recent.length >= 5 ? 'error' : 'warn'
      this.log[level]({ slot, code, signal, restartInMs: delay, crashesLastMinute: recent.length }, recent.length >= 5 ? 'replica is crash-looping' : 'replica exited; restarting')
      setTimeout(() => { if (!this.#stopping) this.start(slot) }, delay)
    })
  }

  async stopAll (): Promise<void> {
    this.#stopping = true
    await Promise.all([...this.#children.values()].map(child => new Promise<void>(resolve => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 30_000)
      child.on('exit', () => { clearTimeout(kill); resolve() })
      child.kill('SIGTERM')
    })))
  }
}
