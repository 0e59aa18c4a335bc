// `tidewatch ingest`: the ingest APIs shippers speak, alone, in front of a Kafka cluster — for a
// cluster that already runs Promtail, Vector, Fluent Bit or an OpenTelemetry Collector and only
// needs one URL to point them at, next to rules and functions that run elsewhere (`run`,
// `deploy`). The same routes, limits and store `tidewatch up` mounts on its port.
import { parseArgs } from 'node:util'
import { ApiConfigError, startApiServer } from '../api/server.js'
import { isLoopback } from '../api/http-app.js'
import { describeKafka } from '../kafka/connection-settings.js'
import { createLogger } from '../shared/logger.js'
import { ingestSchema } from '../project/tail-ingest-schema.js'
import { CliError, parseIntOption, resolveApiToken, tokenOptionsHelp, untilStopSignal } from './args.js'
import { KAFKA_FLAG_OPTIONS, kafkaFlagsHelp } from './kafka-flags.js'
import { commandKafkaSettings } from './kafka-connect.js'
import { Shutdown } from './shutdown.js'
import { connectCluster } from './up-kafka.js'
import { ingestPlugin } from './up-tail.js'

const DEFAULTS = ingestSchema.parse({})

export const INGEST_USAGE = `Usage: tidewatch ingest [options]

Serves the ingest APIs log shippers already speak, in front of a Kafka cluster, without the rest
of Tidewatch (tidewatch up serves the same on its port). Each line becomes one record in the
topic, in the envelope rules and functions read, whichever API it came through:
  POST /_bulk, /<index>/_bulk   Elasticsearch bulk (Fluent Bit es, Vector elasticsearch, Fluentd),
                                with GET /, /_cluster/health and /_cluster/state/version
  POST /loki/api/v1/push        Loki push, JSON or protobuf + snappy (Promtail, Alloy, Vector loki)
  POST /v1/logs                 OTLP/HTTP logs, JSON or protobuf (OpenTelemetry Collector, SDKs)
A record is acknowledged only after the cluster stored it (acks=all); when it cannot be stored
the request is answered 503, which every shipper retries. The topic is created if missing.

Options:
  --topic NAME          topic the records go to (default ${DEFAULTS.topic})
  --port N              port (default 8080; 0 picks a free port)
  --host ADDR           address (default 127.0.0.1; any other needs a token)
${tokenOptionsHelp(24)}; required off 127.0.0.1
                        (shippers send it as Authorization: Bearer, or as a Basic-auth password)
  --max-body-bytes N    largest request body, compressed and decompressed (default ${DEFAULTS.maxBytes})
  --max-records N       most records in one request (default ${DEFAULTS.maxRecords})
  -h, --help            show this help

Kafka connection (flags over $TIDEWATCH_KAFKA_*; brokers default to 127.0.0.1:9092):
${kafkaFlagsHelp(34)}`

export async function runIngestCommand (argv: string[]): Promise<number> {
  let v
  try {
    v = parseArgs({
      args: argv,
      options: {
        ...KAFKA_FLAG_OPTIONS,
        topic: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'max-records': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${INGEST_USAGE}`)
  }
  if (v.help === true) { console.log(INGEST_USAGE); return 0 }
  if (v.topic === '') throw new CliError('--topic: give a topic name')
  const ingest = {
    topic: v.topic ?? DEFAULTS.topic,
    maxBytes: parseIntOption('--max-body-bytes', v['max-body-bytes'], { min: 1024 }) ?? DEFAULTS.maxBytes,
    maxRecords: parseIntOption('--max-records', v['max-records'], { min: 1, max: 1_000_000 }) ?? DEFAULTS.maxRecords
  }
  const port = parseIntOption('--port', v.port, { min: 0, max: 65535 }) ?? 8080
  const host = v.host ?? '127.0.0.1'
  const token = resolveApiToken(v)
  // Before connecting anywhere: an exposed port without a token is refused at once.
  if (!isLoopback(host) && token === null) throw new CliError(`refusing to serve the ingest APIs on ${host} without a token: set TIDEWATCH_API_TOKEN (or --token / --token-file), or bind to 127.0.0.1`)
  const settings = commandKafkaSettings(v, null, ['127.0.0.1:9092'])
  process.env.TIDEWATCH_LOG_LEVEL ??= 'warn'
  const logger = createLogger('ingest')

  const cluster = await connectCluster(settings, [ingest.topic], 'ingest')
  const shutdown = new Shutdown(logger)
  shutdown.add('kafka', cluster.close)
  try {
    const api = await startApiServer({ host, port, token, logger, plugins: [ingestPlugin(cluster.store, ingest, token)] }).catch(err => {
      if (err instanceof ApiConfigError) throw new CliError(err.message)
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} is in use: pick another with --port (0 picks a free one)`)
      throw err
    })
    shutdown.add('API server', async () => await api.close())
    console.log(`tidewatch ingest: ${api.url} → topic '${ingest.topic}' at ${describeKafka(settings)}
  elasticsearch  ${api.url}/_bulk
  loki           ${api.url}/loki/api/v1/push
  otlp           ${api.url}/v1/logs
Ctrl-C to stop.`)
    await untilStopSignal()
  } finally {
    await shutdown.run()
  }
  return 0
}
