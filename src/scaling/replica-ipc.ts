// The contract between a supervisor (`tidewatch run` / `up`) and its replica processes
// (`tidewatch replica`), in one place for both sides: the command line a replica is started
// with, what it is told through its environment, and the messages on its IPC channel.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RuleSummary } from '../rules/runtime/summary.js'

/** The CLI entry point replicas are started from: the one this process runs. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli.js')

/** The last thing that went wrong in a replica: an undecodable batch, a consumer that failed, an exit. */
export interface ReplicaProblem { time: string, message: string }

/** What goes over the IPC channel: `start` to a parked spare, the rest from a replica. */
export type ReplicaMessage =
  | { type: 'parked' }
  | { type: 'start' }
  | { type: 'ready' }
  | { type: 'stats', records: number, handlerErrors: number, deadLetters: number, sends: number, undecodableBatches?: number, lastError?: ReplicaProblem | null }
  /** A rules replica's view of its rules, over the contributions partitions it owns. */
  | { type: 'rules', rules: RuleSummary[], partitions: number[], duplicates: number, late: number }

/** The options `tidewatch replica` takes (parsed with node:util parseArgs on the replica side). */
export const REPLICA_OPTIONS = {
  brokers: { type: 'string' },
  parked: { type: 'boolean' },
  check: { type: 'boolean' },
  // A rules workload (the file is a rule file): its name, input topic, group and start.
  name: { type: 'string' },
  topic: { type: 'string' },
  group: { type: 'string' },
  'start-from': { type: 'string' }
} as const

export interface ReplicaLaunch {
  file: string
  /** Required unless `check`. */
  brokers?: string
  /** Load everything, report `parked`, join only when told `start`. */
  parked?: boolean
  /** Load the handler, report on stdout whether it loads, and exit (no broker is contacted). */
  check?: boolean
  /** A rules workload's replica: what its rule file does not say. */
  rules?: { name: string, topic: string, group: string, startFrom: 'earliest' | 'latest' }
}

/** The node arguments that start one replica process. */
export function replicaArgv (l: ReplicaLaunch): string[] {
  const rules = l.rules === undefined ? [] : ['--name', l.rules.name, '--topic', l.rules.topic, '--group', l.rules.group, '--start-from', l.rules.startFrom]
  return ['--enable-source-maps', CLI, 'replica', path.resolve(l.file), ...(l.brokers !== undefined ? ['--brokers', l.brokers] : []), ...rules, ...(l.parked === true ? ['--parked'] : []), ...(l.check === true ? ['--check'] : [])]
}

/**
 * What a supervisor hands its replicas through the environment. Functions' Function files read
 * these (`url: ${ALERTMANAGER_URL:-…}`), so they are environment variables rather than flags;
 * the supervisor passes them explicitly instead of changing its own process.env.
 */
export interface ReplicaEnvironment {
  /** Where alertmanager outputs deliver by default: the notifier of `tidewatch up`. */
  ALERTMANAGER_URL?: string
  /** The console alerts link back to. */
  TIDEWATCH_PUBLIC_URL?: string
  /** The demo inventory service of `tidewatch up --demo`. */
  TIDEWATCH_DEMO_ENRICH_URL?: string
}
