// The `rules:` entries of the project file: a rule file by path, or { file, name, topic,
// consumerGroup, startFrom, scale } — a rules workload that scales like a function. Each rule
// file is loaded and checked here, so every problem (of the project file and of every rule file)
// is reported before anything starts.
import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { k8sName, scaleSchema } from '../functions/config/schema.js'
import { loadRuleFile } from '../rules/file.js'
import { ConfigError, type ConfigProblem, type ConfigSource } from '../shared/config-source.js'

export const rulesEntrySchema = z.union([
  z.string().min(1),
  z.strictObject({
    file: z.string().min(1),
    /** The workload's name (its consumer group by default, and its internal topics' prefix); default: the file's name. */
    name: k8sName.optional(),
    topic: z.string().min(1).prefault('logs'),
    consumerGroup: z.string().min(1).optional(),
    startFrom: z.enum(['earliest', 'latest']).prefault('latest'),
    scale: scaleSchema
  })
], { error: () => "expected a rule file path ('./rules.yaml') or { file, topic, scale, … }" })

export type RulesEntry = z.infer<typeof rulesEntrySchema>

/** A rules workload as the project runs it (the shape the supervisor's RulesWorkloadSpec takes). */
export interface ProjectRules {
  kind: 'rules'
  name: string
  file: string
  input: { topic: string, consumerGroup: string, startFrom: 'earliest' | 'latest' }
  scale: z.infer<typeof scaleSchema>
  deadLetterTopic: null
  /** How many rules the file holds. */
  ruleCount: number
}

/** A Kubernetes name from a file name: `shop.rules.yaml` → `shop-rules`. */
export function workloadNameOf (file: string): string {
  const base = path.basename(file).replace(/\.(ya?ml)$/i, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '')
  return base === '' ? 'rules' : base
}

const DEFAULT_SCALE = scaleSchema.parse({})

export function resolveRulesEntries (entries: readonly RulesEntry[], raw: unknown[], src: ConfigSource, dir: string, taken: ReadonlySet<string>, problems: ConfigProblem[]): ProjectRules[] {
  const out: ProjectRules[] = []
  const names = new Set(taken)
  entries.forEach((e, i) => {
    const entry = typeof e === 'string' ? { file: e, topic: 'logs', startFrom: 'latest' as const, scale: DEFAULT_SCALE } : e
    const at = typeof e === 'string' ? ['rules', i] : ['rules', i, 'file']
    const file = path.resolve(dir, entry.file)
    if (!fs.existsSync(file)) { problems.push(src.problem(at, `no such file: ${file}; rule file paths are relative to the project file`)); return }
    let ruleCount = 0
    try {
      ruleCount = loadRuleFile(file).rules.length
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      problems.push(...err.problems)
      return
    }
    const name = 'name' in entry && entry.name !== undefined ? entry.name : workloadNameOf(file)
    if (names.has(name)) problems.push(src.problem(typeof e !== 'string' && e.name !== undefined ? ['rules', i, 'name'] : at, `the name '${name}' is taken by another function or rules workload; give this entry a name: of its own`))
    names.add(name)
    // A rules workload evaluates on a timer too (windows that empty resolve, absent_over_time
    // fires), so one replica runs even while the topic is quiet.
    const rawScale = (raw[i] as { scale?: { minReplicas?: unknown } } | undefined)?.scale
    if (rawScale?.minReplicas === 0) problems.push(src.problem(['rules', i, 'scale', 'minReplicas'], 'must be at least 1 for rules: they evaluate on a timer too (windows that empty resolve, absent_over_time fires), which needs a running replica'))
    const minReplicas = rawScale?.minReplicas === undefined ? 1 : entry.scale.minReplicas
    const scale = { ...entry.scale, minReplicas, maxReplicas: Math.max(minReplicas, entry.scale.maxReplicas) }
    out.push({ kind: 'rules', name, file, input: { topic: entry.topic, consumerGroup: 'consumerGroup' in entry && entry.consumerGroup !== undefined ? entry.consumerGroup : name, startFrom: entry.startFrom }, scale, deadLetterTopic: null, ruleCount })
  })
  return out
}
