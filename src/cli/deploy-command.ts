import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { deployKubernetes } from '../deploy/deploy-kubernetes.js'
import { layerFromEnv, type KafkaLayer } from '../kafka/connection-settings.js'
import { CliError } from './args.js'
import { deployRulesIfRules } from './deploy-rules-command.js'
import { asCliError, KAFKA_FLAG_OPTIONS, kafkaFlagsHelp, kafkaLayerFromFlags, type KafkaFlagValues } from './kafka-flags.js'

export const DEPLOY_USAGE = `Usage: tidewatch deploy FUNCTION.yaml --kubernetes --out DIR [--brokers LIST] [options]
       tidewatch deploy RULES.yaml --kubernetes --out DIR [--brokers LIST] --alertmanager URL [--name N] [--topic T]
       tidewatch deploy tidewatch.yaml --kubernetes --out DIR [--brokers LIST] --alertmanager URL

Renders a function for Kubernetes + KEDA into DIR (apply with kubectl apply -k DIR):
configmap.yaml (the Function file and the handler bundled into one module), secret.yaml (output
URLs and headers), deployment.yaml (replica pods), scaledobject.yaml (KEDA scaling on consumer
lag), kustomization.yaml, and the Dockerfile of the image the pods run. \${VAR} references in
the Function file are resolved now, from this shell's environment.

Against a cluster with TLS or SASL, also kafka-secret.yaml (credentials and certificates, for
the pods and for KEDA) and triggerauthentication.yaml (KEDA's TriggerAuthentication, which the
ScaledObject references). The connection settings come from the flags below, then the
TIDEWATCH_KAFKA_* environment, then the file's kafka: block (docs/kubernetes.md).

Options:
  --kubernetes       render Kubernetes manifests (the only target so far)
  --out DIR          where to write the files (created if missing)
  --image IMAGE      the Tidewatch image (default tidewatch:<this version>)
  --namespace NS     set metadata.namespace on every object (default: kubectl's namespace)
  -h, --help         show this help

Kafka, as the pods reach it (the brokers are required, from one of the three places):
${kafkaFlagsHelp(35)}

A rule file renders a rules workload the same way (ConfigMap with the rule file, Secret with
--alertmanager and --public-url, Deployment, ScaledObject), named --name (default: the file's
name), reading --topic (default logs), with the default scale: block. A project file renders each
of its rules: entries, with its scale: block, into DIR/<name>/.

Rules options:
  --alertmanager URL  where the pods post alerts (Alertmanager's API); required for rules
  --public-url URL    the console alerts link to (TIDEWATCH_PUBLIC_URL in the pods)
  --name NAME         a rule file's workload name
  --topic TOPIC       a rule file's input topic (default logs)

tidewatch deploy --kubernetes --tail renders the log collection agent as a DaemonSet instead
(tidewatch deploy --tail --help).`

const here = path.dirname(fileURLToPath(import.meta.url))

function defaultImage (): string {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(here, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
  return `tidewatch:${pkg.version}`
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** The command line's and the environment's layers of the Kafka settings, highest first. */
export function deployKafkaLayers (v: KafkaFlagValues): KafkaLayer[] {
  try {
    return [kafkaLayerFromFlags(v), layerFromEnv(process.env)]
  } catch (err) {
    throw asCliError(err)
  }
}

/** `tidewatch deploy FUNCTION.yaml --kubernetes --out DIR --brokers LIST`. */
export async function runDeployCommand (argv: string[]): Promise<number> {
  if (argv.includes('--tail')) return await (await import('./deploy-tail.js')).runDeployTail(argv)
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kubernetes: { type: 'boolean' },
        out: { type: 'string' },
        ...KAFKA_FLAG_OPTIONS,
        image: { type: 'string' },
        namespace: { type: 'string' },
        alertmanager: { type: 'string' },
        'public-url': { type: 'string' },
        name: { type: 'string' },
        topic: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${DEPLOY_USAGE}`)
  }
  const v = parsed.values
  if (v.help === true) { console.log(DEPLOY_USAGE); return 0 }
  const [file, ...extra] = parsed.positionals
  if (file === undefined || extra.length > 0) throw new CliError(`expected one Function file\n\n${DEPLOY_USAGE}`)
  if (v.kubernetes !== true) throw new CliError(`choose where to deploy: --kubernetes (the only target so far)\n\n${DEPLOY_USAGE}`)
  if (v.out === undefined || v.out === '') throw new CliError(`--out DIR is required: the directory to write the manifests to\n\n${DEPLOY_USAGE}`)
  const kafka = deployKafkaLayers(v)
  const image = v.image ?? defaultImage()
  if (image === '' || /\s/.test(image)) throw new CliError(`--image expects an image reference such as registry.example.com/tidewatch:0.1.0, got '${image}'`)
  if (v.namespace !== undefined && !NAMESPACE.test(v.namespace)) {
    throw new CliError(`--namespace expects a Kubernetes namespace name (lower-case letters, digits and dashes), got '${v.namespace}'`)
  }

  const rules = await deployRulesIfRules(file, v, { kafka, image, namespace: v.namespace, out: v.out })
  if (rules !== null) {
    for (const written of rules) console.log(written)
    console.log(`apply with: kubectl apply -k ${v.out}${rules.some(w => path.dirname(w) !== path.resolve(v.out!)) ? '/<name>' : ''}   (the cluster needs KEDA, and the pods the image ${image})`)
    return 0
  }
  const result = await deployKubernetes({
    file,
    outDir: v.out,
    kafka,
    image,
    namespace: v.namespace,
    warn: message => console.error(`tidewatch: ${message}`)
  }).catch(err => { throw asCliError(err) })
  // File names only: secret values stay in secret.yaml.
  for (const written of result.written) console.log(written)
  console.log(`apply with: kubectl apply -k ${v.out}   (the cluster needs KEDA, and the pods the image ${image})`)
  return 0
}
