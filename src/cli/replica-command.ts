import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { Replica } from '../functions/replica.js'
import { describeKafka } from '../kafka/connection-settings.js'
import { createLogger } from '../shared/logger.js'
import { CliError } from './args.js'
import { REPLICA_OPTIONS } from '../scaling/replica-ipc.js'
import { loadHandler } from '../functions/loader.js'
import { runReplicaLifecycle } from './replica-lifecycle.js'
import { KAFKA_FLAG_OPTIONS } from './kafka-flags.js'
import { commandKafkaSettings, explainingFailures, kafkaClientFor } from './kafka-connect.js'

export { STOP_DEADLINE_MS } from './replica-lifecycle.js'

/** What `tidewatch replica` parses: the supervisor's contract and the Kafka connection flags. */
export const REPLICA_COMMAND_OPTIONS = { ...REPLICA_OPTIONS, ...KAFKA_FLAG_OPTIONS } as const

/**
 * `tidewatch replica FILE --brokers B`: one replica process, as started by `tidewatch run` (or a
 * Kubernetes Deployment). Its Kafka settings: flags, then TIDEWATCH_KAFKA_* (how a supervisor
 * hands over what it resolved, secrets included), then the file's kafka: block. FILE is a Function file, or a rule file (then a replica of a rules
 * workload: rules-replica-command.ts). The lifecycle — parked spares, stop deadline, the
 * supervisor's death — is replica-lifecycle.ts, the same for both.
 */
export async function runReplicaCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: REPLICA_COMMAND_OPTIONS })
  const [file] = positionals
  if (file !== undefined && await isRuleFile(file)) return await (await import('./rules-replica-command.js')).runRulesReplica(file, values)
  if (file !== undefined && values.check === true) {
    // The supervisor's start-up check: the handler loads in a process of its own (user code
    // never runs in the supervisor), and any problem is reported before anything starts.
    await loadHandler(loadFunctionConfig(file))
    return 0
  }
  if (file === undefined) throw new CliError('usage: tidewatch replica FUNCTION.yaml [--brokers host:port] [--parked], or FUNCTION.yaml --check, or RULES.yaml [--brokers host:port] --name NAME [--topic T]')
  const config = loadFunctionConfig(file)
  const settings = commandKafkaSettings(values, config.kafka)
  const logger = createLogger(`replica:${config.name}`)
  const kafka = kafkaClientFor(settings, `tidewatch-${config.name}`)
  logger.info({ function: config.name, kafka: describeKafka(settings) }, 'replica connecting')
  const replica = new Replica({ config, kafka, logger })
  return await runReplicaLifecycle({
    who: { function: config.name },
    logger,
    // A connection TLS or SASL refused is reported as the line naming the setting to fix.
    work: explainingFailures(settings, { prepare: async () => await replica.prepare(), join: async () => await replica.join(), run: async () => await replica.run(), stop: () => replica.stop(), abort: async () => await replica.abort() }),
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
