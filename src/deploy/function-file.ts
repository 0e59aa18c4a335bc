// The Function file as it travels to the cluster. Output URLs and header values are credentials
// (a Slack webhook URL is its own token), so the ConfigMap copy names environment variables
// instead, and their values go to a Secret. The replica's loader substitutes `${VAR}` when it
// reads the file, so nothing on the replica side needs to know about Kubernetes.
// The `kafka:` block is not carried at all: its paths are this machine's and its password is a
// secret; the pods get the same settings as TIDEWATCH_KAFKA_* variables and mounted files from
// the Kafka Secret (kafka-auth.ts), which the replica reads as its environment layer.
import type { FunctionConfig, OutputConfig } from '../functions/config/load.js'
import type { Secret } from '../shared/secret.js'

/** Environment variable names carrying secret values: TIDEWATCH_SECRET_1, TIDEWATCH_SECRET_2, … */
export const SECRET_ENV_PREFIX = 'TIDEWATCH_SECRET_'

/** The Function file document (plain data, every default spelled out) that the replica will load. */
export interface ClusterFunctionFile {
  name: string
  input: { topic: string, consumerGroup: string, startFrom: 'earliest' | 'latest', prefilter: string[] }
  handler: string | { path: string, export: string }
  outputs: Record<string, Record<string, unknown>>
  scale: FunctionConfig['scale']
  env: Record<string, string>
  timeoutMs: number
}

export interface ClusterFunction {
  document: ClusterFunctionFile
  /** Environment variable name → secret value, for the Secret's stringData. */
  secrets: Record<string, string>
}

// The loader's reference syntax: ${NAME} or ${NAME:-fallback}.
const ENV_REF = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/

/**
 * Rewrites a loaded Function for the cluster: the handler is the bundled `handlerFile`, and every
 * secret is replaced by a `${TIDEWATCH_SECRET_<N>}` reference (numbered in output order, so the
 * same file renders the same manifests).
 */
export function clusterFunctionFile (config: FunctionConfig, handlerFile = './handler.mjs'): ClusterFunction {
  const secrets: Record<string, string> = {}
  const reference = (secret: Secret): string => {
    const value = secret.reveal()
    // An empty header value hides nothing, and the loader would treat an empty variable as unset.
    if (value === '') return ''
    const name = `${SECRET_ENV_PREFIX}${Object.keys(secrets).length + 1}`
    secrets[name] = value
    return `\${${name}}`
  }
  const outputs: ClusterFunctionFile['outputs'] = {}
  for (const [name, output] of config.outputs) outputs[name] = outputDocument(output, reference)
  const document: ClusterFunctionFile = {
    name: config.name,
    // The consumer group is written out: the ScaledObject measures the lag of this exact group.
    input: { ...config.input, prefilter: [...config.input.prefilter] },
    handler: config.handler.export === 'default' ? handlerFile : { path: handlerFile, export: config.handler.export },
    outputs,
    scale: { ...config.scale },
    env: { ...config.env },
    timeoutMs: config.timeoutMs
  }
  return { document, secrets }
}

function outputDocument (output: OutputConfig, reference: (s: Secret) => string): Record<string, unknown> {
  const headers = (h: Record<string, Secret>): Record<string, string> =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k, reference(v)]))
  switch (output.type) {
    case 'alertmanager':
    case 'webhook': {
      const doc: Record<string, unknown> = { type: output.type, url: reference(output.url) }
      if (Object.keys(output.headers).length > 0) doc.headers = headers(output.headers)
      return { ...doc, retry: { ...output.retry } }
    }
    case 'slack': return { type: 'slack', url: reference(output.url), retry: { ...output.retry } }
    case 'kafka': return { type: 'kafka', topic: output.topic, retry: { ...output.retry } }
    case 'log': return { type: 'log' }
  }
}

/**
 * Fields of the rewritten file (other than the secret references) that contain `${…}`: the
 * loader in the replica would substitute them a second time. Only possible when a deploy-time
 * environment variable's value itself contains `${`; the caller refuses to deploy such a file.
 */
export function doubleSubstitutions (fn: ClusterFunction): string[][] {
  const ours = new Set(Object.keys(fn.secrets).map(name => `\${${name}}`))
  const found: string[][] = []
  const visit = (value: unknown, at: string[]): void => {
    if (typeof value === 'string') {
      if (!ours.has(value) && ENV_REF.test(value)) found.push(at)
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...at, String(i)]))
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, [...at, k])
    }
  }
  visit(fn.document, [])
  return found
}

/**
 * Outputs whose URL points at the loopback interface. Locally that is this machine; inside a pod
 * it is the pod itself, so such a URL (e.g. the example's default http://127.0.0.1:9093) cannot
 * reach the intended service once deployed.
 */
export function loopbackOutputs (config: FunctionConfig): string[] {
  const names: string[] = []
  for (const [name, output] of config.outputs) {
    if (!('url' in output)) continue
    let host: string
    try { host = new URL(output.url.reveal()).hostname } catch { continue }
    if (host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '[::1]') names.push(name)
  }
  return names
}
