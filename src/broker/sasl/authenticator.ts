// What the SASL APIs ask of the broker's users: which mechanisms are on, the secret of a user
// for a mechanism, and whether an OAUTHBEARER token is accepted. Built once at start: SCRAM
// credentials for users given as passwords are derived then (a random salt each, 4096
// iterations), so no exchange pays for PBKDF2, and the JWKS is turned into keys then.
import { createHash, timingSafeEqual } from 'node:crypto'
import { isLoopback } from '../../shared/net.js'
import { deriveCredential, parseCredential, PASSWORD_MECHANISMS, SASL_MECHANISMS, type SaslMechanism, type SaslUser, type ScramCredential, type ScramMechanism } from './credentials.js'
import { parseJwks } from './jwks.js'
import { DEFAULT_CLOCK_SKEW_S, validateToken, type TokenRules, type TokenVerdict } from './jwt.js'

/** How OAUTHBEARER tokens are checked (Kafka's sasl.oauthbearer.* broker settings, KIP-768). */
export interface OAuthBearerOptions {
  /** A JSON Web Key Set (parsed JSON): the public keys tokens may be signed with. */
  jwks?: unknown
  /** Accept unsigned tokens (alg none) instead of signed ones: development, on loopback only. */
  unsecured?: boolean
  /** A token's aud must name one of these; without, a token that names an audience is refused. */
  audience?: string[]
  /** A token's iss must be this. */
  issuer?: string
  /** The claim that names the principal. Default sub. */
  subClaim?: string
  /** Allowance for clocks that differ, in seconds. Default 30 (Kafka's). */
  clockSkewSeconds?: number
}

export interface SaslConfig { users: SaslUser[], mechanisms: readonly SaslMechanism[], oauthbearer?: OAuthBearerOptions }

/** The settings problems name, as the user wrote them: flags, or a project file's fields. */
export interface SaslNames { host: string, usersFile: string, mechanisms: string, jwks: string, unsecured: string, audience: string, subClaim: string, clockSkew: string }
export const SASL_FLAG_NAMES: SaslNames = {
  host: '--host',
  usersFile: '--sasl-users-file',
  mechanisms: '--sasl-mechanisms',
  jwks: '--sasl-oauthbearer-jwks',
  unsecured: '--sasl-oauthbearer-unsecured',
  audience: '--sasl-oauthbearer-audience',
  subClaim: '--sasl-oauthbearer-sub-claim',
  clockSkew: '--sasl-oauthbearer-clock-skew-seconds'
}

/** The rules tokens are held to, or why these options give none. */
function tokenRules (o: OAuthBearerOptions, names: SaslNames): TokenRules | string {
  if (o.unsecured === true && o.jwks !== undefined) return `${names.unsecured} and ${names.jwks} exclude each other: unsigned tokens, or tokens signed by the set's keys`
  if (o.unsecured !== true && o.jwks === undefined) return `OAUTHBEARER needs ${names.jwks} FILE (the public keys tokens are signed with), or ${names.unsecured} on loopback`
  let keys = null
  if (o.jwks !== undefined) {
    const parsed = parseJwks(o.jwks)
    if (typeof parsed === 'string') return `${names.jwks}: ${parsed}`
    keys = parsed
  }
  const skew = o.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_S
  if (!Number.isInteger(skew) || skew < 0) return `${names.clockSkew} must be a whole number of seconds, 0 or more; got ${skew}`
  const subClaim = o.subClaim ?? 'sub'
  if (subClaim.trim() === '') return `${names.subClaim} is blank: name the claim that holds the principal`
  const audience = o.audience ?? []
  if (audience.some(a => a === '')) return `${names.audience} has an empty audience`
  return { keys, audience, issuer: o.issuer ?? null, subClaim: subClaim.trim(), clockSkewMs: skew * 1000 }
}

/** Why a mechanism list cannot be used, or null. */
export function mechanismsProblem (mechanisms: readonly string[], names: SaslNames = SASL_FLAG_NAMES): string | null {
  const unknown = mechanisms.filter(m => !(SASL_MECHANISMS as readonly string[]).includes(m))
  if (unknown.length > 0) return `${names.mechanisms}: unknown mechanism ${unknown.join(', ')} (supported: ${SASL_MECHANISMS.join(', ')})`
  if (mechanisms.length === 0) return `${names.mechanisms}: name at least one mechanism`
  return null
}

/** Why this SASL configuration cannot work on `host`, naming the settings, or null. */
export function saslProblem (c: SaslConfig, host: string, names: SaslNames = SASL_FLAG_NAMES): string | null {
  const mechanismProblem = mechanismsProblem(c.mechanisms, names)
  if (mechanismProblem !== null) return mechanismProblem
  const passwords = c.mechanisms.filter(m => (PASSWORD_MECHANISMS as readonly string[]).includes(m))
  if (passwords.length > 0 && c.users.length === 0) return `${names.mechanisms} ${passwords.join(',')} needs ${names.usersFile} (the users who may authenticate)`
  if (passwords.length === 0 && c.users.length > 0) return `${names.usersFile} is given, but ${names.mechanisms} lists none of ${PASSWORD_MECHANISMS.join(', ')}`
  const tokens = c.mechanisms.includes('OAUTHBEARER')
  if (tokens && c.oauthbearer === undefined) return `${names.mechanisms} OAUTHBEARER needs ${names.jwks} FILE (the public keys tokens are signed with), or ${names.unsecured} on loopback`
  if (!tokens && c.oauthbearer !== undefined) return `${c.oauthbearer.unsecured === true ? names.unsecured : names.jwks} is given, but ${names.mechanisms} does not list OAUTHBEARER`
  if (c.oauthbearer === undefined) return null
  // Unsigned tokens let anyone who can connect claim to be anyone: never beyond this machine.
  if (c.oauthbearer.unsecured === true && !isLoopback(host)) return `${names.unsecured} accepts unsigned tokens, so anyone could claim any principal: refused with ${names.host} ${host} (not loopback); give ${names.jwks} FILE instead`
  const rules = tokenRules(c.oauthbearer, names)
  return typeof rules === 'string' ? rules : null
}

export class SaslAuthenticator {
  readonly mechanisms: readonly SaslMechanism[]
  readonly #passwords = new Map<string, string>()
  readonly #scram = new Map<string, ScramCredential>()
  readonly #tokens: TokenRules | null = null

  /** Null: SASL is off and every connection counts as authenticated. Throws saslProblem's reasons. */
  constructor (config: SaslConfig | null) {
    this.mechanisms = config === null ? [] : config.mechanisms
    if (config === null) return
    const mechanisms = config.mechanisms
    for (const u of config.users) {
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
    if (config.oauthbearer !== undefined && mechanisms.includes('OAUTHBEARER')) {
      const rules = tokenRules(config.oauthbearer, SASL_FLAG_NAMES)
      if (typeof rules === 'string') throw new Error(rules)
      this.#tokens = rules
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

  /** OAUTHBEARER: whether the token is accepted at `now`, and as whom until when. */
  validateToken (token: string, now: number): TokenVerdict {
    if (this.#tokens === null) return { ok: false, reason: 'OAUTHBEARER is not served' }
    return validateToken(token, this.#tokens, now)
  }
}
