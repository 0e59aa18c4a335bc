import fs from 'node:fs'
import path from 'node:path'
import { isMap } from 'yaml'
import { ConfigError, ConfigSource, explainIssue, type ConfigProblem } from '../../shared/config-source.js'
import { functionFileSchema, type FunctionFile } from './schema.js'
import { Secret, secretUrl } from '../../shared/secret.js'
import { importOpenFunction, isOpenFunction } from './openfunction.js'
import { layerFromBlock, type KafkaLayer } from '../../kafka/connection-settings.js'

// Re-exported for the modules that have always imported them from here (notifier, deploy, CLI).
export { ConfigError, ConfigSource, type ConfigProblem }

export type OutputConfig =
  | { name: string, type: 'alertmanager', url: Secret, headers: Record<string, Secret>, retry: RetryConfig }
  | { name: string, type: 'webhook', url: Secret, headers: Record<string, Secret>, retry: RetryConfig }
  | { name: string, type: 'slack', url: Secret, retry: RetryConfig }
  | { name: string, type: 'kafka', topic: string, retry: RetryConfig }
  | { name: string, type: 'log' }

/** How deliveries to an output are retried; timeoutMs (HTTP outputs) bounds each attempt (default 10 s). */
export interface RetryConfig { attempts: number, initialBackoffMs: number, maxBackoffMs: number, timeoutMs?: number }

/** A validated Function file: everything resolved, secrets wrapped. */
export interface FunctionConfig {
  file: string
  name: string
  input: { topic: string, consumerGroup: string, startFrom: 'earliest' | 'latest', prefilter: string[] }
  handler: { path: string, export: string }
  outputs: Map<string, OutputConfig>
  scale: FunctionFile['scale']
  env: Record<string, string>
  timeoutMs: number
  /** The file's `kafka:` block as the lowest layer of the connection settings (empty without one). */
  kafka: KafkaLayer
  /** For an imported OpenFunction file: what was not carried over. */
  notCarried: string[]
}

// ${NAME}, or ${NAME:-fallback} as in the shell.
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** Replaces ${VAR} in string values from `env`; records where secrets came from. (Also the project file's kafka: block.) */
export function substitute (value: unknown, at: (string | number)[], env: Record<string, string | undefined>, src: ConfigSource, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (_, name: string, fallback: string | undefined) => {
      // As in the shell's ${NAME:-fallback}: an empty value counts as unset.
      const v = env[name] === undefined || env[name] === '' ? fallback : env[name]
      if (v === undefined) problems.push(src.problem(at, `environment variable ${name} is not set; export it, give a default as \${${name}:-value}, or write the value in the file`))
      return v ?? ''
    })
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, [...at, i], env, src, problems))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, [...at, k], env, src, problems)]))
  }
  return value
}

/** Validates a parsed Function document into typed config; throws ConfigError listing every problem. */
export function parseFunctionConfig (file: string, text: string, processEnv: Record<string, string | undefined> = process.env): FunctionConfig {
  const src = new ConfigSource(file, text)
  const syntax = src.syntaxProblems()
  if (syntax.length > 0) throw new ConfigError(syntax)
  if (!isMap(src.doc.contents)) throw new ConfigError([src.problem([], 'expected a mapping with name, input, handler and outputs')])
  const problems: ConfigProblem[] = []
  let js = src.doc.toJS()
  let notCarried: string[] = []
  if (isOpenFunction(js)) {
    // Problems are then reported at the converted field (the OpenFunction lines differ).
    const imported = importOpenFunction(js)
    js = imported.native
    notCarried = imported.notCarried
  }
  const raw = substitute(js, [], processEnv, src, problems)
  const parsed = functionFileSchema.safeParse(raw, { reportInput: true })
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(src.problem(issue.path as (string | number)[], explainIssue(issue)))
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems)
  const f = parsed.data
  const dir = path.dirname(path.resolve(file))
  const handler = typeof f.handler === 'string' ? { path: f.handler, export: 'default' } : f.handler
  const handlerPath = path.resolve(dir, handler.path)
  if (!fs.existsSync(handlerPath)) throw new ConfigError([src.problem(['handler'], `no such file: ${handlerPath}; the path is relative to the Function file`)])
  const outputs = new Map<string, OutputConfig>()
  for (const [name, o] of Object.entries(f.outputs)) {
    const secretHeaders = (h: Record<string, string> | undefined): Record<string, Secret> =>
      Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, new Secret(v)]))
    switch (o.type) {
      case 'alertmanager': outputs.set(name, { name, type: 'alertmanager', url: secretUrl(o.url), headers: secretHeaders(o.headers), retry: o.retry }); break
      case 'webhook': outputs.set(name, { name, type: 'webhook', url: secretUrl(o.url), headers: secretHeaders(o.headers), retry: o.retry }); break
      case 'slack': outputs.set(name, { name, type: 'slack', url: secretUrl(o.url), retry: o.retry }); break
      case 'kafka': outputs.set(name, { name, type: 'kafka', topic: o.topic, retry: o.retry }); break
      case 'log': outputs.set(name, { name, type: 'log' }); break
    }
  }
  return {
    file: path.resolve(file),
    name: f.name,
    input: { topic: f.input.topic, consumerGroup: f.input.consumerGroup ?? f.name, startFrom: f.input.startFrom, prefilter: f.input.prefilter },
    handler: { path: handlerPath, export: handler.export },
    outputs,
    scale: f.scale,
    env: f.env,
    timeoutMs: f.timeoutMs,
    kafka: layerFromBlock(f.kafka, path.resolve(file)),
    notCarried
  }
}

export function loadFunctionConfig (file: string, processEnv: Record<string, string | undefined> = process.env): FunctionConfig {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, field: '', message: `cannot read the Function file: ${(err as Error).message}` }])
  }
  return parseFunctionConfig(file, text, processEnv)
}
