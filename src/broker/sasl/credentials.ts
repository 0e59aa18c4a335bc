// SASL users and their credentials. A user has a password (usable by PLAIN and, through a
// salted credential derived at start, by both SCRAM mechanisms) or stored SCRAM credentials
// only, so a users file need not hold any password in the clear.
//
// Stored SCRAM credentials use the form of RFC 5803 (as PostgreSQL stores them):
//   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>      (salt and keys in base64)
// StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword,
// "Server Key"), SaltedPassword = PBKDF2-HMAC-H(password, salt, iterations) (RFC 5802 / 7677).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type SaslMechanism = typeof SASL_MECHANISMS[number]
export type ScramMechanism = Exclude<SaslMechanism, 'PLAIN'>

/** One SASL user, as BrokerOptions and the users file give it. */
export interface SaslUser {
  name: string
  /** Usable by every mechanism. */
  password?: string
  /** Stored credentials in RFC 5803 form, each usable by its own mechanism only. */
  scram?: string[]
}

export interface ScramCredential { salt: Buffer, iterations: number, storedKey: Buffer, serverKey: Buffer }

/** Kafka's bounds for SCRAM iterations (ScramMechanism: 4096 to 16384). */
export const MIN_ITERATIONS = 4096
export const MAX_ITERATIONS = 16384

const HASH: Record<ScramMechanism, { name: 'sha256' | 'sha512', bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 }
}

export const hashOf = (m: ScramMechanism): 'sha256' | 'sha512' => HASH[m].name
export const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer => createHmac(HASH[m].name, key).update(data).digest()
export const digest = (m: ScramMechanism, data: Buffer): Buffer => createHash(HASH[m].name).update(data).digest()

/** The stored credential for `password` (a random salt unless given). */
export function deriveCredential (m: ScramMechanism, password: string, iterations = MIN_ITERATIONS, salt = randomBytes(24)): ScramCredential {
  const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH[m].bytes, HASH[m].name)
  return { salt, iterations, storedKey: digest(m, hmac(m, salted, 'Client Key')), serverKey: hmac(m, salted, 'Server Key') }
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
  const bytes = HASH[mechanism].bytes
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
