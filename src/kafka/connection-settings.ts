/**
 * How Tidewatch reaches a Kafka cluster: bootstrap brokers, TLS and SASL. Everything that talks to
 * a cluster (replicas, `run`, `tail`, `demo`, `deploy`) is handed one `KafkaSettings`, resolved
 * once at the edge from three layers, the first that sets a field winning:
 *
 *   1. command-line flags (`--brokers`, `--kafka-tls-ca`, `--kafka-sasl-mechanism`, …),
 *   2. `TIDEWATCH_KAFKA_*` environment variables (how a supervisor hands the same settings to
 *      its replicas, and how a Kubernetes pod receives them from a Secret),
 *   3. the `kafka:` block of the Function or project file.
 *
 * Passwords and tokens are `Secret`s from the moment they are read: `describeKafka` and every
 * error name the setting, never its value. A password is never taken from a command-line flag
 * (`ps` shows it to every user): only from a file, the environment or the config file's `${VAR}`.
 */
import path from 'node:path'
import { z } from 'zod'
import { Secret } from '../shared/secret.js'

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const
export type SaslMechanism = typeof SASL_MECHANISMS[number]

export interface TlsSettings {
  /** PEM files (absolute paths); without `ca` the system's trusted CAs verify the broker. */
  ca: string | null
  cert: string | null
  key: string | null
  /** The name the broker's certificate must carry, when it differs from the host dialled. */
  servername: string | null
  /** false: accept any certificate (testing only; said so at start-up). */
  rejectUnauthorized: boolean
}

export type SaslSettings =
  | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512', username: string, password: Secret }
  /** The token is asked for at each (re)authentication: from a command's output, or a file's content. */
  | { mechanism: 'OAUTHBEARER', token: { command: string } | { file: string } }

export interface KafkaSettings {
  brokers: string[]
  clientId: string | null
  tls: TlsSettings | null
  sasl: SaslSettings | null
  /** Where each field set came from (`file: kafka.tls.ca`, an environment variable, a flag), for errors. */
  from: Partial<Record<KafkaField, string>>
}

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:/]+):\d{1,5}$/, { message: 'expected host:port, e.g. kafka-0.kafka:9093' })

/** The `kafka:` block as users write it (in a Function file or a project file). */
export const kafkaBlockSchema = z.strictObject({
  brokers: z.union([z.array(hostPort).min(1), hostPort.transform(b => [b])]).optional(),
  clientId: z.string().min(1).optional(),
  tls: z.union([
    z.boolean(),
    z.strictObject({
      ca: z.string().min(1).optional(),
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
      servername: z.string().min(1).optional(),
      rejectUnauthorized: z.boolean().optional()
    })
  ]).optional(),
  sasl: z.strictObject({
    mechanism: z.enum(SASL_MECHANISMS, { error: () => `expected one of ${SASL_MECHANISMS.join(', ')}` }),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    token: z.strictObject({ command: z.string().min(1).optional(), file: z.string().min(1).optional() }).optional()
  }).optional()
})
export type KafkaBlock = z.infer<typeof kafkaBlockSchema>

/** One layer of settings, every field optional; paths already absolute. */
export interface KafkaLayer {
  /** Where a field of this layer is set, for error messages: `file: kafka.tls.ca`, `TIDEWATCH_KAFKA_TLS_CA`, `--kafka-tls-ca`. */
  origin: (field: KafkaField) => string
  brokers?: string[]
  clientId?: string
  tls?: boolean
  ca?: string
  cert?: string
  key?: string
  servername?: string
  rejectUnauthorized?: boolean
  /** 'none': explicitly no SASL, whatever a lower layer says (how a supervisor tells its replicas). */
  mechanism?: SaslMechanism | 'none'
  username?: string
  password?: Secret
  tokenCommand?: string
  tokenFile?: string
}

export type KafkaField = 'brokers' | 'clientId' | 'tls' | 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized' | 'mechanism' | 'username' | 'password' | 'tokenCommand' | 'tokenFile'

/** Where each field sits in a file's `kafka:` block. */
const BLOCK_FIELD: Record<KafkaField, string> = {
  brokers: 'brokers', clientId: 'clientId', tls: 'tls', ca: 'tls.ca', cert: 'tls.cert', key: 'tls.key', servername: 'tls.servername', rejectUnauthorized: 'tls.rejectUnauthorized', mechanism: 'sasl.mechanism', username: 'sasl.username', password: 'sasl.password', tokenCommand: 'sasl.token.command', tokenFile: 'sasl.token.file'
}

/** A combination of settings that cannot work, naming the setting to fix. */
export class KafkaSettingsError extends Error {}

/** The `kafka:` block of a file, as a layer (relative paths resolved against the file's folder). */
export function layerFromBlock (block: KafkaBlock | undefined, file: string, at = 'kafka'): KafkaLayer {
  const dir = path.dirname(path.resolve(file))
  const abs = (p: string | undefined): string | undefined => p === undefined ? undefined : path.resolve(dir, p)
  const tls = block?.tls
  const t = typeof tls === 'object' ? tls : undefined
  return {
    origin: f => `${file}: ${at}.${BLOCK_FIELD[f]}`,
    brokers: block?.brokers,
    clientId: block?.clientId,
    tls: tls === undefined ? undefined : tls !== false,
    ca: abs(t?.ca),
    cert: abs(t?.cert),
    key: abs(t?.key),
    servername: t?.servername,
    rejectUnauthorized: t?.rejectUnauthorized,
    mechanism: block?.sasl?.mechanism,
    username: block?.sasl?.username,
    password: block?.sasl?.password === undefined ? undefined : new Secret(block.sasl.password),
    tokenCommand: block?.sasl?.token?.command,
    tokenFile: abs(block?.sasl?.token?.file)
  }
}

/** Environment variables that carry the settings, by field (documented in the README). */
export const KAFKA_ENV: Record<KafkaField, string> = {
  brokers: 'TIDEWATCH_KAFKA_BROKERS',
  clientId: 'TIDEWATCH_KAFKA_CLIENT_ID',
  tls: 'TIDEWATCH_KAFKA_TLS',
  ca: 'TIDEWATCH_KAFKA_TLS_CA',
  cert: 'TIDEWATCH_KAFKA_TLS_CERT',
  key: 'TIDEWATCH_KAFKA_TLS_KEY',
  servername: 'TIDEWATCH_KAFKA_TLS_SERVERNAME',
  rejectUnauthorized: 'TIDEWATCH_KAFKA_TLS_REJECT_UNAUTHORIZED',
  mechanism: 'TIDEWATCH_KAFKA_SASL_MECHANISM',
  username: 'TIDEWATCH_KAFKA_SASL_USERNAME',
  password: 'TIDEWATCH_KAFKA_SASL_PASSWORD',
  tokenCommand: 'TIDEWATCH_KAFKA_SASL_TOKEN_COMMAND',
  tokenFile: 'TIDEWATCH_KAFKA_SASL_TOKEN_FILE'
}

function parseBool (name: string, v: string): boolean {
  if (/^(true|1|yes)$/i.test(v)) return true
  if (/^(false|0|no)$/i.test(v)) return false
  throw new KafkaSettingsError(`${name}: expected true or false, got '${v}'`)
}

function parseMechanism (name: string, v: string): SaslMechanism | 'none' {
  if (v.toLowerCase() === 'none') return 'none'
  const m = v.toUpperCase()
  if ((SASL_MECHANISMS as readonly string[]).includes(m)) return m as SaslMechanism
  throw new KafkaSettingsError(`${name}: expected one of ${SASL_MECHANISMS.join(', ')}, got '${v}'`)
}

/** A comma-separated host:port list; errors name `name` (a variable or flag). */
export function parseBrokers (name: string, v: string): string[] {
  const list = v.split(',').map(s => s.trim()).filter(s => s !== '')
  for (const b of list) if (!hostPort.safeParse(b).success) throw new KafkaSettingsError(`${name}: '${b}' is not host:port`)
  if (list.length === 0) throw new KafkaSettingsError(`${name}: list at least one host:port`)
  return list
}

/** The TIDEWATCH_KAFKA_* variables of `env` as a layer (empty values count as unset). */
export function layerFromEnv (env: Record<string, string | undefined>): KafkaLayer {
  const get = (k: KafkaField): string | undefined => { const v = env[KAFKA_ENV[k]]; return v === undefined || v === '' ? undefined : v }
  const abs = (v: string | undefined): string | undefined => v === undefined ? undefined : path.resolve(v)
  const tls = get('tls')
  const reject = get('rejectUnauthorized')
  const mechanism = get('mechanism')
  const brokers = get('brokers')
  const password = get('password')
  return {
    origin: f => KAFKA_ENV[f],
    brokers: brokers === undefined ? undefined : parseBrokers(KAFKA_ENV.brokers, brokers),
    clientId: get('clientId'),
    tls: tls === undefined ? undefined : parseBool(KAFKA_ENV.tls, tls),
    ca: abs(get('ca')),
    cert: abs(get('cert')),
    key: abs(get('key')),
    servername: get('servername'),
    rejectUnauthorized: reject === undefined ? undefined : parseBool(KAFKA_ENV.rejectUnauthorized, reject),
    mechanism: mechanism === undefined ? undefined : parseMechanism(KAFKA_ENV.mechanism, mechanism),
    username: get('username'),
    password: password === undefined ? undefined : new Secret(password),
    tokenCommand: get('tokenCommand'),
    tokenFile: abs(get('tokenFile'))
  }
}

/** Merges layers, the first that sets a field winning, and checks the result is usable. */
export function resolveKafkaSettings (layers: KafkaLayer[], fallbackBrokers: string[] | null = null): KafkaSettings {
  const from: Partial<Record<KafkaField, string>> = {}
  const pick = <K extends KafkaField>(k: K): { value: KafkaLayer[K] | undefined, layer: KafkaLayer | undefined } => {
    const layer = layers.find(l => l[k] !== undefined)
    if (layer !== undefined) from[k] = layer.origin(k)
    return { value: layer?.[k], layer }
  }
  const brokers = pick('brokers').value ?? fallbackBrokers
  if (brokers === null || brokers.length === 0) throw new KafkaSettingsError('no Kafka brokers: give --brokers host:port, set TIDEWATCH_KAFKA_BROKERS, or write kafka.brokers in the file')
  const tlsFields = (['ca', 'cert', 'key', 'servername', 'rejectUnauthorized'] as const).map(k => pick(k))
  const tlsOn = pick('tls').value ?? tlsFields.some(f => f.value !== undefined)
  let tls: TlsSettings | null = null
  if (tlsOn) {
    const [ca, cert, key, servername, reject] = tlsFields
    if ((cert.value === undefined) !== (key.value === undefined)) {
      const [given, missing] = cert.value === undefined ? ['key', 'cert'] as const : ['cert', 'key'] as const
      const layer = (cert.value === undefined ? key : cert).layer!
      throw new KafkaSettingsError(`${layer.origin(given)}: a client certificate needs both cert and key; add ${missing}`)
    }
    tls = { ca: (ca.value as string | undefined) ?? null, cert: (cert.value as string | undefined) ?? null, key: (key.value as string | undefined) ?? null, servername: (servername.value as string | undefined) ?? null, rejectUnauthorized: (reject.value as boolean | undefined) ?? true }
  }
  let sasl: SaslSettings | null = null
  const mechanism = pick('mechanism')
  if (mechanism.value !== undefined && mechanism.value !== 'none') {
    const at = mechanism.layer!.origin
    if (mechanism.value === 'OAUTHBEARER') {
      const command = pick('tokenCommand').value
      const file = pick('tokenFile').value
      if (command === undefined && file === undefined) throw new KafkaSettingsError(`${at('tokenCommand')}: OAUTHBEARER needs a token: a command that prints it (sasl.token.command) or a file that holds it (sasl.token.file)`)
      sasl = { mechanism: 'OAUTHBEARER', token: command !== undefined ? { command } : { file: file! } }
    } else {
      const username = pick('username').value
      const password = pick('password').value
      if (username === undefined) throw new KafkaSettingsError(`${at('username')}: ${mechanism.value} needs a username`)
      if (password === undefined) throw new KafkaSettingsError(`${at('password')}: ${mechanism.value} needs a password (from \${VAR} in the file, ${KAFKA_ENV.password}, or --kafka-sasl-password-file)`)
      sasl = { mechanism: mechanism.value, username, password }
    }
  }
  return { brokers, clientId: pick('clientId').value ?? null, tls, sasl, from }
}

/** One line for logs and start-up output: protocol, mechanism, user and brokers, never a secret. */
export function describeKafka (k: KafkaSettings): string {
  const protocol = `${k.sasl !== null ? 'SASL_' : ''}${k.tls !== null ? 'SSL' : 'PLAINTEXT'}`
  const who = k.sasl === null ? '' : k.sasl.mechanism === 'OAUTHBEARER' ? ' OAUTHBEARER' : ` ${k.sasl.mechanism} as ${k.sasl.username}`
  const insecure = k.tls !== null && !k.tls.rejectUnauthorized ? ' (certificates NOT verified)' : ''
  return `${k.brokers.join(',')} over ${protocol}${who}${insecure}`
}

/**
 * The settings as TIDEWATCH_KAFKA_* variables, for a child process (a replica) that must connect
 * the same way. Secrets travel in the environment, which only the same user can read — never on
 * the command line.
 */
export function kafkaEnvironment (k: KafkaSettings): Record<string, string> {
  const env: Record<string, string> = { [KAFKA_ENV.brokers]: k.brokers.join(',') }
  if (k.clientId !== null) env[KAFKA_ENV.clientId] = k.clientId
  // Off is said explicitly too: the child's own lower layers (a Function file's kafka: block)
  // must not turn on what the parent resolved off.
  env[KAFKA_ENV.tls] = String(k.tls !== null)
  env[KAFKA_ENV.mechanism] = k.sasl?.mechanism ?? 'none'
  if (k.tls !== null) {
    if (k.tls.ca !== null) env[KAFKA_ENV.ca] = k.tls.ca
    if (k.tls.cert !== null) env[KAFKA_ENV.cert] = k.tls.cert
    if (k.tls.key !== null) env[KAFKA_ENV.key] = k.tls.key
    if (k.tls.servername !== null) env[KAFKA_ENV.servername] = k.tls.servername
    env[KAFKA_ENV.rejectUnauthorized] = String(k.tls.rejectUnauthorized)
  }
  if (k.sasl !== null) {
    if (k.sasl.mechanism === 'OAUTHBEARER') {
      if ('command' in k.sasl.token) env[KAFKA_ENV.tokenCommand] = k.sasl.token.command
      else env[KAFKA_ENV.tokenFile] = k.sasl.token.file
    } else {
      env[KAFKA_ENV.username] = k.sasl.username
      env[KAFKA_ENV.password] = k.sasl.password.reveal()
    }
  }
  return env
}

/** Plaintext settings for `brokers`: the embedded broker's loopback listener, tests. */
export function plaintextSettings (brokers: string[], clientId: string | null = null): KafkaSettings {
  return { brokers, clientId, tls: null, sasl: null, from: {} }
}
