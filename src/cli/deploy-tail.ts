// `tidewatch deploy --kubernetes --tail`: the collection agent's DaemonSet.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { FORMATS } from '../collect/index.js'
import { multilineMode } from '../collect/multiline.js'
import { kafkaAuth, resolveDeployKafka } from '../deploy/kafka-auth.js'
import { renderTailDaemonSet, TAIL_DAEMONSET_DEFAULTS as D } from '../deploy/tail-daemonset.js'
import { credentialsNote, writeRenderedFiles } from '../deploy/write-files.js'
import { layerFromEnv, type KafkaLayer } from '../kafka/connection-settings.js'
import { loadProjectFile } from '../project/project-file.js'
import { CliError, parseIntOption } from './args.js'
import { asCliError, KAFKA_FLAG_OPTIONS, kafkaFlagsHelp, kafkaLayerFromFlags } from './kafka-flags.js'

export const DEPLOY_TAIL_USAGE = `Usage: tidewatch deploy [tidewatch.yaml] --kubernetes --tail --out DIR [--brokers LIST] [options]

Renders the log collection agent (tidewatch tail) as a DaemonSet into DIR (kubectl apply -k DIR):
one pod per node reading /var/log (read-only hostPath), checkpoints on a hostPath, NODE_NAME
from the node, tolerations for every node, requests and limits. Against a cluster with TLS or
SASL, also kafka-secret.yaml, which the pods take their credentials and certificates from.
The Kafka settings come from the flags below, then the TIDEWATCH_KAFKA_* environment, then the
kafka: block of the project file if one is given (only that block of it is used here).

Options:
  --out DIR          where to write daemonset.yaml and kustomization.yaml
  --topic NAME       topic (default ${D.topic})
  --path GLOB        files to collect, repeatable (default ${D.paths.join(' ')})
  --format F         ${FORMATS.join(' | ')} (default ${D.format})
  --multiline M      none | java | python | go | RE2 regex (default ${D.multiline})
  --checkpoints DIR  host directory for checkpoints (default ${D.checkpointsHostPath})
  --metrics-port N   serve /metrics on the pod IP; the token comes from the Secret
                     <name>-metrics-token (key: token), which you create
  --name NAME        DaemonSet name (default ${D.name})
  --image IMAGE      the Tidewatch image (default tidewatch:<this version>)
  --namespace NS     metadata.namespace
  -h, --help         show this help

Kafka, as the pods reach it (the brokers are required, from one of the three places):
${kafkaFlagsHelp(35)}`

export async function runDeployTail (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kubernetes: { type: 'boolean' },
        tail: { type: 'boolean' },
        out: { type: 'string' },
        ...KAFKA_FLAG_OPTIONS,
        topic: { type: 'string' },
        path: { type: 'string', multiple: true },
        format: { type: 'string' },
        multiline: { type: 'string' },
        checkpoints: { type: 'string' },
        'metrics-port': { type: 'string' },
        name: { type: 'string' },
        image: { type: 'string' },
        namespace: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${DEPLOY_TAIL_USAGE}`)
  }
  const v = parsed.values
  if (v.help === true) { console.log(DEPLOY_TAIL_USAGE); return 0 }
  if (parsed.positionals.length > 1) throw new CliError(`expected at most one project file\n\n${DEPLOY_TAIL_USAGE}`)
  if (v.kubernetes !== true) throw new CliError(`choose where to deploy: --kubernetes\n\n${DEPLOY_TAIL_USAGE}`)
  if (v.out === undefined || v.out === '') throw new CliError(`--out DIR is required\n\n${DEPLOY_TAIL_USAGE}`)
  const name = v.name ?? D.name
  if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) throw new CliError(`--name expects a Kubernetes name (lower-case letters, digits, dashes), got '${name}'`)
  const layers: KafkaLayer[] = []
  let kafka
  try {
    layers.push(kafkaLayerFromFlags(v), layerFromEnv(process.env))
    const project = parsed.positionals[0]
    if (project !== undefined) layers.push(loadProjectFile(project).kafka)
    const settings = resolveDeployKafka(layers)
    kafka = { settings, auth: kafkaAuth(settings, { name, namespace: v.namespace }) }
  } catch (err) {
    throw asCliError(err)
  }
  const format = v.format ?? D.format
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`)
  const multiline = v.multiline ?? D.multiline
  try { multilineMode(multiline) } catch (err) { throw new CliError(`--multiline: ${(err as Error).message}`) }
  const warn = (m: string): void => console.error(`tidewatch: ${m}`)
  for (const w of kafka.auth.warnings) warn(w)
  const files = renderTailDaemonSet({
    name,
    image: v.image ?? defaultImage(),
    brokers: kafka.settings.brokers.join(','),
    kafka: kafka.auth,
    topic: v.topic ?? D.topic,
    namespace: v.namespace,
    paths: v.path ?? D.paths,
    format,
    multiline,
    metricsPort: parseIntOption('--metrics-port', v['metrics-port'], { min: 1, max: 65535 }),
    checkpointsHostPath: v.checkpoints ?? D.checkpointsHostPath
  })
  for (const written of writeRenderedFiles(v.out, files)) console.log(written)
  warn(`note: the agents connect to ${kafka.auth.description} (brokers from ${kafka.settings.from.brokers ?? 'the file'})`)
  const note = credentialsNote(files)
  if (note !== null) warn(note)
  console.log(`apply with: kubectl apply -k ${v.out}`)
  return 0
}

function defaultImage (): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const pkg = JSON.parse(fs.readFileSync(path.resolve(here, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
  return `tidewatch:${pkg.version}`
}
