import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { FunctionConfig } from '../functions/config/load.js'
import type { Logger } from '../shared/logger.js'
import type { EventLog } from './events.js'
import { FunctionController, type FunctionStatus } from './function-controller.js'
import type { OffsetsSource } from './offsets-source.js'

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.js')

/**
 * Every function this process runs, each under its own controller, with replicas as child
 * processes of this one (`tidewatch replica FILE`), so a handler that crashes or leaks takes
 * down only itself.
 */
export class Supervisor {
  readonly #controllers: FunctionController[] = []

  constructor (private readonly o: { bootstrap: string, source: OffsetsSource, events: EventLog, logger: Logger, graceMs?: number, observeEveryMs?: number }) {}

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
      spawn: parked => spawn(process.execPath, ['--enable-source-maps', CLI, 'replica', path.resolve(config.file), '--brokers', this.o.bootstrap, ...(parked ? ['--parked'] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    })
    this.#controllers.push(controller)
    return controller
  }

  async start (): Promise<void> {
    await Promise.all(this.#controllers.map(async c => await c.start()))
  }

  functions (): FunctionStatus[] { return this.#controllers.map(c => c.status()) }

  async stop (): Promise<void> {
    await Promise.all(this.#controllers.map(async c => await c.stop()))
  }
}
