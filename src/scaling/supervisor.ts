import { spawn } from 'node:child_process'
import type { FunctionConfig } from '../functions/config/load.js'
import { KAFKA_ENV, kafkaEnvironment, type KafkaSettings } from '../kafka/connection-settings.js'
import type { Logger } from '../shared/logger.js'
import type { EventLog } from './events.js'
import { WorkloadController, type WorkloadStatus } from './function-controller.js'
import type { OffsetsSource } from './offsets-source.js'
import { replicaArgv, type ReplicaEnvironment, type ReplicaLaunch } from './replica-ipc.js'
import { functionWorkload, type RulesWorkloadSpec, type WorkloadSpec } from './workload.js'

export interface SupervisorOptions {
  /**
   * How replicas reach the cluster: handed to them as TIDEWATCH_KAFKA_* variables (secrets
   * included: the environment is readable by this user only, a command line by everyone).
   */
  kafka: KafkaSettings
  source: OffsetsSource
  events: EventLog
  logger: Logger
  /** Handed to every replica on top of this process's environment (never set in it). */
  env?: ReplicaEnvironment
  graceMs?: number
  observeEveryMs?: number
}

/**
 * Every workload this process runs — functions and rules workloads — each under its own
 * controller, with replicas as child processes of this one (`tidewatch replica FILE`), so a
 * handler that crashes or leaks takes down only itself.
 */
export class Supervisor {
  readonly #controllers: WorkloadController[] = []

  constructor (private readonly o: SupervisorOptions) {}

  add (config: FunctionConfig, opts: { fixedReplicas?: number, spare?: boolean } = {}): WorkloadController {
    return this.#add(functionWorkload(config), {}, opts)
  }

  /** A rules workload: replicas run both of its stages (src/rules/runtime). */
  addRules (spec: RulesWorkloadSpec, opts: { fixedReplicas?: number, spare?: boolean } = {}): WorkloadController {
    return this.#add(spec, { rules: { name: spec.name, topic: spec.input.topic, group: spec.input.consumerGroup, startFrom: spec.input.startFrom } }, opts)
  }

  #add (spec: WorkloadSpec, launch: Partial<ReplicaLaunch>, opts: { fixedReplicas?: number, spare?: boolean }): WorkloadController {
    if (this.#controllers.some(c => c.name === spec.name)) throw new Error(`two workloads are named '${spec.name}'; names of functions and rules workloads must be unique`)
    const controller = new WorkloadController({
      config: spec,
      source: this.o.source,
      events: this.o.events,
      logger: this.o.logger,
      fixedReplicas: opts.fixedReplicas,
      spare: opts.spare,
      graceMs: this.o.graceMs,
      observeEveryMs: this.o.observeEveryMs,
      spawn: parked => spawn(process.execPath, replicaArgv({ ...launch, file: spec.file, brokers: this.o.kafka.brokers.join(','), parked }), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: this.#env() })
    })
    this.#controllers.push(controller)
    return controller
  }

  #env (): NodeJS.ProcessEnv {
    const env = replicaProcessEnv(this.o.env)
    // The settings this process resolved (its own TIDEWATCH_KAFKA_* among them) replace any inherited.
    for (const name of Object.values(KAFKA_ENV)) delete env[name]
    return { ...env, ...kafkaEnvironment(this.o.kafka) }
  }

  async start (): Promise<void> {
    await Promise.all(this.#controllers.map(async c => await c.start()))
  }

  /** Every workload's status, functions and rules workloads alike (each says its kind). */
  functions (): WorkloadStatus[] { return this.#controllers.map(c => c.status()) }

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
