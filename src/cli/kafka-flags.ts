// The command-line layer of the Kafka connection settings (see kafka/connection-settings.ts for
// the others and their order). Every command that talks to a cluster takes the same flags.
import fs from 'node:fs'
import path from 'node:path'
import { Secret } from '../shared/secret.js'
import { KafkaSettingsError, parseBrokers, SASL_MECHANISMS, type KafkaField, type KafkaLayer, type SaslMechanism } from '../kafka/connection-settings.js'
import { CliError } from './args.js'

/** For node:util parseArgs. */
export const KAFKA_FLAG_OPTIONS = {
  brokers: { type: 'string' },
  'kafka-client-id': { type: 'string' },
  'kafka-tls': { type: 'boolean' },
  'kafka-tls-ca': { type: 'string' },
  'kafka-tls-cert': { type: 'string' },
  'kafka-tls-key': { type: 'string' },
  'kafka-tls-servername': { type: 'string' },
  'kafka-tls-insecure': { type: 'boolean' },
  'kafka-sasl-mechanism': { type: 'string' },
  'kafka-sasl-username': { type: 'string' },
  'kafka-sasl-password-file': { type: 'string' },
  'kafka-sasl-token-command': { type: 'string' },
  'kafka-sasl-token-file': { type: 'string' }
} as const

export type KafkaFlagValues = { [K in keyof typeof KAFKA_FLAG_OPTIONS]?: (typeof KAFKA_FLAG_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string }

const FLAG: Record<KafkaField, string> = {
  brokers: '--brokers',
  clientId: '--kafka-client-id',
  tls: '--kafka-tls',
  ca: '--kafka-tls-ca',
  cert: '--kafka-tls-cert',
  key: '--kafka-tls-key',
  servername: '--kafka-tls-servername',
  rejectUnauthorized: '--kafka-tls-insecure',
  mechanism: '--kafka-sasl-mechanism',
  username: '--kafka-sasl-username',
  password: '--kafka-sasl-password-file',
  tokenCommand: '--kafka-sasl-token-command',
  tokenFile: '--kafka-sasl-token-file'
}

/** The help lines of these flags, descriptions starting at `column`. */
export function kafkaFlagsHelp (column: number): string {
  const line = (flag: string, text: string): string => `  ${flag}`.padEnd(column) + text
  return [
    line('--brokers H:P[,H:P]', 'Kafka bootstrap brokers (also kafka.brokers, $TIDEWATCH_KAFKA_BROKERS)'),
    line('--kafka-tls', 'connect over TLS, verifying the brokers against the system CAs'),
    line('--kafka-tls-ca FILE', 'PEM CA that signed the brokers\' certificates (turns TLS on)'),
    line('--kafka-tls-cert FILE', 'client certificate (PEM), with --kafka-tls-key, for mutual TLS'),
    line('--kafka-tls-key FILE', 'its private key (PEM)'),
    line('--kafka-tls-servername N', 'the name the brokers\' certificates carry, if not the host dialled'),
    line('--kafka-tls-insecure', 'do not verify the brokers\' certificates (testing only)'),
    line('--kafka-sasl-mechanism M', `SASL: ${SASL_MECHANISMS.join(', ')}`),
    line('--kafka-sasl-username U', 'SASL user (PLAIN, SCRAM)'),
    line('--kafka-sasl-password-file FILE', 'read the SASL password from FILE (its first line); or $TIDEWATCH_KAFKA_SASL_PASSWORD'),
    line('--kafka-sasl-token-command CMD', 'OAUTHBEARER: a command printing the token, run at each authentication'),
    line('--kafka-sasl-token-file FILE', 'OAUTHBEARER: a file holding the token, read at each authentication'),
    line('--kafka-client-id ID', 'client id the brokers see (default tidewatch-<name>)')
  ].join('\n')
}

/** The flags given as a layer; errors name the flag. */
export function kafkaLayerFromFlags (v: KafkaFlagValues): KafkaLayer {
  const abs = (p: string | undefined): string | undefined => p === undefined ? undefined : path.resolve(p)
  let mechanism: SaslMechanism | undefined
  if (v['kafka-sasl-mechanism'] !== undefined) {
    const m = v['kafka-sasl-mechanism'].toUpperCase()
    if (!(SASL_MECHANISMS as readonly string[]).includes(m)) throw new CliError(`--kafka-sasl-mechanism: expected one of ${SASL_MECHANISMS.join(', ')}, got '${v['kafka-sasl-mechanism']}'`)
    mechanism = m as SaslMechanism
  }
  let password: Secret | undefined
  const passwordFile = v['kafka-sasl-password-file']
  if (passwordFile !== undefined) {
    let text: string
    try {
      text = fs.readFileSync(passwordFile, 'utf8')
    } catch (err) {
      throw new CliError(`--kafka-sasl-password-file ${passwordFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
    const first = text.split(/\r?\n/)[0]
    if (first === '') throw new CliError(`--kafka-sasl-password-file ${passwordFile}: the first line is empty; put the password there`)
    password = new Secret(first)
  }
  let brokers: string[] | undefined
  try {
    brokers = v.brokers === undefined ? undefined : parseBrokers('--brokers', v.brokers)
  } catch (err) {
    throw asCliError(err)
  }
  return {
    origin: f => FLAG[f],
    brokers,
    clientId: v['kafka-client-id'],
    tls: v['kafka-tls'] === true ? true : undefined,
    ca: abs(v['kafka-tls-ca']),
    cert: abs(v['kafka-tls-cert']),
    key: abs(v['kafka-tls-key']),
    servername: v['kafka-tls-servername'],
    rejectUnauthorized: v['kafka-tls-insecure'] === true ? false : undefined,
    mechanism,
    username: v['kafka-sasl-username'],
    password,
    tokenCommand: v['kafka-sasl-token-command'],
    tokenFile: abs(v['kafka-sasl-token-file'])
  }
}

/** KafkaSettingsError as the CLI's own error (printed without a stack, exit code 2). */
export function asCliError (err: unknown): unknown {
  return err instanceof KafkaSettingsError ? new CliError(err.message) : err
}
