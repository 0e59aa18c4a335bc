// The keys OAUTHBEARER tokens may be signed with: a JSON Web Key Set (RFC 7517), as an identity
// provider publishes it at its jwks_uri and as Kafka reads it (sasl.oauthbearer.jwks.endpoint.url,
// a file: URL included). Only RSA and EC public keys are used: a token's signature is checked
// with node:crypto, and a symmetric or private key in a file meant to be shareable is a mistake
// worth stopping at (whoever reads the file could then sign tokens).
import { createPublicKey, type KeyObject } from 'node:crypto'

export interface VerificationKey {
  kid: string | null
  /** The algorithm the key is restricted to, when the set says so. */
  alg: string | null
  kty: 'RSA' | 'EC'
  /** EC keys: P-256, P-384 or P-521. */
  crv: string | null
  key: KeyObject
}

/** jose4j, which Kafka's validator uses, refuses smaller RSA keys too. */
export const MIN_RSA_BITS = 2048

const CURVES = ['P-256', 'P-384', 'P-521']
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One key of the set, or why it cannot be used. */
function parseKey (jwk: unknown, at: string): VerificationKey | string {
  if (!isObject(jwk)) return `${at}: expected a JSON object (a JWK)`
  const name = typeof jwk.kid === 'string' ? `${at} (kid ${jwk.kid})` : at
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') return `${name}: kty ${String(jwk.kty)} is not usable (RSA and EC public keys are)`
  if (PRIVATE_MEMBERS.some(m => m in jwk)) return `${name}: holds a private key ('${PRIVATE_MEMBERS.find(m => m in jwk)!}'): give the public key only`
  if (jwk.kty === 'EC' && !CURVES.includes(String(jwk.crv))) return `${name}: curve ${String(jwk.crv)} is not usable (P-256, P-384, P-521 are)`
  let key: KeyObject
  try {
    key = createPublicKey({ key: jwk as any, format: 'jwk' })
  } catch (err) {
    return `${name}: not a usable ${jwk.kty} public key (${(err as Error).message})`
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (jwk.kty === 'RSA' && bits < MIN_RSA_BITS) return `${name}: an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are needed`
  return { kid: typeof jwk.kid === 'string' ? jwk.kid : null, alg: typeof jwk.alg === 'string' ? jwk.alg : null, kty: jwk.kty, crv: jwk.kty === 'EC' ? String(jwk.crv) : null, key }
}

/**
 * The signature keys of a JWKS document (already parsed JSON), or why it cannot be used. Keys
 * marked for encryption (`use: enc`), which a provider's set may also hold, are left out.
 */
export function parseJwks (doc: unknown): VerificationKey[] | string {
  if (!isObject(doc) || !Array.isArray(doc.keys)) return 'expected a JSON Web Key Set: an object with a "keys" array (RFC 7517)'
  const keys: VerificationKey[] = []
  for (const [i, jwk] of doc.keys.entries()) {
    if (isObject(jwk) && jwk.use === 'enc') continue
    const parsed = parseKey(jwk, `keys[${i}]`)
    if (typeof parsed === 'string') return parsed
    keys.push(parsed)
  }
  if (keys.length === 0) return 'the set has no signature keys'
  return keys
}
