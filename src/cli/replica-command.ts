import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { Replica } from '../functions/replica.js'
import { KafkaClient } from '../kafka/client.js'
import { createLogger } from '../shared/logger.js'
import { CliError } from './args.js'
import { REPLICA_OPTIONS } from '../scaling/replica-ipc.js'
import { loadHandler } from '../functions/loader.js'
import { runReplicaLifecycle } from './replica-lifecycle.js'

export { STOP_DEADLINE_MS } from './replica-lifecycle.js'

/**
 * `tidewatch replica FILE --brokers B`: one replica process, as started by `tidewatch run` (or a
 * Kubernetes Deployment). FILE is a Function file, or a rule file (then a replica of a rules
 * workload: rules-replica-command.ts). The lifecycle — parked spares, stop deadline, the
 * supervisor's death — is replica-lifecycle.ts, the same for both.
 */
export async function runReplicaCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: REPLICA_OPTIONS })
  const [file] = positionals
  if (file !== undefined && await isRuleFile(file)) return await (await import('./rules-replica-command.js')).runRulesReplica(file, values)
  if (file !== undefined && values.check === true) {
    // The supervisor's start-up check: the handler loads in a process of its own (user code
    // never runs in the supervisor), and any problem is reported before anything starts.
    await loadHandler(loadFunctionConfig(file))
    return 0
  }
  if (file === undefined || values.brokers === undefined) throw new CliError('usage: tidewatch replica FUNCTION.yaml --brokers host:port [--parked], or FUNCTION.yaml --check, or RULES.yaml --brokers host:port --name NAME [--topic T]')
  const config = loadFunctionConfig(file)
  const logger = createLogger(`replica:${config.name}`)
  const kafka = new KafkaClient({ bootstrap: values.brokers.split(','), clientId: `tidewatch-${config.name}` })
  const replica = new Replica({ config, kafka, logger })
  return await runReplicaLifecycle({
    who: { function: config.name },
    logger,
    work: { prepare: async () => await replica.prepare(), join: async () => await replica.join(), run: async () => await replica.run(), stop: () => replica.stop(), abort: async () => await replica.abort() },
    parked: values.parked === true,
    report: () => {
      const s = replica.stats
      return [{ type: 'stats', records: s.records, handlerErrors: s.handlerErrors, deadLetters: s.deadLetters, sends: s.sends, undecodableBatches: s.undecodableBatches, lastError: s.lastError }]
    },
    close: async () => await kafka.close()
  })
}

// The rules engine is loaded only for rule files: a function's replica does not pay for it.
async function isRuleFile (file: string): Promise<boolean> {
  let text: string
  try { text = fs.readFileSync(file, 'utf8') } catch { return false }
  return text.includes('groups') && (await import('../rules/file.js')).isRuleFileText(text)
}
