// TLS and SASL settings of the embedded broker, from `tidewatch broker`'s flags or a project
// file's `broker:` block: the files are read here, once, and every problem names the setting it
// came from (a flag or a project field), never a secret.
import fs from 'node:fs'
import type { BrokerOptions } from '../broker/config.js'
import { parseUsersFile, type SaslMechanism } from '../broker/sasl/credentials.js'
import { mechanismsProblem } from '../broker/sasl/authenticator.js'
import { CliError } from './args.js'

/** Where each setting came from, as the user wrote it (`--tls-cert` or `broker.tls.cert`). */
export interface SecurityNames { cert: string, key: string, ca: string, usersFile: string, mechanisms: string }

export const FLAG_NAMES: SecurityNames = { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca', usersFile: '--sasl-users-file', mechanisms: '--sasl-mechanisms' }

export interface SecurityFiles {
  cert?: string
  key?: string
  ca?: string
  usersFile?: string
  mechanisms?: string[]
}

function readFile (name: string, file: string): Buffer {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw new CliError(`${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** Mechanism names as given (any case), checked; undefined: all three. */
export function parseMechanisms (name: string, list: string[] | undefined): SaslMechanism[] | undefined {
  if (list === undefined) return undefined
  const upper = list.map(m => m.trim().toUpperCase()).filter(m => m !== '')
  const problem = mechanismsProblem(upper)
  if (problem !== null) throw new CliError(problem.replace(/^--sasl-mechanisms/, name))
  return upper as SaslMechanism[]
}

/** The `tls` and `sasl` BrokerOptions for these files; throws a CliError naming the setting. */
export function loadBrokerSecurity (f: SecurityFiles, names: SecurityNames): Pick<BrokerOptions, 'tls' | 'sasl'> {
  const mechanisms = parseMechanisms(names.mechanisms, f.mechanisms)
  if (mechanisms !== undefined && f.usersFile === undefined) throw new CliError(`${names.mechanisms} needs ${names.usersFile} (the users who may authenticate)`)
  if ((f.cert === undefined) !== (f.key === undefined)) throw new CliError(`${names.cert} and ${names.key} go together: the certificate and its private key`)
  if (f.ca !== undefined && f.cert === undefined) throw new CliError(`${names.ca} (require client certificates) needs ${names.cert} and ${names.key}`)
  const tls = f.cert === undefined || f.key === undefined
    ? undefined
    : { cert: readFile(names.cert, f.cert), key: readFile(names.key, f.key), ca: f.ca === undefined ? undefined : readFile(names.ca, f.ca) }
  let sasl: BrokerOptions['sasl']
  if (f.usersFile !== undefined) {
    const users = parseUsersFile(readFile(names.usersFile, f.usersFile).toString('utf8'), f.usersFile)
    if ('error' in users) throw new CliError(`${names.usersFile}: ${users.error}`)
    sasl = { users, mechanisms }
  }
  return { tls, sasl }
}

/** A start failure caused by a certificate or key OpenSSL cannot use, as the user's error. */
export function explainTlsStartError (err: unknown, names: SecurityNames): unknown {
  const message = (err as Error).message ?? ''
  if (/PEM|certificate|key values mismatch|asn1|DECODER/i.test(message)) {
    return new CliError(`${names.cert}/${names.key}/${names.ca}: cannot use them: ${message}`)
  }
  return err
}
