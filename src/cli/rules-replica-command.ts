// `tidewatch replica RULES.yaml --brokers B --name NAME [--topic T] [--group G] [--start-from S]`:
// one replica of a rules workload (both stages: src/rules/runtime), supervised exactly like a
// function's replica (replica-lifecycle.ts). Alerts go where a function's alertmanager output
// sends them by default: $ALERTMANAGER_URL (tidewatch up sets it to its notifier), linking to
// the console at $TIDEWATCH_PUBLIC_URL.
import { createOutput } from '../functions/outputs/index.js'
import { describeKafka } from '../kafka/connection-settings.js'
import { loadRuleFile } from '../rules/file.js'
import { RulesReplica } from '../rules/runtime/index.js'
import { createLogger } from '../shared/logger.js'
import { secretUrl } from '../shared/secret.js'
import { CliError } from './args.js'
import { runReplicaLifecycle } from './replica-lifecycle.js'
import type { KafkaFlagValues } from './kafka-flags.js'
import { commandKafkaSettings, explainingFailures, kafkaClientFor } from './kafka-connect.js'

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
export const DEFAULT_ALERTMANAGER_URL = 'http://127.0.0.1:9093'

export interface RulesReplicaFlags extends KafkaFlagValues { parked?: boolean, check?: boolean, name?: string, topic?: string, group?: string, 'start-from'?: string }

export async function runRulesReplica (file: string, values: RulesReplicaFlags): Promise<number> {
  const rules = loadRuleFile(file)
  if (values.check === true) return 0
  if (values.name === undefined) throw new CliError('usage: tidewatch replica RULES.yaml [--brokers host:port] --name NAME [--topic logs] [--group NAME] [--start-from latest|earliest] [--parked]')
  if (!NAME.test(values.name)) throw new CliError(`--name '${values.name}': use 1-63 lower-case letters, digits and dashes (it names the workload's group and internal topics)`)
  const startFrom = values['start-from'] ?? 'latest'
  if (startFrom !== 'latest' && startFrom !== 'earliest') throw new CliError(`--start-from expects latest or earliest, got '${startFrom}'`)
  const name = values.name
  // A rule file has no kafka: block: flags, then TIDEWATCH_KAFKA_* (from the supervisor).
  const settings = commandKafkaSettings(values, null)
  const logger = createLogger(`replica:${name}`)
  const kafka = kafkaClientFor(settings, `tidewatch-${name}`)
  logger.info({ workload: name, kafka: describeKafka(settings) }, 'replica connecting')
  // The same delivery as a function's alertmanager output (URL credentials sent as Authorization, never logged).
  const url = process.env.ALERTMANAGER_URL === undefined || process.env.ALERTMANAGER_URL === '' ? DEFAULT_ALERTMANAGER_URL : process.env.ALERTMANAGER_URL
  const output = createOutput({ name: 'alertmanager', type: 'alertmanager', url: secretUrl(url), headers: {}, retry: { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 10_000 } }, { kafka, write: () => {} })
  const publicUrl = process.env.TIDEWATCH_PUBLIC_URL === '' ? undefined : process.env.TIDEWATCH_PUBLIC_URL
  const replica = new RulesReplica({
    config: { name, topic: values.topic ?? 'logs', consumerGroup: values.group ?? name, startFrom },
    rules: rules.rules,
    kafka,
    logger,
    deliver: async alerts => await output.deliver(alerts),
    publicUrl
  })
  return await runReplicaLifecycle({
    who: { workload: name },
    logger,
    // A connection TLS or SASL refused is reported as the line naming the setting to fix.
    work: explainingFailures(settings, { prepare: async () => await replica.prepare(), join: async () => await replica.join(), run: async () => await replica.run(), stop: () => replica.stop(), abort: async () => await replica.abort() }),
    parked: values.parked === true,
    report: () => {
      const s = replica.stats
      return [
        { type: 'stats', records: s.records, handlerErrors: 0, deadLetters: 0, sends: s.alertsSent, undecodableBatches: s.undecodableBatches, lastError: s.lastError },
        { type: 'rules', rules: replica.summary(), partitions: s.partitions, duplicates: s.duplicates, late: s.late }
      ]
    },
    close: async () => await kafka.close()
  })
}
