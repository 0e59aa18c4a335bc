// JWTs made in the tests with node:crypto, as an identity provider would issue them: a key pair
// per test run, its public half as a JWKS, tokens signed with the private half.
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

export type SigningAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'ES512'

export interface SigningKey { alg: SigningAlg, kid: string, privateKey: KeyObject, publicJwk: Record<string, unknown> }

const CURVE: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }

/**
 * A fresh key pair for `alg` (RSA 2048, or the alg's curve). Generated as PEM and read back:
 * Node 20 can deadlock when a garbage collection finalizes the generation job while a key it
 * returned is being exported or used (the job's destructor takes that key's lock), which a
 * run under load hit; keys read from PEM belong to no job.
 */
export function signingKey (alg: SigningAlg, kid: string, rsaBits = 2048): SigningKey {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const
  const pair = alg.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: CURVE[alg], publicKeyEncoding, privateKeyEncoding })
    : generateKeyPairSync('rsa', { modulusLength: rsaBits, publicKeyEncoding, privateKeyEncoding })
  return { alg, kid, privateKey: createPrivateKey(pair.privateKey), publicJwk: { ...createPublicKey(pair.publicKey).export({ format: 'jwk' }), kid, use: 'sig' } }
}

/** The public keys as a JSON Web Key Set. */
export const jwksOf = (...keys: SigningKey[]): { keys: Record<string, unknown>[] } => ({ keys: keys.map(k => k.publicJwk) })

const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

/** `claims` signed with `key` (header: alg, kid, typ JWT, with `header` on top). */
export function signJwt (claims: Record<string, unknown>, key: SigningKey, header: Record<string, unknown> = {}): string {
  const input = `${part({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })}.${part(claims)}`
  const hash = `sha${key.alg.slice(2)}`
  const signature = key.alg.startsWith('ES')
    ? sign(hash, Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : sign(hash, Buffer.from(input), key.alg.startsWith('PS') ? { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : key.privateKey)
  return `${input}.${signature.toString('base64url')}`
}

/** An unsecured JWS (alg none, empty signature), as librdkafka builds one for development. */
export const unsecuredJwt = (claims: Record<string, unknown>): string => `${part({ alg: 'none' })}.${part(claims)}.`

/** Seconds since the epoch, as JWT NumericDate claims are. */
export const seconds = (ms: number): number => Math.floor(ms / 1000)

/** The private key as PKCS#8 PEM, for a token command that signs tokens itself. */
export const privatePem = (key: SigningKey): string => key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()

/**
 * A token command, as an identity provider's CLI would be: a node script that prints a fresh
 * token at each run, signed (RS256) with the PEM key at argv[2], kid argv[3], for subject
 * argv[4], audience argv[5] and issuer argv[6], valid for argv[7] seconds.
 */
export const TOKEN_SCRIPT = `
import { readFileSync } from 'node:fs'
import { createPrivateKey, sign } from 'node:crypto'
const [pem, kid, sub, aud, iss, life] = process.argv.slice(2)
const part = v => Buffer.from(JSON.stringify(v)).toString('base64url')
const now = Math.floor(Date.now() / 1000)
const input = part({ alg: 'RS256', typ: 'JWT', kid }) + '.' + part({ sub, aud, iss, iat: now, exp: now + Number(life) })
console.log(input + '.' + sign('sha256', Buffer.from(input), createPrivateKey(readFileSync(pem))).toString('base64url'))
`
