// `tidewatch deploy --kubernetes --tail`: the collection agent's DaemonSet.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { FORMATS } from '../collect/index.js'
import { multilineMode } from '../collect/multiline.js'
import { renderTailDaemonSet, TAIL_DAEMONSET_DEFAULTS as D } from '../deploy/tail-daemonset.js'
import { CliError, parseIntOption } from './args.js'

export const DEPLOY_TAIL_USAGE = `Usage: tidewatch deploy --kubernetes --tail --out DIR --brokers LIST [options]

Renders the log collection agent (tidewatch tail) as a DaemonSet into DIR (kubectl apply -k DIR):
one pod per node reading /var/log (read-only hostPath), checkpoints on a hostPath, NODE_NAME
from the node, tolerations for every node, requests and limits.

Options:
  --out DIR          where to write daemonset.yaml and kustomization.yaml
  --brokers LIST     Kafka bootstrap servers as the pods reach them (required)
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
  -h, --help         show this help`

export async function runDeployTail (argv: string[]): Promise<number> {
  let v
  try {
    v = parseArgs({
      args: argv,
      options: {
        kubernetes: { type: 'boolean' },
        tail: { type: 'boolean' },
        out: { type: 'string' },
        brokers: { type: 'string' },
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
    }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${DEPLOY_TAIL_USAGE}`)
  }
  if (v.help === true) { console.log(DEPLOY_TAIL_USAGE); return 0 }
  if (v.kubernetes !== true) throw new CliError(`choose where to deploy: --kubernetes\n\n${DEPLOY_TAIL_USAGE}`)
  if (v.out === undefined || v.out === '') throw new CliError(`--out DIR is required\n\n${DEPLOY_TAIL_USAGE}`)
  if (v.brokers === undefined || !/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/.test(v.brokers)) throw new CliError(`--brokers expects host:port[,host:port…] as the pods reach them (e.g. kafka.kafka.svc:9092)\n\n${DEPLOY_TAIL_USAGE}`)
  const format = v.format ?? D.format
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`)
  const multiline = v.multiline ?? D.multiline
  try { multilineMode(multiline) } catch (err) { throw new CliError(`--multiline: ${(err as Error).message}`) }
  const name = v.name ?? D.name
  if (!/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/.test(name)) throw new CliError(`--name expects a Kubernetes name (lower-case letters, digits, dashes), got '${name}'`)
  const files = renderTailDaemonSet({
    name,
    image: v.image ?? defaultImage(),
    brokers: v.brokers,
    topic: v.topic ?? D.topic,
    namespace: v.namespace,
    paths: v.path ?? D.paths,
    format,
    multiline,
    metricsPort: parseIntOption('--metrics-port', v['metrics-port'], { min: 1, max: 65535 }),
    checkpointsHostPath: v.checkpoints ?? D.checkpointsHostPath
  })
  fs.mkdirSync(v.out, { recursive: true })
  for (const f of files) {
    fs.writeFileSync(path.join(v.out, f.name), f.text)
    console.log(path.join(v.out, f.name))
  }
  console.log(`apply with: kubectl apply -k ${v.out}`)
  return 0
}

function defaultImage (): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const pkg = JSON.parse(fs.readFileSync(path.resolve(here, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
  return `tidewatch:${pkg.version}`
}
