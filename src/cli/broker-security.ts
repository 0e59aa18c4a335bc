// TLS and SASL settings of the embedded broker, from `tidewatch broker`'s flags or a project
// file's `broker:` block: the files are read here, once, and every problem names the setting it
// came from (a flag or a project field), never a secret.
import fs from 'node:fs'
import type { BrokerOptions } from '../broker/config.js'
import { defaultMechanisms, parseUsersFile, type SaslMechanism, type SaslUser } from '../broker/sasl/credentials.js'
import { mechanismsProblem, SASL_FLAG_NAMES, saslProblem, type OAuthBearerOptions, type SaslNames } from '../broker/sasl/authenticator.js'
import { CliError } from './args.js'

/** Where each setting came from, as the user wrote it (`--tls-cert` or `broker.tls.cert`). */
export interface SecurityNames extends SaslNames { cert: string, key: string, ca: string }

export const FLAG_NAMES: SecurityNames = { cert: '--tls-cert', key: '--tls-key', ca: '--tls-ca', ...SASL_FLAG_NAMES }

export interface SecurityFiles {
  /** The interface the broker listens on (unsigned tokens are refused off loopback). */
  host?: string
  cert?: string
  key?: string
  ca?: string
  usersFile?: string
  mechanisms?: string[]
  /** OAUTHBEARER: `jwks` is the path of the key set file. */
  oauthbearer?: Omit<OAuthBearerOptions, 'jwks'> & { jwks?: string }
}

function readFile (name: string, file: string): Buffer {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    throw new CliError(`${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** Mechanism names as given (any case), checked; undefined: the default for what is configured. */
export function parseMechanisms (names: SaslNames, list: string[] | undefined): SaslMechanism[] | undefined {
  if (list === undefined) return undefined
  const upper = list.map(m => m.trim().toUpperCase()).filter(m => m !== '')
  const problem = mechanismsProblem(upper, names)
  if (problem !== null) throw new CliError(problem)
  return upper as SaslMechanism[]
}

/** A JWKS file as parsed JSON (its keys are checked with the rest of the SASL settings). */
function readJwks (name: string, file: string): unknown {
  const text = readFile(name, file).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    // (The parser's message would quote the file, which may be a secret given by mistake.)
    throw new CliError(`${name}: ${file} is not JSON; expected a JSON Web Key Set`)
  }
}

/** The `tls` and `sasl` BrokerOptions for these files; throws a CliError naming the setting. */
export function loadBrokerSecurity (f: SecurityFiles, names: SecurityNames): Pick<BrokerOptions, 'tls' | 'sasl'> {
  const mechanisms = parseMechanisms(names, f.mechanisms)
  if ((f.cert === undefined) !== (f.key === undefined)) throw new CliError(`${names.cert} and ${names.key} go together: the certificate and its private key`)
  if (f.ca !== undefined && f.cert === undefined) throw new CliError(`${names.ca} (require client certificates) needs ${names.cert} and ${names.key}`)
  const tls = f.cert === undefined || f.key === undefined
    ? undefined
    : { cert: readFile(names.cert, f.cert), key: readFile(names.key, f.key), ca: f.ca === undefined ? undefined : readFile(names.ca, f.ca) }
  let users: SaslUser[] = []
  if (f.usersFile !== undefined) {
    const parsed = parseUsersFile(readFile(names.usersFile, f.usersFile).toString('utf8'), f.usersFile)
    if ('error' in parsed) throw new CliError(`${names.usersFile}: ${parsed.error}`)
    users = parsed
  }
  const o = f.oauthbearer
  const oauthbearer: OAuthBearerOptions | undefined = o === undefined ? undefined : { ...o, jwks: o.jwks === undefined ? undefined : readJwks(names.jwks, o.jwks) }
  if (f.usersFile === undefined && oauthbearer === undefined && mechanisms === undefined) return { tls, sasl: undefined }
  const sasl = { users, mechanisms: mechanisms ?? defaultMechanisms(users.length > 0, oauthbearer !== undefined), ...(oauthbearer !== undefined ? { oauthbearer } : {}) }
  const problem = saslProblem(sasl, f.host ?? '127.0.0.1', names)
  if (problem !== null) throw new CliError(problem)
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
