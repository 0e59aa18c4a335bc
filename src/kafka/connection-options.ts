/**
 * KafkaSettings as @platformatic/kafka's connection options, and connection failures explained
 * in one line that names the setting to check. Certificate files and tokens are read here, when
 * a client is made, so a renewed certificate or rotated token is picked up by the next client,
 * and a missing file is reported with the setting that names it.
 */
import fs from 'node:fs'
import { execFile } from 'node:child_process'
import type { ConnectionOptions as TlsOptions } from 'node:tls'
import type { KafkaField, KafkaSettings } from './connection-settings.js'
import { KafkaSettingsError } from './connection-settings.js'
import { HandshakeClosed } from './socket.js'
import { SecurityError, type SecurityReason } from './sasl.js'

/** How long a token command may run before the authentication fails. */
export const TOKEN_COMMAND_TIMEOUT_MS = 30_000

export interface ClientConnectionOptions {
  bootstrapBrokers: string[]
  tls?: TlsOptions
  sasl?: {
    mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER'
    username?: string
    password?: () => string
    token?: () => Promise<string>
  }
}

function setting (k: KafkaSettings, field: KafkaField, fallback: string): string {
  return k.from[field] ?? fallback
}

/** "F: a and F: b" said once: "F: a and b". */
function and (a: string, b: string): string {
  const at = a.lastIndexOf(': ')
  return at > 0 && b.startsWith(a.slice(0, at + 2)) ? `${a} and ${b.slice(at + 2)}` : `${a} and ${b}`
}

function readPem (k: KafkaSettings, field: 'ca' | 'cert' | 'key', file: string): Buffer {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw new KafkaSettingsError(`${setting(k, field, `kafka.tls.${field}`)}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** A token from the command's standard output or the file's content, trimmed; errors name the setting. */
async function readToken (k: KafkaSettings, token: { command: string } | { file: string }): Promise<string> {
  if ('file' in token) {
    const text = await fs.promises.readFile(token.file, 'utf8').catch(err => {
      throw new KafkaSettingsError(`${setting(k, 'tokenFile', 'kafka.sasl.token.file')}: cannot read ${token.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    })
    if (text.trim() === '') throw new KafkaSettingsError(`${setting(k, 'tokenFile', 'kafka.sasl.token.file')}: ${token.file} is empty`)
    return text.trim()
  }
  return await new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', token.command], { timeout: TOKEN_COMMAND_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const at = setting(k, 'tokenCommand', 'kafka.sasl.token.command')
      // The command's output is the token: never part of the message.
      if (err !== null) { reject(new KafkaSettingsError(`${at}: the token command failed (${err.killed ? `killed after ${TOKEN_COMMAND_TIMEOUT_MS / 1000} s` : `exit code ${String(err.code)}`})${stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n')[0].slice(0, 200)}`}`)); return }
      if (stdout.trim() === '') { reject(new KafkaSettingsError(`${at}: the token command printed nothing`)); return }
      resolve(stdout.trim())
    })
  })
}

export function clientConnectionOptions (k: KafkaSettings): ClientConnectionOptions {
  const o: ClientConnectionOptions = { bootstrapBrokers: k.brokers }
  if (k.tls !== null) {
    o.tls = {
      rejectUnauthorized: k.tls.rejectUnauthorized,
      ...(k.tls.ca !== null ? { ca: readPem(k, 'ca', k.tls.ca) } : {}),
      ...(k.tls.cert !== null ? { cert: readPem(k, 'cert', k.tls.cert) } : {}),
      ...(k.tls.key !== null ? { key: readPem(k, 'key', k.tls.key) } : {}),
      ...(k.tls.servername !== null ? { servername: k.tls.servername } : {})
    }
  }
  const sasl = k.sasl
  if (sasl !== null) {
    o.sasl = sasl.mechanism === 'OAUTHBEARER'
      ? { mechanism: 'OAUTHBEARER', token: async () => await readToken(k, sasl.token) }
      : { mechanism: sasl.mechanism, username: sasl.username, password: () => sasl.password.reveal() }
  }
  return o
}

/** What a connection failure comes down to: a SecurityReason, or one of the ordinary failures. */
export type FailureKind = SecurityReason | 'closed-early' | 'unreachable' | 'other'

/** The messages (and error codes) of `err` and its causes, for the client library's errors. */
function chainOf (err: Error): Error[] {
  const out: Error[] = []
  for (let e: unknown = err; e instanceof Error && out.length < 8; e = (e as Error & { cause?: unknown }).cause ?? ((e as AggregateError).errors?.[0])) out.push(e)
  return out
}

/**
 * Sorts a failure of Tidewatch's own client (SecurityError, HandshakeClosed) or of the client
 * library (by its messages and OpenSSL's codes) into what the user has to check.
 */
export function failureKind (err: Error): FailureKind {
  const chain = chainOf(err)
  const own = chain.find(e => e instanceof SecurityError) as SecurityError | undefined
  if (own !== undefined) return own.reason
  const text = chain.map(e => `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`).join(' | ')
  if (/CERTIFICATE_REQUIRED|certificate required/i.test(text)) return 'tls-client-cert-required'
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN)/i.test(text)) return 'tls-client-cert-refused'
  if (/ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match/i.test(text)) return 'tls-hostname'
  if (/CERT|certificate|self[- ]signed|unable to verify|UNABLE_TO_GET_ISSUER/i.test(text)) return 'tls-untrusted'
  if (/UNSUPPORTED_SASL_MECHANISM|suitable SASL mechanism/i.test(text)) return 'sasl-mechanism'
  if (/ILLEGAL_SASL_STATE/i.test(text)) return 'sasl-not-enabled'
  if (/SASL_AUTHENTICATION_FAILED|SASL authentication failed|Authentication failed|OAUTHBEARER token/i.test(text)) return /OAUTHBEARER/i.test(text) ? 'sasl-token' : 'sasl-credentials'
  if (chain.some(e => e instanceof HandshakeClosed)) return 'closed-early'
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|Connection timeout|no connection to/i.test(text)) return 'unreachable'
  // (A plain reset is not reported as one: mid-run it is most often a broker restarting.)
  if (/before secure TLS|wrong version number|packet length too long/i.test(text)) return 'closed-early'
  return 'other'
}

/**
 * Whether retrying with the same settings cannot help: TLS or SASL refused. (A broker hanging
 * up early may be restarting; only a start-up check treats that as lasting, cli/kafka-connect.ts.)
 */
export function isLastingFailure (err: Error): boolean {
  const kind = failureKind(err)
  return kind !== 'unreachable' && kind !== 'other' && kind !== 'closed-early'
}

/**
 * A connection failure as one line naming what to check: the CA for a certificate the client
 * cannot verify, the credentials for a refused authentication, the brokers for a refused or
 * unreachable address. Anything else keeps its own message. Never a secret: passwords and
 * tokens are named by their setting only.
 */
export function explainConnectionError (k: KafkaSettings, err: Error): string {
  const brokers = setting(k, 'brokers', '--brokers')
  const sasl = k.sasl
  const mechanism = setting(k, 'mechanism', 'kafka.sasl.mechanism')
  const own = chainOf(err).find(e => e instanceof SecurityError)
  const detail = own === undefined ? '' : /\((it offers [^)]*)\)/.exec(own.message)?.[1] ?? ''
  switch (failureKind(err)) {
    case 'tls-untrusted':
      return `the broker's TLS certificate is not signed by a CA this client trusts: check ${k.tls?.ca != null ? setting(k, 'ca', 'kafka.tls.ca') : 'kafka.tls.ca (none given: the system CAs were used)'}`
    case 'tls-hostname':
      return `the broker's TLS certificate does not name the host dialled: check ${setting(k, 'servername', 'kafka.tls.servername')} or ${brokers}`
    case 'tls-client-cert-required':
      return 'the broker requires a client certificate: set kafka.tls.cert and kafka.tls.key (--kafka-tls-cert, --kafka-tls-key)'
    case 'tls-client-cert-refused':
      return `the broker refused the client certificate: check ${setting(k, 'cert', 'kafka.tls.cert')} (signed by a CA the broker trusts?)`
    case 'sasl-mechanism':
      return `the broker does not offer SASL ${sasl?.mechanism ?? ''}${detail !== '' ? ` (${detail})` : ''}: check ${mechanism}`
    case 'sasl-not-enabled':
      return `the broker does not use SASL on this listener: check ${mechanism}, or that ${brokers} is its SASL listener`
    case 'sasl-required':
      return 'the broker closed the connection at the first request after ApiVersions: it requires SASL; set kafka.sasl (mechanism, username, password)'
    case 'sasl-token':
      return `the broker refused the OAUTHBEARER token: check ${setting(k, 'tokenCommand', setting(k, 'tokenFile', 'kafka.sasl.token'))}`
    case 'sasl-credentials':
    case 'sasl-server-proof':
      if (sasl === null) return 'the broker requires SASL authentication: set kafka.sasl (mechanism, username, password)'
      if (sasl.mechanism === 'OAUTHBEARER') return `the broker refused the OAUTHBEARER token: check ${setting(k, 'tokenCommand', setting(k, 'tokenFile', 'kafka.sasl.token'))}`
      return failureKind(err) === 'sasl-server-proof'
        ? `the broker could not prove it holds the SCRAM credential of user ${sasl.username}: check that ${brokers} is the cluster meant`
        : `the broker refused the credentials of user ${sasl.username} (${sasl.mechanism}): check ${and(setting(k, 'username', 'kafka.sasl.username'), setting(k, 'password', 'kafka.sasl.password'))}`
    case 'unreachable':
      return `no Kafka broker answers at ${k.brokers.join(',')}: check ${brokers}`
    case 'closed-early':
      return k.tls === null
        ? `the broker at ${k.brokers.join(',')} closed the connection before answering: if it expects TLS, set kafka.tls (--kafka-tls, --kafka-tls-ca FILE)${k.sasl === null ? '; if it expects SASL, set kafka.sasl' : ''}`
        : `the broker closed the TLS connection: check ${k.tls.cert !== null ? `${setting(k, 'cert', 'kafka.tls.cert')} (a client certificate it accepts) and ` : 'whether it requires a client certificate (kafka.tls.cert and key), and '}that ${brokers} is its TLS listener`
    default:
      return err.message
  }
}
