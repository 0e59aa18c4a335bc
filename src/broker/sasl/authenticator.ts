// What the SASL APIs ask of the broker's users: which mechanisms are on, and the secret of a
// user for a mechanism. Built once at start: SCRAM credentials for users given as passwords
// are derived then (a random salt each, 4096 iterations), so no exchange pays for PBKDF2.
import { createHash, timingSafeEqual } from 'node:crypto'
import { deriveCredential, parseCredential, SASL_MECHANISMS, type SaslMechanism, type SaslUser, type ScramCredential, type ScramMechanism } from './credentials.js'

export class SaslAuthenticator {
  readonly mechanisms: readonly SaslMechanism[]
  readonly #passwords = new Map<string, string>()
  readonly #scram = new Map<string, ScramCredential>()

  /** Null users: SASL is off and every connection counts as authenticated. */
  constructor (users: SaslUser[] | null, mechanisms: readonly SaslMechanism[] = SASL_MECHANISMS) {
    this.mechanisms = users === null ? [] : mechanisms
    for (const u of users ?? []) {
      if (u.password !== undefined) {
        this.#passwords.set(u.name, u.password)
        for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
          if (mechanisms.includes(m)) this.#scram.set(`${m}\0${u.name}`, deriveCredential(m, u.password))
        }
      }
      for (const text of u.scram ?? []) {
        const parsed = parseCredential(text)
        if (typeof parsed === 'string') throw new Error(`SASL user '${u.name}': ${parsed}`)
        this.#scram.set(`${parsed.mechanism}\0${u.name}`, parsed.credential)
      }
    }
  }

  get enabled (): boolean { return this.mechanisms.length > 0 }

  /** PLAIN: whether the password is the user's; compared in constant time whatever the lengths. */
  checkPassword (user: string, password: string): boolean {
    const expected = this.#passwords.get(user)
    const a = createHash('sha256').update(password).digest()
    const b = createHash('sha256').update(expected ?? '').digest()
    return timingSafeEqual(a, b) && expected !== undefined
  }

  scramCredential (m: ScramMechanism, user: string): ScramCredential | undefined {
    return this.#scram.get(`${m}\0${user}`)
  }
}

/** Why a mechanism list cannot be used, or null. */
export function mechanismsProblem (mechanisms: readonly string[]): string | null {
  const unknown = mechanisms.filter(m => !(SASL_MECHANISMS as readonly string[]).includes(m))
  if (unknown.length > 0) return `--sasl-mechanisms: unknown mechanism ${unknown.join(', ')} (supported: ${SASL_MECHANISMS.join(', ')})`
  if (mechanisms.length === 0) return '--sasl-mechanisms: name at least one mechanism'
  return null
}
