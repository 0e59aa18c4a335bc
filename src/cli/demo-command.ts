import { parseArgs } from 'node:util'
import { KafkaClient } from '../kafka/client.js'
import { createLogger } from '../shared/logger.js'
import { DemoTraffic } from '../demo/traffic.js'
import { CliError, untilStopSignal } from './args.js'

export const DEMO_USAGE = `Usage: tidewatch demo --brokers LIST [--topic logs]

Produces the demo's access logs to a Kafka topic (the embedded broker or any Kafka cluster):
WordPress and other pods' Apache lines in Fluent Bit's kubernetes envelope — steady browsing,
a crawler storm of 404s from demo-project, then quiet; every minute. 'tidewatch up --demo'
runs the same traffic against its own broker. Ctrl-C to stop.

Options:
  --brokers LIST   Kafka bootstrap servers, comma-separated (required)
  --topic NAME     the topic to write to (default logs)
  -h, --help       show this help`

export async function runDemoCommand (argv: string[]): Promise<number> {
  let v
  try {
    v = parseArgs({ args: argv, options: { brokers: { type: 'string' }, topic: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${DEMO_USAGE}`)
  }
  if (v.help === true) { console.log(DEMO_USAGE); return 0 }
  if (v.brokers === undefined) throw new CliError(`--brokers is required\n\n${DEMO_USAGE}`)
  const topic = v.topic ?? 'logs'
  const client = new KafkaClient({ bootstrap: v.brokers.split(','), clientId: 'tidewatch-demo' })
  const demo = new DemoTraffic({ topic, logger: createLogger('demo'), produce: async (t, values) => await client.produce(values.map(value => ({ topic: t, value }))) })
  demo.start()
  console.log(`tidewatch demo: producing access logs to '${topic}' on ${v.brokers}; Ctrl-C to stop`)
  await untilStopSignal()
  demo.stop()
  await client.close()
  console.log(`tidewatch demo: stopped after ${demo.produced} lines`)
  return 0
}
