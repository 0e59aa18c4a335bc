import { parseArgs } from 'node:util'
import { describeKafka } from '../kafka/connection-settings.js'
import { createLogger } from '../shared/logger.js'
import { DemoTraffic } from '../demo/traffic.js'
import { CliError, untilStopSignal } from './args.js'
import { KAFKA_FLAG_OPTIONS, kafkaFlagsHelp } from './kafka-flags.js'
import { commandKafkaSettings, connectOrExplain, kafkaClientFor } from './kafka-connect.js'

export const DEMO_USAGE = `Usage: tidewatch demo --brokers LIST [--topic logs] [Kafka connection flags]

Produces the demo's access logs to a Kafka topic (the embedded broker or any Kafka cluster):
WordPress and other pods' Apache lines in Fluent Bit's kubernetes envelope — steady browsing,
a crawler storm of 404s from demo-project, then quiet; every minute. 'tidewatch up --demo'
runs the same traffic against its own broker. Ctrl-C to stop.

Options:
  --topic NAME     the topic to write to (default logs)
  -h, --help       show this help

Kafka connection (flags over $TIDEWATCH_KAFKA_*; brokers are required):
${kafkaFlagsHelp(34)}`

export async function runDemoCommand (argv: string[]): Promise<number> {
  let v
  try {
    v = parseArgs({ args: argv, options: { ...KAFKA_FLAG_OPTIONS, topic: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${DEMO_USAGE}`)
  }
  if (v.help === true) { console.log(DEMO_USAGE); return 0 }
  const settings = commandKafkaSettings(v, null)
  const topic = v.topic ?? 'logs'
  const client = kafkaClientFor(settings, 'tidewatch-demo')
  console.log(`tidewatch demo: connecting to Kafka at ${describeKafka(settings)}`)
  await connectOrExplain(client, settings, line => console.error(`tidewatch demo: ${line}`)).catch(async err => { await client.close(); throw err })
  const demo = new DemoTraffic({ topic, logger: createLogger('demo'), produce: async (t, values) => await client.produce(values.map(value => ({ topic: t, value }))) })
  demo.start()
  console.log(`tidewatch demo: producing access logs to '${topic}' on ${settings.brokers.join(',')}; Ctrl-C to stop`)
  await untilStopSignal()
  demo.stop()
  await client.close()
  console.log(`tidewatch demo: stopped after ${demo.produced} lines`)
  return 0
}
