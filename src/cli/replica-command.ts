import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { Replica } from '../functions/replica.js'
import { KafkaClient } from '../kafka/client.js'
import { createLogger } from '../shared/logger.js'
import { CliError } from './args.js'

/** `tidewatch replica FILE --brokers B`: one replica process, as started by `tidewatch run`. */
export async function runReplicaCommand (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { brokers: { type: 'string' } } })
  const [file] = positionals
  if (file === undefined || values.brokers === undefined) throw new CliError('usage: tidewatch replica FUNCTION.yaml --brokers host:port')
  const config = loadFunctionConfig(file)
  const logger = createLogger(`replica:${config.name}`)
  const kafka = new KafkaClient({ bootstrap: values.brokers.split(','), clientId: `tidewatch-${config.name}` })
  const replica = new Replica({ config, kafka, logger })
  const stop = (): void => replica.stop()
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  try {
    await replica.start()
    await replica.run()
  } finally {
    await kafka.close()
  }
  // Client sockets and timers may linger after close; the replica's work is done.
  process.exit(0)
}
