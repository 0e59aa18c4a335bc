// The pieces of SCRAM (RFC 5802, with SHA-256/512 per RFC 7677) that both ends of an exchange
// compute the same way: the broker's server side (broker/sasl/scram.ts) and Tidewatch's client
// side (kafka/sasl/scram-client.ts) use these and nothing of their own, so the two cannot drift.
//
//   SaltedPassword = Hi(password, salt, i)            (PBKDF2 with HMAC-H)
//   ClientKey      = HMAC(SaltedPassword, "Client Key")
//   StoredKey      = H(ClientKey)
//   ServerKey      = HMAC(SaltedPassword, "Server Key")
//   AuthMessage    = client-first-bare "," server-first "," client-final-without-proof
//   ClientProof    = ClientKey XOR HMAC(StoredKey, AuthMessage)
//   ServerSignature = HMAC(ServerKey, AuthMessage)
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto'

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

/** Kafka's bounds for SCRAM iterations (its ScramMechanism: 4096 to 16384). */
export const MIN_ITERATIONS = 4096
export const MAX_ITERATIONS = 16384

const HASH: Record<ScramMechanism, { name: 'sha256' | 'sha512', bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 }
}

export const isScramMechanism = (m: string): m is ScramMechanism => m === 'SCRAM-SHA-256' || m === 'SCRAM-SHA-512'
export const hashOf = (m: ScramMechanism): 'sha256' | 'sha512' => HASH[m].name
/** The length of the mechanism's keys, proofs and signatures. */
export const keyBytes = (m: ScramMechanism): number => HASH[m].bytes
export const hmac = (m: ScramMechanism, key: Buffer, data: string | Buffer): Buffer => createHmac(HASH[m].name, key).update(data).digest()
export const digest = (m: ScramMechanism, data: Buffer): Buffer => createHash(HASH[m].name).update(data).digest()

/** Hi(): PBKDF2 of the password (UTF-8; SASLprep is not applied, as Kafka's clients do not). */
export function saltedPassword (m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, HASH[m].bytes, HASH[m].name)
}

export function clientKeyOf (m: ScramMechanism, salted: Buffer): Buffer { return hmac(m, salted, 'Client Key') }
export function serverKeyOf (m: ScramMechanism, salted: Buffer): Buffer { return hmac(m, salted, 'Server Key') }

export function xor (a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i]
  return out
}

/** A fresh nonce: printable, without ',' (RFC 5802 allows any printable ASCII but ','). */
export function scramNonce (bytes = 18): string {
  return randomBytes(bytes).toString('base64')
}

/** Encodes a saslname (RFC 5802: ',' as =2C and '=' as =3D). */
export function encodeSaslName (s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C')
}

/** Decodes a saslname; null when malformed (an '=' not starting =2C or =3D). */
export function decodeSaslName (s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=')
}

/** Attributes of a SCRAM message (`k=v,k=v`), in order; a part that is not `k=v` has key ''. */
export function parseAttributes (s: string): [string, string][] {
  return s.split(',').map(part => {
    const eq = part.indexOf('=')
    return eq === 1 ? [part[0], part.slice(2)] : ['', part]
  })
}

/** The gs2 header a client without channel binding sends, as it appears base64'd in `c=`. */
export const GS2_HEADER = 'n,,'
