import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../shared/clock.js'
import { parseJwks } from './jwks.js'
import { validateToken, type TokenRules, type TokenVerdict } from './jwt.js'
import { jwksOf, seconds, signingKey, signJwt, unsecuredJwt } from '../../../test/helpers/jwt.js'

const rsa = signingKey('RS256', 'rsa-1')
const ec = signingKey('ES256', 'ec-1')
const other = signingKey('RS256', 'rsa-1') // same kid, another key: what a forger would send
const keys = parseJwks(jwksOf(rsa, ec))
if (typeof keys === 'string') throw new Error(keys)

const rules = (over: Partial<TokenRules> = {}): TokenRules => ({ keys, audience: [], issuer: null, subClaim: 'sub', clockSkewMs: 30_000, ...over })
const refusedFor = (v: TokenVerdict): string => { assert.equal(v.ok, false, 'the token is refused'); return (v as { reason: string }).reason }

/** Claims valid for an hour from the clock's now. */
const claims = (clock: ManualClock, over: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ sub: 'alice', iat: seconds(clock.now()), exp: seconds(clock.now()) + 3600, ...over })

test('a token signed by a key of the set is accepted, RS256, PS256, ES256 (and ES384, ES512 by their curve): the principal is sub, the expiry exp', () => {
  const clock = new ManualClock()
  for (const key of [rsa, ec]) {
    const v = validateToken(signJwt(claims(clock), key), rules(), clock.now())
    assert.deepEqual(v, { ok: true, principal: 'alice', expiresAt: (seconds(clock.now()) + 3600) * 1000 }, key.alg)
  }
  const ps = signingKey('PS256', 'ps')
  const es384 = signingKey('ES384', 'es384')
  const es512 = signingKey('ES512', 'es512')
  const more = parseJwks(jwksOf(ps, es384, es512)) as Exclude<ReturnType<typeof parseJwks>, string>
  for (const key of [ps, es384, es512]) assert.equal(validateToken(signJwt(claims(clock), key), rules({ keys: more }), clock.now()).ok, true, key.alg)
  // Without a kid every key of the right type is tried.
  assert.equal(validateToken(signJwt(claims(clock), ec, { kid: undefined }), rules(), clock.now()).ok, true)
})

test('signatures: another key with the same kid, an altered payload, a kid not in the set, an alg the key does not fit, HS256 and alg none are refused', () => {
  const clock = new ManualClock()
  assert.match(refusedFor(validateToken(signJwt(claims(clock), other), rules(), clock.now())), /signature does not verify \(kid rsa-1, alg RS256\)/)
  const [h, , s] = signJwt(claims(clock), rsa).split('.')
  const forged = `${h}.${Buffer.from(JSON.stringify(claims(clock, { sub: 'admin' }))).toString('base64url')}.${s}`
  assert.match(refusedFor(validateToken(forged, rules(), clock.now())), /signature does not verify/)
  assert.match(refusedFor(validateToken(signJwt(claims(clock), rsa, { kid: 'unknown' }), rules(), clock.now())), /no key of the set fits \(kid unknown, alg RS256\)/)
  // An RSA key's kid named with an EC alg: the signature would be checked with the wrong type.
  assert.match(refusedFor(validateToken(signJwt(claims(clock), ec, { kid: 'rsa-1' }), rules(), clock.now())), /no key of the set fits \(kid rsa-1, alg ES256\)/)
  assert.match(refusedFor(validateToken(signJwt(claims(clock), rsa, { alg: 'HS256' }), rules(), clock.now())), /alg HS256 is not accepted/)
  assert.match(refusedFor(validateToken(unsecuredJwt(claims(clock)), rules(), clock.now())), /unsigned token \(alg none\).*--sasl-oauthbearer-unsecured/)
  // alg none with a signature part left on is refused too.
  assert.match(refusedFor(validateToken(unsecuredJwt(claims(clock)) + 'c2ln', rules(), clock.now())), /unsigned token/)
  assert.match(refusedFor(validateToken(signJwt(claims(clock), rsa, { alg: 'constructor' }), rules(), clock.now())), /alg constructor is not accepted/)
})

test('time: exp is required and may be passed by at most the clock skew; nbf and iat in the future beyond it are refused; iat is required of signed tokens', () => {
  const clock = new ManualClock()
  const token = signJwt(claims(clock), rsa)
  clock.advance(3600_000 + 29_000)
  assert.equal(validateToken(token, rules(), clock.now()).ok, true, 'within the 30 s skew after exp')
  clock.advance(1000)
  assert.match(refusedFor(validateToken(token, rules(), clock.now())), /^expired: exp .* is past \(now .*, 30 s clock skew allowed\)$/)
  assert.match(refusedFor(validateToken(token, rules({ clockSkewMs: 0 }), clock.now() - 30_000)), /^expired/, 'no skew: refused at exp')
  assert.match(refusedFor(validateToken(signJwt(claims(clock, { exp: undefined }), rsa), rules(), clock.now())), /no exp claim/)
  assert.match(refusedFor(validateToken(signJwt(claims(clock, { exp: '2099-01-01' }), rsa), rules(), clock.now())), /exp claim is not a number/)
  assert.match(refusedFor(validateToken(signJwt(claims(clock, { iat: undefined }), rsa), rules(), clock.now())), /no iat claim/)
  const later = seconds(clock.now()) + 60
  assert.match(refusedFor(validateToken(signJwt(claims(clock, { nbf: later }), rsa), rules(), clock.now())), /^not valid yet: nbf/)
  assert.equal(validateToken(signJwt(claims(clock, { nbf: seconds(clock.now()) + 20 }), rsa), rules(), clock.now()).ok, true, 'nbf within the skew')
  assert.match(refusedFor(validateToken(signJwt(claims(clock, { iat: later }), rsa), rules(), clock.now())), /^issued in the future/)
  assert.match(refusedFor(validateToken(signJwt(claims(clock, { iat: seconds(clock.now()) + 7200 }), rsa), rules(), clock.now())), /iat is after exp/)
  clock.advance(60_000)
  assert.equal(validateToken(signJwt(claims(clock, { nbf: later }), rsa), rules(), clock.now()).ok, true, 'once nbf is reached')
})

test('audience and issuer: aud must name an expected audience (string or list); a token naming one when none is expected is refused; iss must match exactly', () => {
  const clock = new ManualClock()
  const aud = (a: unknown, r: Partial<TokenRules>): TokenVerdict => validateToken(signJwt(claims(clock, { aud: a }), rsa), rules(r), clock.now())
  assert.equal(aud('kafka', { audience: ['kafka'] }).ok, true)
  assert.equal(aud(['web', 'kafka'], { audience: ['kafka', 'other'] }).ok, true)
  assert.match(refusedFor(aud('web', { audience: ['kafka'] })), /aud claim \(web\) does not name an expected audience \(--sasl-oauthbearer-audience kafka\)/)
  assert.match(refusedFor(aud(undefined, { audience: ['kafka'] })), /aud claim is missing/)
  assert.match(refusedFor(aud('kafka', {})), /names an audience \(kafka\) but none is expected: set --sasl-oauthbearer-audience/)
  assert.match(refusedFor(aud(7, { audience: ['kafka'] })), /aud claim is not a string or a list of strings/)
  const iss = (i: unknown): TokenVerdict => validateToken(signJwt(claims(clock, { iss: i }), rsa), rules({ issuer: 'https://idp.example/realms/k' }), clock.now())
  assert.equal(iss('https://idp.example/realms/k').ok, true)
  assert.match(refusedFor(iss('https://idp.example/realms/k/')), /iss claim \(https:\/\/idp\.example\/realms\/k\/\) is not the expected issuer/)
  assert.match(refusedFor(iss(undefined)), /iss claim is missing and is not the expected issuer/)
})

test('the principal comes from the configured claim, trimmed; a missing, blank or non-string one is refused', () => {
  const clock = new ManualClock()
  const v = validateToken(signJwt(claims(clock, { client_id: ' shipper ' }), rsa), rules({ subClaim: 'client_id' }), clock.now())
  assert.deepEqual(v.ok && v.principal, 'shipper')
  for (const sub of [undefined, '  ', 42]) {
    assert.match(refusedFor(validateToken(signJwt(claims(clock, { sub }), rsa), rules(), clock.now())), /no principal: the sub claim is missing, blank or not a string/)
  }
})

test('unsecured mode accepts alg none tokens only (iat optional), with the same claim checks; a signed token is refused there', () => {
  const clock = new ManualClock()
  const unsecured = rules({ keys: null, clockSkewMs: 0 })
  assert.deepEqual(validateToken(unsecuredJwt({ sub: 'dev', exp: seconds(clock.now()) + 60 }), unsecured, clock.now()), { ok: true, principal: 'dev', expiresAt: (seconds(clock.now()) + 60) * 1000 })
  assert.match(refusedFor(validateToken(unsecuredJwt({ sub: 'dev' }), unsecured, clock.now())), /no exp claim/)
  assert.match(refusedFor(validateToken(unsecuredJwt({ sub: 'dev', exp: seconds(clock.now()) }), unsecured, clock.now())), /^expired/)
  assert.match(refusedFor(validateToken(signJwt(claims(clock), rsa), unsecured, clock.now())), /signed token \(alg RS256\) while the broker accepts unsigned tokens only/)
})

test('malformed tokens are refused with a reason and never echoed: wrong part count, JWE, non-base64url, non-JSON, a JSON array, crit headers', () => {
  const clock = new ManualClock()
  const good = signJwt(claims(clock), rsa)
  const [h, p, s] = good.split('.')
  const b64 = (v: string): string => Buffer.from(v).toString('base64url')
  const cases: [string, RegExp][] = [
    ['', /1 parts, not 3/],
    [`${h}.${p}`, /2 parts, not 3/],
    [`${h}.${p}.${s}.x.y`, /encrypted JWT \(JWE\) is not accepted/],
    [`${h}!.${p}.${s}`, /header is not base64url JSON/],
    [`${b64('{"alg":')}.${p}.${s}`, /header is not base64url JSON/],
    [`${h}.${b64('[1,2]')}.${s}`, /claims are not base64url JSON/],
    [`${h}.${b64('null')}.${s}`, /claims are not base64url JSON/],
    [`${h}.${p}.${s}*`, /signature is missing or not base64url/],
    [`${h}.${p}.`, /signature is missing/],
    [signJwt(claims(clock), rsa, { crit: ['exp'] }), /critical extensions/]
  ]
  for (const [token, reason] of cases) {
    const why = refusedFor(validateToken(token, rules(), clock.now()))
    assert.match(why, reason, JSON.stringify(token.slice(0, 40)))
    if (token.length > 20) assert.ok(!why.includes(token) && !why.includes(p), 'the token is not in the reason')
  }
})

test('parseJwks: RSA and EC public keys; private keys, symmetric keys, small RSA keys, unknown curves and non-sets are refused naming the key; enc keys are left out', () => {
  assert.equal((parseJwks(jwksOf(rsa, ec)) as unknown[]).length, 2)
  assert.match(parseJwks({ keys: [{ ...rsa.privateKey.export({ format: 'jwk' }), kid: 'leak' }] }) as string, /^keys\[0\] \(kid leak\): holds a private key \('d'\): give the public key only$/)
  assert.match(parseJwks({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) as string, /^keys\[0\]: kty oct is not usable/)
  assert.match(parseJwks(jwksOf(signingKey('RS256', 'small', 1024))) as string, /^keys\[0\] \(kid small\): an RSA key of 1024 bits; at least 2048/)
  assert.match(parseJwks({ keys: [{ ...ec.publicJwk, crv: 'secp256k1' }] }) as string, /curve secp256k1 is not usable/)
  assert.match(parseJwks({ keys: [{ kty: 'RSA', n: 'AQAB' }] }) as string, /^keys\[0\]: not a usable RSA public key/)
  assert.match(parseJwks([rsa.publicJwk]) as string, /an object with a "keys" array/)
  assert.match(parseJwks({ keys: [{ ...rsa.publicJwk, use: 'enc' }] }) as string, /no signature keys/)
  assert.equal((parseJwks({ keys: [{ ...rsa.publicJwk, use: 'enc', kid: 'e' }, ec.publicJwk] }) as unknown[]).length, 1)
})
