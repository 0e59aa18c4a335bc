// SASL users and their credentials. A user has a password (usable by PLAIN and, through a
// salted credential derived at start, by both SCRAM mechanisms) or stored SCRAM credentials
// only, so a users file need not hold any password in the clear.
//
// Stored SCRAM credentials use the form of RFC 5803 (as PostgreSQL stores them):
//   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>      (salt and keys in base64)
// StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword,
// "Server Key"), SaltedPassword = PBKDF2-HMAC-H(password, salt, iterations) (RFC 5802 / 7677).
// The hash arithmetic is protocol/scram.ts, shared with Tidewatch's own SCRAM client.
import { randomBytes } from 'node:crypto'
import { clientKeyOf, digest, keyBytes, MAX_ITERATIONS, MIN_ITERATIONS, saltedPassword, serverKeyOf, type ScramMechanism } from '../../protocol/scram.js'

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const
export type SaslMechanism = typeof SASL_MECHANISMS[number]
/** The mechanisms a users file serves; OAUTHBEARER is served by a token validator instead. */
export const PASSWORD_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const

/** What is offered when no list is given: every mechanism there is something to check with. */
export function defaultMechanisms (hasUsers: boolean, hasTokens: boolean): SaslMechanism[] {
  return [...(hasUsers ? PASSWORD_MECHANISMS : []), ...(hasTokens ? ['OAUTHBEARER' as const] : [])]
}
export type { ScramMechanism }
export { MIN_ITERATIONS, MAX_ITERATIONS }

/** One SASL user, as BrokerOptions and the users file give it. */
export interface SaslUser {
  name: string
  /** Usable by every mechanism. */
  password?: string
  /** Stored credentials in RFC 5803 form, each usable by its own mechanism only. */
  scram?: string[]
}

export interface ScramCredential { salt: Buffer, iterations: number, storedKey: Buffer, serverKey: Buffer }

/** The stored credential for `password` (a random salt unless given). */
export function deriveCredential (m: ScramMechanism, password: string, iterations = MIN_ITERATIONS, salt = randomBytes(24)): ScramCredential {
  const salted = saltedPassword(m, password, salt, iterations)
  return { salt, iterations, storedKey: digest(m, clientKeyOf(m, salted)), serverKey: serverKeyOf(m, salted) }
}

export function formatCredential (m: ScramMechanism, c: ScramCredential): string {
  return `${m}$${c.iterations}:${c.salt.toString('base64')}$${c.storedKey.toString('base64')}:${c.serverKey.toString('base64')}`
}

const B64 = '[A-Za-z0-9+/]+={0,2}'
const STORED = new RegExp(`^(SCRAM-SHA-256|SCRAM-SHA-512)\\$(\\d+):(${B64})\\$(${B64}):(${B64})$`)

/** Whether a value is meant as a stored credential rather than a password. */
export const looksStored = (value: string): boolean => /^SCRAM-SHA-(256|512)\$/.test(value)

/** Parses an RFC 5803 credential; returns why it is unusable as a string. */
export function parseCredential (text: string): { mechanism: ScramMechanism, credential: ScramCredential } | string {
  const m = STORED.exec(text)
  if (m === null) return 'expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> (RFC 5803, base64)'
  const mechanism = m[1] as ScramMechanism
  const iterations = Number(m[2])
  if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) return `iterations must be ${MIN_ITERATIONS}-${MAX_ITERATIONS} (Kafka's bounds), got ${iterations}`
  const [salt, storedKey, serverKey] = [m[3], m[4], m[5]].map(s => Buffer.from(s, 'base64'))
  const bytes = keyBytes(mechanism)
  if (storedKey.length !== bytes || serverKey.length !== bytes) return `${mechanism} keys must be ${bytes} bytes`
  if (salt.length === 0) return 'the salt is empty'
  return { mechanism, credential: { salt, iterations, storedKey, serverKey } }
}

/**
 * Parses a users file: one `user:secret` per line, where the secret is a password or a stored
 * SCRAM credential; a user may have one line per mechanism. Blank lines and `#` comments are
 * skipped. Errors name the line; no secret is ever quoted in them.
 */
export function parseUsersFile (text: string, file: string): SaslUser[] | { error: string } {
  const users = new Map<string, SaslUser>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '' || line.startsWith('#')) continue
    const colon = line.indexOf(':')
    if (colon <= 0) return { error: `${file}:${i + 1}: expected 'user:password' or 'user:SCRAM-SHA-256$...'` }
    const name = line.slice(0, colon)
    const secret = line.slice(colon + 1)
    const user = users.get(name) ?? { name }
    users.set(name, user)
    if (looksStored(secret)) {
      const parsed = parseCredential(secret)
      if (typeof parsed === 'string') return { error: `${file}:${i + 1}: user '${name}': ${parsed}` }
      user.scram = [...(user.scram ?? []), secret]
    } else {
      if (user.password !== undefined) return { error: `${file}:${i + 1}: user '${name}' has two passwords` }
      if (secret === '') return { error: `${file}:${i + 1}: user '${name}' has an empty password` }
      user.password = secret
    }
  }
  if (users.size === 0) return { error: `${file}: no users defined` }
  return [...users.values()]
}
