import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadFunctionConfig, type FunctionConfig } from '../functions/config/load.js'
import { startBroker, type RunningBroker } from '../broker/broker.js'
import { AUTOSCALED_REBALANCE_DELAY_MS } from '../broker/config.js'
import { KafkaClient } from '../kafka/client.js'
import { describeKafka, plaintextSettings, type KafkaSettings } from '../kafka/connection-settings.js'
import { createLogger } from '../shared/logger.js'
import { EventLog } from '../scaling/events.js'
import { EmbeddedOffsetsSource, KafkaOffsetsSource, type OffsetsSource } from '../scaling/offsets-source.js'
import { checkHandlers, HandlerCheckError, Supervisor } from '../scaling/supervisor.js'
import type { ReplicaEnvironment } from '../scaling/replica-ipc.js'
import { ApiConfigError, startApiServer } from '../api/server.js'
import { scalingPlugin } from '../api/scaling-routes.js'
import { randomBytes } from 'node:crypto'
import { createHttpApp, headerEquals } from '../api/http-app.js'
import { Notifier, notifierPlugin, registerNotifierRoutes } from '../notifier/index.js'
import type { Logger } from '../shared/logger.js'
import { logStoreRoutes } from '../logstore/routes.js'
import { EmbeddedStore } from '../logstore/embedded-store.js'
import type { TopicStore } from '../logstore/topic-store.js'
import { consolePlugin } from '../console/routes.js'
import { loadProjectFile } from '../project/project-file.js'
import { DemoTraffic } from '../demo/traffic.js'
import { DEMO_ENRICH_LATENCY_MS, startDemoEnrichment } from '../demo/enrichment.js'
import { loadProjectNotifierConfig, printAlertsAsTheyFire } from './up-notifier.js'
import { CliError, parseIntOption, resolveApiToken, tokenOptionsHelp, untilStopSignal } from './args.js'
import { formatEvent } from './events-command.js'
import { Shutdown } from './shutdown.js'
import { checkTail, ingestPlugin, startUpTail } from './up-tail.js'
import { explainTlsStartError, loadBrokerSecurity, type SecurityNames } from './broker-security.js'
import { KAFKA_FLAG_OPTIONS, kafkaFlagsHelp } from './kafka-flags.js'
import { explainedFailure } from './kafka-connect.js'
import { connectCluster, upClusterSettings, upTopics, type ConnectedCluster } from './up-kafka.js'

const PROJECT_NAMES: SecurityNames = {
  host: 'broker.host',
  cert: 'broker.tls.cert',
  key: 'broker.tls.key',
  ca: 'broker.tls.ca',
  usersFile: 'broker.sasl.usersFile',
  mechanisms: 'broker.sasl.mechanisms',
  jwks: 'broker.sasl.oauthbearer.jwks',
  unsecured: 'broker.sasl.oauthbearer.unsecured',
  audience: 'broker.sasl.oauthbearer.audience',
  subClaim: 'broker.sasl.oauthbearer.subClaim',
  clockSkew: 'broker.sasl.oauthbearer.clockSkewSeconds'
}

function brokerSecurityNote (s: ReturnType<typeof loadBrokerSecurity>): string {
  const parts = [s.tls !== undefined ? (s.tls.ca !== undefined ? 'mutual TLS' : 'TLS') : null, s.sasl?.mechanisms !== undefined ? `SASL ${s.sasl.mechanisms.join('/')}` : null].filter(p => p !== null)
  return parts.length === 0 ? '' : `, ${parts.join(', ')}`
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const DEFAULT_PROJECT = path.join(root, 'examples', 'logs-handler', 'tidewatch.yaml')

export const UP_USAGE = `Usage: tidewatch up [--config tidewatch.yaml] [options]

Runs a whole project on this machine: the embedded Kafka-protocol broker, every function and
rules workload of the project file under the autoscaler, the notifier (Alertmanager's v2 API)
and the console, all on one HTTP port.

A Kafka cluster is used instead of the embedded broker when brokers are named (--brokers,
$TIDEWATCH_KAFKA_BROKERS, or the project file's kafka: block, with its tls: and sasl:):
replicas, the autoscaler's lag, the console's search and context, the ingest APIs, tail: and
demo traffic all use it, and missing topics are created there.

Ctrl-C stops everything cleanly: replicas stop within seconds, committing what they finished
(an unfinished batch is left uncommitted and redelivered next time).

Options:
  --config FILE       the project file (default ./tidewatch.yaml if it exists, else the
                      bundled examples/logs-handler project)
  --demo              also produce demo traffic: WordPress access logs with bursts of 404s
                      and quiet spells (set SLACK_WEBHOOK_URL to get the alerts in Slack)
  --port N            console + API port (default 8080; 0 picks a free port)
  --host ADDR         console + API address (default 127.0.0.1; any other needs a token)
${tokenOptionsHelp(22)}; required off 127.0.0.1
  --broker-port N     embedded broker port (default 9092; 0 picks a free port; not with a cluster)
  --data-dir DIR      state: DIR/broker, DIR/notifier, DIR/events.jsonl (default .tidewatch,
                      or $TIDEWATCH_DATA_DIR)
  -h, --help          show this help

Kafka connection (flags over $TIDEWATCH_KAFKA_* over the project file's kafka: block):
${kafkaFlagsHelp(34)}

It prints scaling events and alerts as they happen; logs (JSON on stderr) show warnings and
errors only, unless TIDEWATCH_LOG_LEVEL says otherwise (e.g. info).`

export async function runUpCommand (argv: string[]): Promise<number> {
  let v
  try {
    v = parseArgs({
      args: argv,
      options: {
        ...KAFKA_FLAG_OPTIONS,
        config: { type: 'string' },
        demo: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'broker-port': { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${UP_USAGE}`)
  }
  if (v.help === true) { console.log(UP_USAGE); return 0 }
  const port = parseIntOption('--port', v.port, { min: 0, max: 65535 }) ?? 8080
  const brokerPort = parseIntOption('--broker-port', v['broker-port'], { min: 0, max: 65535 }) ?? 9092
  const dataDir = path.resolve(v['data-dir'] ?? process.env.TIDEWATCH_DATA_DIR ?? '.tidewatch')
  const projectFile = v.config ?? (fs.existsSync('tidewatch.yaml') ? 'tidewatch.yaml' : DEFAULT_PROJECT)

  // Every file is checked before anything starts, so a typo costs one run, not a half-started stack.
  // The terminal shows the story (addresses, scaling, alerts); logs are for when something is
  // wrong. Replicas inherit the level. TIDEWATCH_LOG_LEVEL=info shows everything.
  process.env.TIDEWATCH_LOG_LEVEL ??= 'warn'
  const project = loadProjectFile(projectFile)
  // A cluster when any layer names brokers; the embedded broker otherwise.
  const clusterSettings = upClusterSettings(v, project)
  const functions: FunctionConfig[] = project.functions.map(f => loadFunctionConfig(f))
  for (const f of functions) {
    for (const note of f.notCarried) console.error(`tidewatch: note: ${f.name}: ${note}`)
  }
  // Rules workloads: their rule files were loaded and checked with the project file.
  const rulesWorkloads = project.rules
  for (const r of rulesWorkloads) if (functions.some(f => f.name === r.name)) throw new CliError(`${project.file}: the rules workload '${r.name}' has the name of a function; give its rules: entry a name: of its own`)
  // Each handler loads once, in a process of its own: a handler that cannot load stops `up` here.
  await checkHandlers(functions).catch(err => { throw err instanceof HandlerCheckError ? new CliError(err.message) : err })
  const notifierConfig = loadProjectNotifierConfig(project.notifier, process.env.SLACK_WEBHOOK_URL)
  checkTail(project)
  const logger = createLogger('up')
  const token = resolveApiToken(v)

  const pb = project.broker
  const security = loadBrokerSecurity({ host: pb.host, cert: pb.tls?.cert, key: pb.tls?.key, ca: pb.tls?.ca, usersFile: pb.sasl?.usersFile, mechanisms: pb.sasl?.mechanisms, oauthbearer: pb.sasl?.oauthbearer }, PROJECT_NAMES)
  let broker: RunningBroker | null = null
  let cluster: ConnectedCluster | null = null
  if (clusterSettings !== null) {
    const inputs = [...functions.map(f => f.input.topic), ...rulesWorkloads.map(r => r.input.topic)]
    cluster = await connectCluster(clusterSettings, upTopics(project, inputs, v.demo === true))
  } else {
    // With TLS or SASL on the broker's port (for shippers elsewhere), this run's own replicas,
    // demo traffic and tail use a plaintext listener on loopback with a credential of this run.
    broker = await startBroker({
      dataDir: path.join(dataDir, 'broker'),
      host: pb.host,
      advertisedHost: pb.advertisedHost,
      port: brokerPort,
      defaultPartitions: pb.partitions,
      initialRebalanceDelayMs: AUTOSCALED_REBALANCE_DELAY_MS,
      ...security,
      internalListener: true,
      logger: createLogger('broker')
    }).catch(err => { throw security.tls !== undefined ? explainTlsStartError(err, PROJECT_NAMES) : err })
  }
  const shutdown = new Shutdown(logger)
  shutdown.add('broker', async () => await broker?.close())
  shutdown.add('Kafka clients', async () => await cluster?.close())
  try {
    const notifier = await Notifier.start({ config: notifierConfig, dataDir: path.join(dataDir, 'notifier'), logger: createLogger('notifier') })
    shutdown.add('notifier', async () => await notifier.close())
    // What replicas are handed (filled in as the parts they point at start; a variable the user
    // set in the environment wins).
    const replicaEnv: ReplicaEnvironment = {}
    if (v.demo === true) {
      // Replicas started from now on call it for every 404 they match (examples/logs-handler).
      const enrichment = await startDemoEnrichment()
      shutdown.add('demo inventory service', enrichment.close)
      replicaEnv.TIDEWATCH_DEMO_ENRICH_URL = enrichment.url
    }
    const events = new EventLog({ file: path.join(dataDir, 'events.jsonl') })
    // What this run's own processes (replicas, demo traffic, tail) connect with, where the lag
    // comes from, and where the console's search and the ingest APIs read and write.
    const ownKafka = cluster !== null ? cluster.settings : internalKafkaSettings(broker!)
    const source: OffsetsSource = cluster !== null ? new KafkaOffsetsSource(cluster.kafka) : new EmbeddedOffsetsSource(broker!.core)
    const store: TopicStore = cluster !== null ? cluster.store : new EmbeddedStore(broker!.core)
    const supervisor = new Supervisor({ kafka: ownKafka, source, events, logger, env: replicaEnv })
    for (const f of functions) supervisor.add(f)
    for (const r of rulesWorkloads) supervisor.addRules(r)
    const api = await startApiServer({
      host: v.host ?? '127.0.0.1',
      port,
      token,
      logger,
      plugins: [
        scalingPlugin({ functions: () => supervisor.functions(), events }),
        notifierPlugin(notifier),
        async app => { await app.register(logStoreRoutes, { store }) },
        ingestPlugin(store, project.ingest, token),
        consolePlugin({ notifier })
      ]
    }).catch(err => {
      if (err instanceof ApiConfigError) throw new CliError(err.message)
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} is in use: pick another with --port (0 picks a free one)`)
      throw err
    })
    shutdown.add('API server', async () => await api.close())
    notifier.externalURL = api.url
    // Replicas inherit these: the functions' alertmanager output reaches this notifier (unless the
    // user points it elsewhere), and alerts link to the record in this console. Behind a token,
    // replicas post alerts to a loopback-only listener with a credential of its own, made for this
    // run and handed to them in the URL (sent as an Authorization header, never printed), so the
    // API token does not go into their environment and no local process gets in without either.
    const alertsUrl = token === null ? api.url : await startLoopbackAlerts(notifier, logger, shutdown)
    replicaEnv.ALERTMANAGER_URL = alertsUrl
    replicaEnv.TIDEWATCH_PUBLIC_URL = api.url

    const stopped = untilStopSignal()
    shutdown.add('replicas', async () => await supervisor.stop())
    try {
      await Promise.race([supervisor.start(), stopped])
    } catch (err) {
      // TLS or SASL refused after all (credentials revoked since the check): one line, and stop.
      const explained = clusterSettings !== null ? explainedFailure(clusterSettings, err) : err
      throw explained !== err ? new CliError((explained as Error).message) : err
    }

    let demo: DemoTraffic | null = null
    if (v.demo === true) {
      const client = new KafkaClient({ settings: ownKafka, clientId: 'tidewatch-demo' })
      demo = new DemoTraffic({ topic: project.demo.topic, logger: createLogger('demo'), produce: async (topic, values) => await client.produce(values.map(value => ({ topic, value }))) })
      shutdown.add('demo traffic', async () => { demo?.stop(); await client.close() })
      demo.start()
    }
    const tailing = startUpTail(project, ownKafka, dataDir, shutdown)
    const stopPrinting = printAlertsAsTheyFire(notifier, line => console.log(line))
    const stopEvents = events.subscribe(e => console.log(formatEvent(e)))
    shutdown.add('printing', () => { stopPrinting(); stopEvents() })

    const shown = path.relative(process.cwd(), project.file)
    console.log(`tidewatch up: ${shown.startsWith('..') ? project.file : shown}
  console    ${api.url}/
  functions  ${functions.length === 0 ? 'none' : functions.map(f => `${f.name} (${f.scale.minReplicas}-${f.scale.maxReplicas} replicas, reading ${f.input.topic})`).join(', ')}${rulesWorkloads.length > 0 ? `
  rules      ${rulesWorkloads.map(r => `${r.name} (${r.ruleCount} rule${r.ruleCount === 1 ? '' : 's'}, ${r.scale.minReplicas}-${r.scale.maxReplicas} replicas, reading ${r.input.topic})`).join(', ')}` : ''}
  alerts     ${api.url}/api/v2/alerts (Alertmanager v2 API)${process.env.SLACK_WEBHOOK_URL !== undefined && process.env.SLACK_WEBHOOK_URL !== '' ? ', and to Slack' : ''}
  broker     ${broker !== null ? `${broker.bootstrap} (embedded${brokerSecurityNote(security)})` : `${describeKafka(clusterSettings!)} (external: no embedded broker)`}
  ingest     ${api.url}/_bulk (Elasticsearch), ${api.url}/loki/api/v1/push, ${api.url}/v1/logs → '${project.ingest.topic}'${tailing !== null ? `\n  tail       ${tailing}` : ''}${demo !== null ? `\n  demo       access logs to '${project.demo.topic}': browsing, a crawler storm of 404s, quiet; every minute\n             each 404 costs an owner lookup of ~${DEMO_ENRICH_LATENCY_MS} ms (ENRICH_URL), so a storm needs several replicas` : ''}
Ctrl-C to stop.`)
    await stopped
    console.log('tidewatch up: stopping (replicas commit what they finished; the rest is redelivered next time)')
  } finally {
    await shutdown.run()
  }
  return 0
}

/**
 * The notifier's API on 127.0.0.1, for this machine's replicas when the main port needs a
 * token. Every request must carry this run's credential (Basic, user `replica`); the returned
 * URL carries it, so an output pointed at it authenticates without any configuration.
 */
async function startLoopbackAlerts (notifier: Notifier, logger: Logger, shutdown: Shutdown): Promise<string> {
  const secret = randomBytes(24).toString('base64url')
  const expected = `Basic ${Buffer.from(`replica:${secret}`).toString('base64')}`
  const app = createHttpApp({ logger: logger.child({ part: 'replica-alerts' }), authorize: h => headerEquals(h, expected) })
  await registerNotifierRoutes(app, notifier, { managementRoutes: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  shutdown.add('replicas\' alert listener', async () => await app.close())
  const address = app.server.address()
  return `http://replica:${secret}@127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}

/** How this run's own processes reach its broker: the loopback listener with the run's credential, or the plain port. */
function internalKafkaSettings (broker: RunningBroker): KafkaSettings {
  const c = broker.internalCredential
  const settings = plaintextSettings([broker.internalBootstrap])
  return c === null ? settings : { ...settings, sasl: { mechanism: c.mechanism, username: c.username, password: c.password } }
}
