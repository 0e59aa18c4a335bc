// Whether an OAUTHBEARER token is a JWT this broker accepts, as a Kafka broker configured with a
// JWKS decides it (KIP-768's validator, jose4j underneath): a JWS compact serialization signed by
// a key of the set (alg none refused), `exp` and `iat` present, `exp` not passed and `nbf` reached
// within the clock skew, `aud` one of the expected audiences (and, as jose4j does, refused when
// the token names an audience but none is expected), `iss` the expected issuer, and the principal
// a non-blank string claim (`sub` unless configured). In unsecured mode (Kafka's unsecured
// validator, for development) tokens must be unsigned instead: alg none, no signature, `iat`
// optional. A pure decision: the time is given, and the answer is the reason, never the token.
import { constants, verify } from 'node:crypto'
import type { VerificationKey } from './jwks.js'

export interface TokenRules {
  /** The keys a signature must verify with; null: unsecured mode, only unsigned tokens. */
  keys: VerificationKey[] | null
  /** Empty: no audience expected (a token naming one is then refused). */
  audience: string[]
  issuer: string | null
  /** The claim that names the principal (Kafka's sasl.oauthbearer.sub.claim.name). */
  subClaim: string
  clockSkewMs: number
}

export type TokenVerdict = { ok: true, principal: string, expiresAt: number } | { ok: false, reason: string }

/** Kafka's default sasl.oauthbearer.clock.skew.seconds. */
export const DEFAULT_CLOCK_SKEW_S = 30

interface Algorithm { kty: 'RSA' | 'EC', hash: string, pss?: true, crv?: string }
const ALGORITHMS: Record<string, Algorithm> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', hash: 'sha256', crv: 'P-256' },
  ES384: { kty: 'EC', hash: 'sha384', crv: 'P-384' },
  ES512: { kty: 'EC', hash: 'sha512', crv: 'P-521' }
}
export const SIGNATURE_ALGORITHMS = Object.keys(ALGORITHMS)

const B64URL = /^[A-Za-z0-9_-]*$/

const refuse = (reason: string): TokenVerdict => ({ ok: false, reason })
/** A claim's value in a reason: whoever wrote the token chose it, so it is cut short. */
const shown = (v: unknown): string => { const s = Array.isArray(v) ? v.join(', ') : String(v); return s.length > 100 ? `${s.slice(0, 100)}…` : s }

/** A base64url part as a JSON object, or null. */
function jsonPart (part: string): Record<string, unknown> | null {
  if (part === '' || !B64URL.test(part) || part.length % 4 === 1) return null
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : null
  } catch {
    return null
  }
}

/** Why the signature of `signingInput` does not verify with any fitting key of the set, or null. */
function signatureProblem (header: Record<string, unknown>, signingInput: string, signature: string, keys: VerificationKey[]): string | null {
  const alg = typeof header.alg === 'string' && Object.hasOwn(ALGORITHMS, header.alg) ? header.alg : null
  if (alg === null) return `alg ${shown(header.alg)} is not accepted (${SIGNATURE_ALGORITHMS.join(', ')} are)`
  const a = ALGORITHMS[alg]
  if (signature === '' || !B64URL.test(signature)) return 'the signature is missing or not base64url'
  const kid = typeof header.kid === 'string' ? header.kid : null
  const named = `kid ${kid === null ? 'not given' : shown(kid)}, alg ${alg}`
  const fitting = keys.filter(k => (kid === null || k.kid === kid) && k.kty === a.kty && (a.crv === undefined || k.crv === a.crv) && (k.alg === null || k.alg === alg))
  if (fitting.length === 0) return `no key of the set fits (${named})`
  const data = Buffer.from(signingInput)
  const sig = Buffer.from(signature, 'base64url')
  const verifies = (k: VerificationKey): boolean => {
    try {
      return a.kty === 'EC'
        ? verify(a.hash, data, { key: k.key, dsaEncoding: 'ieee-p1363' }, sig)
        : verify(a.hash, data, a.pss === true ? { key: k.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : k.key, sig)
    } catch {
      return false // a signature OpenSSL cannot even parse does not verify either
    }
  }
  const good = fitting.some(verifies)
  return good ? null : `the signature does not verify (${named}): signed by a key not in the set, or altered`
}

/** A NumericDate claim in ms: undefined when absent, null when not a number. */
function dateClaim (claims: Record<string, unknown>, name: string): number | undefined | null {
  const v = claims[name]
  if (v === undefined) return undefined
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1000) : null
}

export function validateToken (token: string, rules: TokenRules, now: number): TokenVerdict {
  const parts = token.split('.')
  if (parts.length !== 3) return refuse(`not a JWS compact serialization (${parts.length === 5 ? 'an encrypted JWT (JWE) is not accepted' : `${parts.length} parts, not 3`})`)
  const [h, p, s] = parts
  const header = jsonPart(h)
  if (header === null) return refuse('the header is not base64url JSON')
  const claims = jsonPart(p)
  if (claims === null) return refuse('the claims are not base64url JSON')
  if (header.crit !== undefined) return refuse('the header has critical extensions (crit), which are not understood')
  if (rules.keys === null) {
    if (header.alg !== 'none' || s !== '') return refuse(`a signed token (alg ${shown(header.alg)}) while the broker accepts unsigned tokens only (--sasl-oauthbearer-unsecured; give --sasl-oauthbearer-jwks to verify signatures)`)
  } else {
    if (header.alg === 'none') return refuse('an unsigned token (alg none): the broker verifies signatures (only --sasl-oauthbearer-unsecured, on loopback, accepts unsigned tokens)')
    const problem = signatureProblem(header, `${h}.${p}`, s, rules.keys)
    if (problem !== null) return refuse(problem)
  }
  const skew = rules.clockSkewMs
  const exp = dateClaim(claims, 'exp')
  const iat = dateClaim(claims, 'iat')
  const nbf = dateClaim(claims, 'nbf')
  if (exp === undefined) return refuse('no exp claim (tokens must expire)')
  if (exp === null || iat === null || nbf === null) return refuse(`the ${exp === null ? 'exp' : iat === null ? 'iat' : 'nbf'} claim is not a number`)
  if (iat === undefined && rules.keys !== null) return refuse('no iat claim (Kafka requires it of signed tokens)')
  if (now - skew >= exp) return refuse(`expired: exp ${new Date(exp).toISOString()} is past (now ${new Date(now).toISOString()}, ${skew / 1000} s clock skew allowed)`)
  if (nbf !== undefined && now + skew < nbf) return refuse(`not valid yet: nbf ${new Date(nbf).toISOString()} (now ${new Date(now).toISOString()}, ${skew / 1000} s clock skew allowed)`)
  if (iat !== undefined && iat > exp) return refuse('iat is after exp')
  if (iat !== undefined && now + skew < iat) return refuse(`issued in the future: iat ${new Date(iat).toISOString()} (now ${new Date(now).toISOString()}, ${skew / 1000} s clock skew allowed)`)
  const aud = typeof claims.aud === 'string' ? [claims.aud] : claims.aud
  if (aud !== undefined && (!Array.isArray(aud) || aud.some(a => typeof a !== 'string'))) return refuse('the aud claim is not a string or a list of strings')
  if (rules.audience.length > 0 && (aud === undefined || !(aud as string[]).some(a => rules.audience.includes(a)))) return refuse(`the aud claim ${aud === undefined ? 'is missing' : `(${shown(aud)})`} does not name an expected audience (--sasl-oauthbearer-audience ${rules.audience.join(',')})`)
  if (rules.audience.length === 0 && aud !== undefined) return refuse(`the token names an audience (${shown(aud)}) but none is expected: set --sasl-oauthbearer-audience (as Kafka's validator, it refuses the token otherwise)`)
  if (rules.issuer !== null && claims.iss !== rules.issuer) return refuse(`the iss claim ${typeof claims.iss === 'string' ? `(${shown(claims.iss)})` : 'is missing and'} is not the expected issuer (--sasl-oauthbearer-issuer ${rules.issuer})`)
  const principal = claims[rules.subClaim]
  if (typeof principal !== 'string' || principal.trim() === '') return refuse(`no principal: the ${rules.subClaim} claim is missing, blank or not a string`)
  return { ok: true, principal: principal.trim(), expiresAt: exp }
}
