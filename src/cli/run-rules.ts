// `tidewatch run RULES.yaml`: a rule file run as a rules workload, its settings from flags (a
// rule file is Prometheus' format and has no room for them; a project file's rules: entry does).
import fs from 'node:fs'
import { scaleSchema } from '../functions/config/schema.js'
import { workloadNameOf } from '../project/rules-entries.js'
import type { RulesWorkloadSpec } from '../scaling/workload.js'
import { CliError } from './args.js'

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** The rules workload `file` describes, or null when it is not a rule file (a Function file). */
export async function rulesWorkloadOf (file: string, v: { name?: string, topic?: string, 'start-from'?: string }): Promise<RulesWorkloadSpec | null> {
  let text: string
  try { text = fs.readFileSync(file, 'utf8') } catch { text = '' }
  const { isRuleFileText, loadRuleFile } = await import('../rules/file.js')
  if (!isRuleFileText(text)) {
    if (v.name !== undefined || v.topic !== undefined || v['start-from'] !== undefined) throw new CliError(`--name, --topic and --start-from are for rule files; ${file} is a Function file (its name and input are in the file)`)
    return null
  }
  loadRuleFile(file)
  const name = v.name ?? workloadNameOf(file)
  if (!NAME.test(name)) throw new CliError(`--name '${name}': use 1-63 lower-case letters, digits and dashes`)
  const startFrom = v['start-from'] ?? 'latest'
  if (startFrom !== 'latest' && startFrom !== 'earliest') throw new CliError(`--start-from expects latest or earliest, got '${startFrom}'`)
  const scale = { ...scaleSchema.parse({}), minReplicas: 1 }
  return { kind: 'rules', name, file, input: { topic: v.topic ?? 'logs', consumerGroup: name, startFrom }, scale, deadLetterTopic: null }
}
