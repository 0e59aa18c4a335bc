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

/**
 * A connection failure as one line naming what to check: the CA for a certificate the client
 * cannot verify, the credentials for a refused authentication, the brokers for a refused or
 * unreachable address. Anything else keeps its own message.
 */
export function explainConnectionError (k: KafkaSettings, err: Error): string {
  const messages: string[] = []
  for (let e: unknown = err; e instanceof Error && messages.length < 6; e = (e as Error & { cause?: unknown }).cause ?? ((e as AggregateError).errors?.[0])) messages.push(`${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`)
  const text = messages.join(' | ')
  const brokers = setting(k, 'brokers', '--brokers')
  if (/CERT|certificate|self[- ]signed|unable to verify|UNABLE_TO_GET_ISSUER/i.test(text)) {
    const why = /Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(text) ? 'does not name the host dialled' : 'is not signed by a CA this client trusts'
    return `the broker's TLS certificate ${why}: check ${k.tls?.ca !== null && k.tls?.ca !== undefined ? setting(k, 'ca', 'kafka.tls.ca') : 'kafka.tls.ca (none given: the system CAs were used)'}${why.startsWith('does') ? ` or ${setting(k, 'servername', 'kafka.tls.servername')}` : ''}`
  }
  if (/SASL|authentication|Authentication failed|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM/i.test(text)) {
    if (/UNSUPPORTED_SASL_MECHANISM|mechanism/i.test(text) && k.sasl !== null) return `the broker does not offer SASL ${k.sasl.mechanism}: check ${setting(k, 'mechanism', 'kafka.sasl.mechanism')}`
    if (k.sasl === null) return `the broker requires SASL authentication: set kafka.sasl (mechanism, username, password)`
    return k.sasl.mechanism === 'OAUTHBEARER'
      ? `the broker refused the OAUTHBEARER token: check ${setting(k, 'tokenCommand', setting(k, 'tokenFile', 'kafka.sasl.token'))}`
      : `the broker refused the credentials of user ${k.sasl.username} (${k.sasl.mechanism}): check ${setting(k, 'username', 'kafka.sasl.username')} and ${setting(k, 'password', 'kafka.sasl.password')}`
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT|Connection timeout/i.test(text)) return `no Kafka broker answers at ${k.brokers.join(',')}: check ${brokers}`
  if (/ECONNRESET|socket hang up|closed|EPIPE|wrong version number|packet length too long/i.test(text)) {
    return k.tls === null
      ? `the broker closed the connection: if it expects TLS, set kafka.tls (true, or ca/cert/key)${k.sasl === null ? '; if it expects SASL, set kafka.sasl' : ''}`
      : `the broker closed the TLS connection: check ${k.tls.cert !== null ? `${setting(k, 'cert', 'kafka.tls.cert')} (a client certificate it accepts) and ` : 'whether it requires a client certificate (kafka.tls.cert and key), and '}that ${brokers} is its TLS listener`
  }
  return err.message
}
