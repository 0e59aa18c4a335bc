// The rules half of `tidewatch deploy` (see DEPLOY_USAGE): a rule file, or a project file's
// rules: entries, rendered as rules workloads.
import fs from 'node:fs'
import path from 'node:path'
import { scaleSchema } from '../functions/config/schema.js'
import { deployRulesKubernetes } from '../deploy/deploy-rules.js'
import { kafkaAuth, resolveDeployKafka } from '../deploy/kafka-auth.js'
import type { KafkaLayer, KafkaSettings } from '../kafka/connection-settings.js'
import { loadProjectFile } from '../project/project-file.js'
import { workloadNameOf } from '../project/rules-entries.js'
import { CliError } from './args.js'
import { asCliError } from './kafka-flags.js'

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

interface Flags { alertmanager?: string, 'public-url'?: string, name?: string, topic?: string }
/** `kafka`: the command line's and the environment's layers of the Kafka settings, highest first. */
interface Where { kafka: KafkaLayer[], image: string, namespace?: string, out: string }

/**
 * The settings every workload of this deploy uses, checked once (an unreadable certificate,
 * OAUTHBEARER) before any directory is written; its warnings and description printed once.
 */
function settingsFor (layers: KafkaLayer[], warn: (m: string) => void): KafkaSettings {
  try {
    const settings = resolveDeployKafka(layers)
    const auth = kafkaAuth(settings, { name: 'check' })
    for (const w of auth.warnings) warn(w)
    warn(`note: the pods and KEDA connect to ${auth.description} (brokers from ${settings.from.brokers ?? 'the file'})`)
    return settings
  } catch (err) {
    throw asCliError(err)
  }
}

function printCredentialsNote (notes: Array<string | null>, warn: (m: string) => void): void {
  const note = notes.find(n => n !== null)
  if (note !== undefined && note !== null) warn(note)
}

function httpUrl (flag: string, v: string): string {
  let ok = false
  try { ok = ['http:', 'https:'].includes(new URL(v).protocol) } catch {}
  if (!ok) throw new CliError(`--${flag} expects an http:// or https:// URL`)
  return v
}

/** Renders the rules workloads FILE describes and returns the files written; null when FILE is a Function file. */
export async function deployRulesIfRules (file: string, v: Flags, where: Where): Promise<string[] | null> {
  let text = ''
  try { text = fs.readFileSync(file, 'utf8') } catch {}
  const { isRuleFileText } = await import('../rules/file.js')
  const isRules = isRuleFileText(text)
  const isProject = !isRules && /^rules\s*:/m.test(text)
  if (!isRules && !isProject) {
    for (const f of ['alertmanager', 'public-url', 'name', 'topic'] as const) if (v[f] !== undefined) throw new CliError(`--${f} is for rule files and project files; ${file} is a Function file`)
    return null
  }
  if (v.alertmanager === undefined) throw new CliError('--alertmanager URL is required for rules: where the pods post their alerts (e.g. http://alertmanager-operated.monitoring:9093)')
  const alertmanagerUrl = httpUrl('alertmanager', v.alertmanager)
  const publicUrl = v['public-url'] === undefined ? undefined : httpUrl('public-url', v['public-url'])
  const warn = (m: string): void => console.error(`tidewatch: ${m}`)
  const target = (name: string): { name: string, namespace?: string, image: string } => ({ name, namespace: where.namespace, image: where.image })
  if (isRules) {
    const name = v.name ?? workloadNameOf(file)
    if (!NAME.test(name)) throw new CliError(`--name '${name}': use 1-63 lower-case letters, digits and dashes`)
    const scale = { ...scaleSchema.parse({}), minReplicas: 1 }
    // A rule file has no kafka: block: the flags and the environment say.
    const kafka = settingsFor(where.kafka, warn)
    const r = deployRulesKubernetes({ file, outDir: where.out, target: target(name), kafka, workload: { name, topic: v.topic ?? 'logs', consumerGroup: name, startFrom: 'latest', scale, alertmanagerUrl, publicUrl }, warn })
    printCredentialsNote([r.credentialsNote], warn)
    return r.written
  }
  if (v.name !== undefined || v.topic !== undefined) throw new CliError('--name and --topic are for a rule file; a project file names each rules: entry itself')
  const project = loadProjectFile(file)
  if (project.rules.length === 0) throw new CliError(`${file} lists no rules:; deploy its functions one Function file at a time`)
  if (project.functions.length > 0) warn(`note: the project's functions are not rendered here; deploy each Function file on its own (tidewatch deploy FUNCTION.yaml)`)
  const kafka = settingsFor([...where.kafka, project.kafka], warn)
  const results = project.rules.map(r => deployRulesKubernetes({
    file: r.file,
    outDir: path.join(where.out, r.name),
    target: target(r.name),
    kafka,
    workload: { name: r.name, topic: r.input.topic, consumerGroup: r.input.consumerGroup, startFrom: r.input.startFrom, scale: r.scale, alertmanagerUrl, publicUrl },
    warn
  }))
  printCredentialsNote(results.map(r => r.credentialsNote), warn)
  return results.flatMap(r => r.written)
}
