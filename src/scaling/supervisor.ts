import { spawn } from 'node:child_process'
import type { FunctionConfig } from '../functions/config/load.js'
import type { Logger } from '../shared/logger.js'
import type { EventLog } from './events.js'
import { FunctionController, type FunctionStatus } from './function-controller.js'
import type { OffsetsSource } from './offsets-source.js'
import { replicaArgv, type ReplicaEnvironment } from './replica-ipc.js'

export interface SupervisorOptions {
  bootstrap: string
  source: OffsetsSource
  events: EventLog
  logger: Logger
  /** Handed to every replica on top of this process's environment (never set in it). */
  env?: ReplicaEnvironment
  graceMs?: number
  observeEveryMs?: number
}

/**
 * Every function this process runs, each under its own controller, with replicas as child
 * processes of this one (`tidewatch replica FILE`), so a handler that crashes or leaks takes
 * down only itself.
 */
export class Supervisor {
  readonly #controllers: FunctionController[] = []

  constructor (private readonly o: SupervisorOptions) {}

  add (config: FunctionConfig, opts: { fixedReplicas?: number, spare?: boolean } = {}): FunctionController {
    if (this.#controllers.some(c => c.name === config.name)) throw new Error(`two functions are named '${config.name}'; names must be unique`)
    const controller = new FunctionController({
      config,
      source: this.o.source,
      events: this.o.events,
      logger: this.o.logger,
      fixedReplicas: opts.fixedReplicas,
      spare: opts.spare,
      graceMs: this.o.graceMs,
      observeEveryMs: this.o.observeEveryMs,
      spawn: parked => spawn(process.execPath, replicaArgv({ file: config.file, brokers: this.o.bootstrap, parked }), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: this.#env() })
    })
    this.#controllers.push(controller)
    return controller
  }

  #env (): NodeJS.ProcessEnv { return replicaProcessEnv(this.o.env) }

  async start (): Promise<void> {
    await Promise.all(this.#controllers.map(async c => await c.start()))
  }

  functions (): FunctionStatus[] { return this.#controllers.map(c => c.status()) }

  async stop (): Promise<void> {
    await Promise.all(this.#controllers.map(async c => await c.stop()))
  }
}

/** A handler that cannot load, as its check process reported it. */
export class HandlerCheckError extends Error {}

/** This process's environment plus what replicas are handed (a variable the user set wins). */
function replicaProcessEnv (extra: ReplicaEnvironment = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && env[k] === undefined) env[k] = v
  return env
}

/**
 * Loads every function's handler in a process of its own (`tidewatch replica FILE --check`),
 * all at once, and throws the first problem: a bad handler stops `run` / `up` before anything
 * starts, and user code never runs in the supervisor.
 */
export async function checkHandlers (configs: FunctionConfig[], env?: ReplicaEnvironment): Promise<void> {
  const results = await Promise.all(configs.map(async c => await new Promise<string | null>((resolve, reject) => {
    const child = spawn(process.execPath, replicaArgv({ file: c.file, check: true }), { stdio: ['ignore', 'ignore', 'pipe'], env: replicaProcessEnv(env) })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('error', reject)
    child.on('close', code => resolve(code === 0 ? null : stderr.trim().replace(/^tidewatch: /, '') || `the handler check of ${c.name} exited with code ${code ?? '?'}`))
  })))
  const problem = results.find(r => r !== null)
  if (problem !== undefined && problem !== null) throw new HandlerCheckError(problem)
}
