import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadFunctionConfig, type FunctionConfig } from '../functions/config/load.js'
import { rulesWorkloadOf } from './run-rules.js'
import { startBroker, type RunningBroker } from '../broker/broker.js'
import { AUTOSCALED_REBALANCE_DELAY_MS } from '../broker/config.js'
import type { KafkaClient } from '../kafka/client.js'
import { describeKafka, plaintextSettings } from '../kafka/connection-settings.js'
import { createLogger } from '../shared/logger.js'
import { EventLog } from '../scaling/events.js'
import { EmbeddedOffsetsSource, KafkaOffsetsSource } from '../scaling/offsets-source.js'
import { checkHandlers, HandlerCheckError, Supervisor } from '../scaling/supervisor.js'
import { ApiConfigError, startApiServer } from '../api/server.js'
import { scalingPlugin } from '../api/scaling-routes.js'
import { Shutdown } from './shutdown.js'
import { CliError, parseIntOption, resolveApiToken, tokenOptionsHelp, untilStopSignal } from './args.js'
import { KAFKA_FLAG_OPTIONS, kafkaFlagsHelp } from './kafka-flags.js'
import { clusterKafkaSettings, connectOrExplain, explainedFailure, kafkaClientFor, securityWithoutBrokers } from './kafka-connect.js'

export const RUN_USAGE = `Usage: tidewatch run FUNCTION.yaml [options]
       tidewatch run RULES.yaml [--name NAME] [--topic logs] [--start-from latest] [options]

Runs a function. Replicas are processes sharing the function's consumer group; by default the
autoscaler keeps as many as the lag needs (the file's scale: settings, as KEDA reads them) —
none while the topic is quiet, and one the moment a record arrives. Each replica commits a
batch only after every output accepted it; a batch no client can decode goes to the
<name>.dlq topic; a replica that crashes is restarted, and every replica stops when this
process does, however it ends.

A Kafka cluster is used when brokers are named (--brokers, $TIDEWATCH_KAFKA_BROKERS, or the
Function file's kafka: block, with its tls: and sasl:); otherwise the embedded broker starts
in this process (see --broker-port, --data-dir), plaintext on loopback.

Options:
  --replicas N        run exactly N replicas instead of autoscaling
  --port N            HTTP API port: /api/v1/functions, /api/v1/events, /metrics (default 8080;
                      0 picks a free port)
  --host ADDR         HTTP API address (default 127.0.0.1; any other needs a token)
${tokenOptionsHelp(22)}; required off 127.0.0.1
  --broker-port N     embedded broker port (default 9092)
  --partitions N      partitions of topics the embedded broker creates (default 10): the
                      most replicas that can share the work
  --no-spare          do not keep a parked replica process ready (by default one waits,
                      loaded but outside the group, so activation from zero takes
                      milliseconds instead of a process start of about a second)
  --data-dir DIR      Tidewatch state: broker data in DIR/broker, scaling events in
                      DIR/events.jsonl (default .tidewatch, or $TIDEWATCH_DATA_DIR)
  --name NAME         rule files: the workload's name (its group, its topics' prefix;
                      default: the file's name)
  --topic TOPIC       rule files: the topic the rules read (default logs); alerts go to
                      $ALERTMANAGER_URL (default http://127.0.0.1:9093)
  --start-from WHERE  rule files: where a new group starts, latest (default) or earliest
  -h, --help          show this help

Kafka connection (flags over $TIDEWATCH_KAFKA_* over the file's kafka: block):
${kafkaFlagsHelp(34)}

See also: tidewatch status, tidewatch events.`

export async function runRunCommand (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...KAFKA_FLAG_OPTIONS,
        replicas: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'broker-port': { type: 'string' },
        partitions: { type: 'string' },
        'data-dir': { type: 'string' },
        'no-spare': { type: 'boolean' },
        name: { type: 'string' },
        topic: { type: 'string' },
        'start-from': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${RUN_USAGE}`)
  }
  const v = parsed.values
  if (v.help === true) { console.log(RUN_USAGE); return 0 }
  const [file, ...extra] = parsed.positionals
  if (file === undefined || extra.length > 0) throw new CliError(`expected one Function file\n\n${RUN_USAGE}`)
  const fixed = parseIntOption('--replicas', v.replicas, { min: 0, max: 1000 })
  const apiPort = parseIntOption('--port', v.port, { min: 0, max: 65535 }) ?? 8080
  const brokerPort = parseIntOption('--broker-port', v['broker-port'], { min: 0, max: 65535 })
  const partitions = parseIntOption('--partitions', v.partitions, { min: 1, max: 10_000 })
  const dataDir = path.resolve(v['data-dir'] ?? process.env.TIDEWATCH_DATA_DIR ?? '.tidewatch')
  // Fail here, once, with a clear message, rather than in every replica.
  const rules = await rulesWorkloadOf(file, v)
  const config = rules !== null ? rules : loadFunctionConfig(file)
  if (rules === null) {
    const fn = config as FunctionConfig
    for (const note of fn.notCarried) console.error(`tidewatch: note: ${note}`)
    await checkHandlers([fn]).catch(err => { throw err instanceof HandlerCheckError ? new CliError(err.message) : err })
  }
  const logger = createLogger(`run:${config.name}`)
  const fileLayer = rules === null ? (config as FunctionConfig).kafka : null
  // A cluster when any layer names brokers; the embedded broker otherwise.
  const settings = clusterKafkaSettings(v, fileLayer)
  if (settings !== null && (brokerPort !== undefined || partitions !== undefined)) throw new CliError('--broker-port and --partitions configure the embedded broker; they cannot be used with a Kafka cluster (--brokers, $TIDEWATCH_KAFKA_BROKERS, kafka.brokers)')
  if (settings === null) {
    const ignored = securityWithoutBrokers(v, fileLayer)
    if (ignored !== null) console.error(`tidewatch: note: ${ignored} is set but no brokers are named: the embedded broker is used, plaintext on loopback`)
  }

  let broker: RunningBroker | null = null
  let kafka: KafkaClient | null = null
  if (settings === null) {
    broker = await startBroker({ dataDir: path.join(dataDir, 'broker'), port: brokerPort, defaultPartitions: partitions, initialRebalanceDelayMs: AUTOSCALED_REBALANCE_DELAY_MS, logger: createLogger('broker') })
  } else {
    kafka = kafkaClientFor(settings, `tidewatch-run-${config.name}`)
    console.log(`tidewatch run: connecting to Kafka at ${describeKafka(settings)}`)
    await connectOrExplain(kafka, settings, line => console.error(`tidewatch run: ${line}`)).catch(async err => { await kafka?.close(); throw err })
  }
  const replicaKafka = settings ?? plaintextSettings([broker!.bootstrap], null)
  const events = new EventLog({ file: path.join(dataDir, 'events.jsonl') })
  const source = broker !== null ? new EmbeddedOffsetsSource(broker.core) : new KafkaOffsetsSource(kafka!)
  const supervisor = new Supervisor({ kafka: replicaKafka, source, events, logger })
  const how2 = { fixedReplicas: fixed, spare: v['no-spare'] === true ? false : undefined }
  if (rules !== null) supervisor.addRules(rules, how2)
  else supervisor.add(config as FunctionConfig, how2)
  let api
  try {
    api = await startApiServer({ host: v.host ?? '127.0.0.1', port: apiPort, token: resolveApiToken(v), logger, plugins: [scalingPlugin({ functions: () => supervisor.functions(), events })] })
  } catch (err) {
    await broker?.close()
    await kafka?.close()
    if (err instanceof ApiConfigError) throw new CliError(err.message)
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${apiPort} is in use: pick another with --port (0 picks a free one)`)
    throw err
  }
  const shutdown = new Shutdown(logger)
  shutdown.add('broker', async () => await broker?.close())
  shutdown.add('Kafka client', async () => await kafka?.close())
  shutdown.add('API server', async () => await api.close())
  shutdown.add('replicas', async () => await supervisor.stop())
  const stopped = untilStopSignal()
  // Ready means: the input topic exists and the group's start position is recorded, so every
  // record produced from now on will be processed.
  try {
    await Promise.race([supervisor.start(), stopped])
  } catch (err) {
    // TLS or SASL refused after all (credentials revoked since the check): one line, and stop.
    await shutdown.run()
    const explained = settings !== null ? explainedFailure(settings, err) : err
    throw explained !== err ? new CliError((explained as Error).message) : err
  }
  const how = fixed === undefined ? `autoscaled, ${config.scale.minReplicas}-${config.scale.maxReplicas} replicas` : `${fixed} replica${fixed === 1 ? '' : 's'}`
  console.log(`tidewatch run: ${config.name} (${how}), reading ${config.input.topic}
  broker  ${broker !== null ? `${broker.bootstrap} (embedded)` : describeKafka(settings!)}
  API     ${api.url}   (tidewatch status --url ${api.url})`)
  await stopped
  console.log('tidewatch run: stopping (replicas leave the group; what they had not delivered stays uncommitted for next time)')
  await shutdown.run()
  // Everything is stopped; a client socket that did not close must not keep the process alive.
  setTimeout(() => process.exit(0), 1000).unref()
  return 0
}
