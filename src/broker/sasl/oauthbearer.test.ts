import { test } from 'node:test'
import assert from 'node:assert/strict'
import { OAuthBearerExchange, parseClientResponse, INVALID_TOKEN } from './oauthbearer.js'
import type { TokenVerdict } from './jwt.js'

const msg = (s: string): Buffer => Buffer.from(s, 'utf8')
// A stand-in validator (the real one is tested in jwt.test.ts): accepts the token 'good.t.s' as alice.
const validate = (token: string): TokenVerdict => token === 'good.t.s' ? { ok: true, principal: 'alice', expiresAt: 1_700_000_360_000 } : { ok: false, reason: 'expired: …' }

test('RFC 7628 client responses: the token and authzid are read; extensions are ignored; anything else is refused with a reason', () => {
  assert.deepEqual(parseClientResponse('n,,\u0001auth=Bearer good.t.s\u0001\u0001'), { authzid: '', token: 'good.t.s' })
  assert.deepEqual(parseClientResponse('n,a=al=2Cice,\u0001host=kafka\u0001auth=bearer  good.t.s\u0001port=9092\u0001\u0001'), { authzid: 'al,ice', token: 'good.t.s' })
  const bad: [string, RegExp][] = [
    ['y,,\u0001auth=Bearer x\u0001\u0001', /GS2 header/],
    ['p=tls-unique,,\u0001auth=Bearer x\u0001\u0001', /GS2 header/],
    ['n,,\u0001auth=Bearer x\u0001', /end with two %x01/],
    ['n,,\u0001\u0001', /no auth=Bearer/],
    ['n,,\u0001auth=Basic YWxpY2U6cHc=\u0001\u0001', /auth is not "Bearer <token>"/],
    ['n,,\u0001auth=Bearer a b\u0001\u0001', /auth is not "Bearer <token>"/],
    ['n,,\u0001auth=Bearer x\u0001auth=Bearer y\u0001\u0001', /auth given twice/],
    ['n,,\u00011nvalid\u0001\u0001', /key=value pair is not one/],
    ['n,a=x=y,\u0001auth=Bearer x\u0001\u0001', /not a SASL name/],
    ['', /GS2 header/]
  ]
  for (const [text, reason] of bad) assert.match(parseClientResponse(text) as string, reason, JSON.stringify(text))
})

test('an accepted token ends the exchange in one step, with the principal and the token\'s expiry; an authzid other than the principal fails', () => {
  assert.deepEqual(new OAuthBearerExchange(validate).step(msg('n,,\u0001auth=Bearer good.t.s\u0001\u0001')), { kind: 'done', user: 'alice', message: Buffer.alloc(0), expiresAt: 1_700_000_360_000 })
  assert.equal(new OAuthBearerExchange(validate).step(msg('n,a=alice,\u0001auth=Bearer good.t.s\u0001\u0001')).kind, 'done')
  const other = new OAuthBearerExchange(validate).step(msg('n,a=admin,\u0001auth=Bearer good.t.s\u0001\u0001'))
  assert.equal(other.kind, 'failed')
  assert.match((other as { clientMessage: string }).clientMessage, /authorization id other than the token's principal/)
})

test('a refused token gets the error challenge {"status":"invalid_token"} with the reason for the log; the client\'s %x01 then fails the exchange, anything else too', () => {
  const x = new OAuthBearerExchange(validate)
  const challenge = x.step(msg('n,,\u0001auth=Bearer bad.t.s\u0001\u0001'))
  assert.deepEqual(challenge, { kind: 'challenge', message: Buffer.from(INVALID_TOKEN), refused: 'token refused: expired: …' })
  assert.deepEqual(JSON.parse(INVALID_TOKEN), { status: 'invalid_token' })
  assert.deepEqual(x.step(Buffer.from([1])), { kind: 'failed', reason: 'the client acknowledged the refused token', clientMessage: INVALID_TOKEN, logged: true })
  assert.equal(x.step(Buffer.from([1])).kind, 'failed', 'the exchange is over')
  const y = new OAuthBearerExchange(validate)
  y.step(msg('n,,\u0001auth=Bearer bad.t.s\u0001\u0001'))
  assert.deepEqual(y.step(msg('n,,\u0001auth=Bearer good.t.s\u0001\u0001')), { kind: 'failed', reason: 'expected %x01 after the error challenge' })
  // A malformed first message fails at once, with Kafka's generic message.
  const z = new OAuthBearerExchange(validate).step(msg('n,,auth=Bearer good.t.s'))
  assert.equal(z.kind, 'failed')
  assert.match((z as { clientMessage: string }).clientMessage, /^Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER$/)
})
