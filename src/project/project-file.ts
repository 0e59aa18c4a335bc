import fs from 'node:fs'
import path from 'node:path'
import { isMap } from 'yaml'
import { z } from 'zod'
import { ConfigError, ConfigSource, explainIssue, type ConfigProblem } from '../shared/config-source.js'
import { resolveRulesEntries, rulesEntrySchema, type ProjectRules } from './rules-entries.js'
import { ingestSchema, resolveTail, tailSchema, type IngestConfig, type TailConfig } from './tail-ingest-schema.js'
import { isLoopback } from '../shared/net.js'
import { SASL_MECHANISMS } from '../broker/sasl/credentials.js'
import { kafkaBlockSchema, layerFromBlock, type KafkaLayer } from '../kafka/connection-settings.js'
import { substitute } from '../functions/config/load.js'

// The project file `tidewatch up` reads: which functions and rules to run, how alerts are routed,
// and the embedded broker's and demo traffic's settings. Paths are relative to the project file.
const projectSchema = z.strictObject({
  functions: z.array(z.string().min(1)).prefault([]),
  // Rule files (rules-entries.ts); a project has rules, functions or both.
  rules: z.array(rulesEntrySchema).prefault([]),
  notifier: z.string().min(1).optional(),
  broker: z.strictObject({
    partitions: z.number().int().min(1).max(10_000).prefault(10),
    // Listening beyond loopback (for shippers on other machines) needs sasl or tls.ca.
    host: z.string().min(1).optional(),
    advertisedHost: z.string().min(1).optional(),
    tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1).optional() }).optional(),
    sasl: z.strictObject({
      usersFile: z.string().min(1).optional(),
      mechanisms: z.array(z.enum(SASL_MECHANISMS)).min(1).optional(),
      // OAUTHBEARER: as tidewatch broker's --sasl-oauthbearer-* flags.
      oauthbearer: z.strictObject({
        jwks: z.string().min(1).optional(),
        unsecured: z.boolean().optional(),
        audience: z.union([z.array(z.string().min(1)).min(1), z.string().min(1).transform(a => [a])]).optional(),
        issuer: z.string().min(1).optional(),
        subClaim: z.string().min(1).optional(),
        clockSkewSeconds: z.number().int().min(0).max(3600).optional()
      }).optional()
    }).optional()
  }).prefault({}),
  demo: z.strictObject({
    topic: z.string().min(1).prefault('logs')
  }).prefault({}),
  // Collection and ingest (tail-ingest-schema.ts).
  tail: tailSchema.optional(),
  ingest: ingestSchema.prefault({}),
  // A Kafka cluster to deploy the project's workloads against (deploy); `up` runs its own broker.
  kafka: kafkaBlockSchema.optional()
})

/** The embedded broker's settings; file paths absolute. */
export interface ProjectBroker {
  partitions: number
  host?: string
  advertisedHost?: string
  tls?: { cert: string, key: string, ca?: string }
  sasl?: {
    usersFile?: string
    mechanisms?: Array<typeof SASL_MECHANISMS[number]>
    oauthbearer?: { jwks?: string, unsecured?: boolean, audience?: string[], issuer?: string, subClaim?: string, clockSkewSeconds?: number }
  }
}

export interface ProjectConfig {
  file: string
  /** Absolute paths of the Function files. */
  functions: string[]
  /** The rules workloads, their rule files loaded and checked. */
  rules: ProjectRules[]
  /** Absolute path of the routing file (Alertmanager's shape); null: the built-in default. */
  notifier: string | null
  broker: ProjectBroker
  demo: { topic: string }
  /** Files `up` collects (null: none). */
  tail: TailConfig | null
  /** The ingest APIs' settings. */
  ingest: IngestConfig
  /** The kafka: block as the lowest layer of the connection settings (empty without one). */
  kafka: KafkaLayer
  /** Where the kafka: block is, for messages about it; null without one. */
  kafkaAt: { line: number, column: number } | null
}

/** `env`: for `${VAR}` in the kafka: block (its password, typically), as in a Function file. */
export function parseProjectFile (file: string, text: string, env: Record<string, string | undefined> = process.env): ProjectConfig {
  const src = new ConfigSource(file, text)
  const syntax = src.syntaxProblems()
  if (syntax.length > 0) throw new ConfigError(syntax)
  if (!isMap(src.doc.contents)) throw new ConfigError([src.problem([], 'expected a mapping with functions and/or rules (and optionally notifier, broker, demo)')])
  const problems: ConfigProblem[] = []
  const js = src.doc.toJS() as Record<string, unknown>
  // Only the kafka: block is substituted: elsewhere `${…}` has always been literal text.
  if (js.kafka !== undefined) js.kafka = substitute(js.kafka, ['kafka'], env, src, problems)
  const parsed = projectSchema.safeParse(js, { reportInput: true })
  if (!parsed.success) {
    // A variable that is not set is the problem at its field, not also the empty value it left.
    const unset = new Set(problems.map(p => p.field))
    throw new ConfigError([...problems, ...parsed.error.issues.map(issue => src.problem(issue.path as (string | number)[], explainIssue(issue))).filter(p => !unset.has(p.field))])
  }
  const dir = path.dirname(path.resolve(file))
  const existing = (p: string, at: (string | number)[], what: string): string => {
    const abs = path.resolve(dir, p)
    if (!fs.existsSync(abs)) problems.push(src.problem(at, `no such file: ${abs}; ${what} paths are relative to the project file`))
    return abs
  }
  const functions = parsed.data.functions.map((f, i) => existing(f, ['functions', i], 'Function file'))
  if (parsed.data.functions.length === 0 && parsed.data.rules.length === 0) problems.push(src.problem([], 'list at least one Function file (functions:) or rule file (rules:)'))
  const rawRules = (src.doc.toJS() as { rules?: unknown[] }).rules ?? []
  const rules = resolveRulesEntries(parsed.data.rules, rawRules, src, dir, new Set(), problems)
  const notifier = parsed.data.notifier === undefined ? null : existing(parsed.data.notifier, ['notifier'], 'routing file')
  const b = parsed.data.broker
  const broker: ProjectBroker = { ...b }
  if (b.tls !== undefined) {
    const at = (k: string): (string | number)[] => ['broker', 'tls', k]
    broker.tls = { cert: existing(b.tls.cert, at('cert'), 'certificate'), key: existing(b.tls.key, at('key'), 'key') }
    if (b.tls.ca !== undefined) broker.tls.ca = existing(b.tls.ca, at('ca'), 'CA')
  }
  if (b.sasl !== undefined) {
    const at = (...k: string[]): (string | number)[] => ['broker', 'sasl', ...k]
    const o = b.sasl.oauthbearer
    broker.sasl = { ...b.sasl }
    if (b.sasl.usersFile !== undefined) broker.sasl.usersFile = existing(b.sasl.usersFile, at('usersFile'), 'users file')
    if (o?.jwks !== undefined) broker.sasl.oauthbearer = { ...o, jwks: existing(o.jwks, at('oauthbearer', 'jwks'), 'key set') }
    if (b.sasl.usersFile === undefined && o === undefined) problems.push(src.problem(at(), 'say who may authenticate: usersFile (PLAIN, SCRAM), oauthbearer (tokens), or both'))
  }
  if (b.host !== undefined && !isLoopback(b.host) && b.sasl === undefined && b.tls?.ca === undefined) {
    problems.push(src.problem(['broker', 'host'], `refusing to listen on ${b.host} without authentication: anyone who can reach it could read and delete every log; add broker.sasl (best with broker.tls) or broker.tls.ca (client certificates)`))
  }
  const kafka = parsed.data.kafka
  const tls = typeof kafka?.tls === 'object' ? kafka.tls : undefined
  for (const k of ['ca', 'cert', 'key'] as const) if (tls?.[k] !== undefined) existing(tls[k], ['kafka', 'tls', k], 'certificate and key')
  if (kafka?.sasl?.token?.file !== undefined) existing(kafka.sasl.token.file, ['kafka', 'sasl', 'token', 'file'], 'token file')
  if (problems.length > 0) throw new ConfigError(problems)
  return {
    file: path.resolve(file),
    functions,
    rules,
    notifier,
    broker,
    demo: parsed.data.demo,
    tail: resolveTail(parsed.data.tail, dir),
    ingest: parsed.data.ingest,
    kafka: layerFromBlock(kafka, path.resolve(file)),
    kafkaAt: kafka === undefined ? null : src.locate(['kafka'])
  }
}

export function loadProjectFile (file: string): ProjectConfig {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, field: '', message: `cannot read the project file: ${(err as Error).message}` }])
  }
  return parseProjectFile(file, text)
}
