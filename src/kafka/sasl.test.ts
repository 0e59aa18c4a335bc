import { test } from 'node:test'
import assert from 'node:assert/strict'
import { saslAuthenticate, SecurityError, type SaslTransport } from './sasl.js'

// The exact bytes of the exchange, against a fake broker answering from a script; every
// mechanism is also tested for real against the embedded broker (test/kafka-client-security,
// and for OAUTHBEARER test/kafka-oauthbearer).
function scripted (answers: ((body: any) => any)[]): SaslTransport & { sent: { apiKey: number, version: number, body: any }[] } {
  const sent: { apiKey: number, version: number, body: any }[] = []
  return {
    sent,
    version: (apiKey, min, max) => apiKey === 17 ? 1 : Math.min(max, 2),
    request: async (apiKey, version, body) => { sent.push({ apiKey, version, body }); return answers.shift()!(body) }
  }
}
const handshakeOk = (): any => ({ errorCode: 0, mechanisms: ['OAUTHBEARER'] })

test('OAUTHBEARER (fake broker): the token goes in RFC 7628\'s client first message; the session lifetime comes back', async () => {
  const t = scripted([handshakeOk, () => ({ errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 3_600_000 })])
  const lifetime = await saslAuthenticate(t, { mechanism: 'OAUTHBEARER', token: async () => 'eyJ.token.sig' })
  assert.equal(lifetime, 3_600_000)
  assert.deepEqual(t.sent.map(s => [s.apiKey, s.version]), [[17, 1], [36, 2]])
  assert.equal(t.sent[0].body.mechanism, 'OAUTHBEARER')
  assert.equal(t.sent[1].body.authBytes.toString(), 'n,,\u0001auth=Bearer eyJ.token.sig\u0001\u0001')
})

test('OAUTHBEARER (fake broker): a refused token comes as a JSON challenge, answered with %x01, and is a SecurityError with the status only', async () => {
  const t = scripted([handshakeOk, () => ({ errorCode: 0, errorMessage: null, authBytes: Buffer.from('{"status":"invalid_token","scope":"kafka"}'), sessionLifetimeMs: 0 }), () => ({ errorCode: 58, errorMessage: 'refused', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 })])
  const err = await saslAuthenticate(t, { mechanism: 'OAUTHBEARER', token: async () => 'secret-token' }).then(() => null, (e: Error) => e)
  assert.ok(err instanceof SecurityError)
  assert.equal(err.reason, 'sasl-token')
  assert.match(err.message, /refused the token \(invalid_token\)/)
  assert.doesNotMatch(err.message, /secret-token/)
  assert.deepEqual([...t.sent[2].body.authBytes], [1])
})

test('SaslHandshake refusals (fake broker): a mechanism not offered names what is, and SASL off on the listener says so', async () => {
  const offered = await saslAuthenticate(scripted([() => ({ errorCode: 33, mechanisms: ['SCRAM-SHA-512'] })]), { mechanism: 'PLAIN', username: 'u', password: () => 'p' }).catch((e: SecurityError) => e)
  assert.deepEqual([offered instanceof SecurityError && offered.reason, (offered as Error).message], ['sasl-mechanism', 'the broker does not offer SASL PLAIN (it offers SCRAM-SHA-512)'])
  const off = await saslAuthenticate(scripted([() => ({ errorCode: 34, mechanisms: [] })]), { mechanism: 'PLAIN', username: 'u', password: () => 'p' }).catch((e: SecurityError) => e)
  assert.equal(off instanceof SecurityError && off.reason, 'sasl-not-enabled')
})
