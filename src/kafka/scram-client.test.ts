import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ScramClient, ScramProtocolError } from './scram-client.js'
import { ScramExchange } from '../broker/sasl/scram.js'
import { deriveCredential } from '../broker/sasl/credentials.js'

// RFC 7677, section 3: the SCRAM-SHA-256 exchange for user "user", password "pencil".
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO'
const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO'
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

test('the SCRAM client sends RFC 7677\'s example exchange byte for byte and accepts its server signature', () => {
  const c = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE)
  assert.equal(c.first().toString(), CLIENT_FIRST)
  assert.equal(c.final(Buffer.from(SERVER_FIRST)).toString(), CLIENT_FINAL)
  assert.doesNotThrow(() => c.verify(Buffer.from(SERVER_FINAL)))
})

test('the SCRAM client refuses a wrong server signature, a nonce that is not its own, too few iterations, an error, and server-final first', () => {
  const answered = (): ScramClient => { const c = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE); c.final(Buffer.from(SERVER_FIRST)); return c }
  assert.throws(() => answered().verify(Buffer.from('v=' + Buffer.alloc(32).toString('base64'))), /server signature is wrong/)
  assert.throws(() => answered().verify(Buffer.from('e=invalid-proof')), /ended the exchange: invalid-proof/)
  assert.throws(() => new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE).final(Buffer.from(SERVER_FIRST.replace('r=rOpr', 'r=xOpr'))), /nonce does not extend/)
  assert.throws(() => new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE).final(Buffer.from(`r=${CLIENT_NONCE},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`)), /nonce does not extend/, 'the server must add its own part')
  assert.throws(() => new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE).final(Buffer.from(SERVER_FIRST.replace('i=4096', 'i=1024'))), /1024 iterations, outside 4096-16384/)
  assert.throws(() => new ScramClient('SCRAM-SHA-256', 'user', 'pencil', CLIENT_NONCE).final(Buffer.from('garbage')), ScramProtocolError)
  assert.throws(() => new ScramClient('SCRAM-SHA-256', 'user', 'pencil').verify(Buffer.from(SERVER_FINAL)), /server-final before server-first/)
})

test('the SCRAM client against the broker\'s server side: both mechanisms authenticate, each side proving the credential; a wrong password is refused by the server', () => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    // A user name with ',' and '=' is sent as a saslname (=2C, =3D) and read back as it was.
    const user = 'ali,ce=1'
    const credential = deriveCredential(mechanism, 'wonder land ü')
    const server = new ScramExchange(mechanism, u => u === user ? credential : undefined)
    const client = new ScramClient(mechanism, user, 'wonder land ü')
    const first = server.step(client.first())
    assert.equal(first.kind, 'challenge', mechanism)
    const done = server.step(client.final(first.kind === 'challenge' ? first.message : Buffer.alloc(0)))
    assert.equal(done.kind, 'done', mechanism)
    assert.equal(done.kind === 'done' && done.user, user)
    assert.doesNotThrow(() => client.verify(done.kind === 'done' ? done.message : Buffer.alloc(0)), `${mechanism}: the server's signature is accepted`)

    const wrongServer = new ScramExchange(mechanism, () => credential)
    const wrong = new ScramClient(mechanism, user, 'not the password')
    const challenge = wrongServer.step(wrong.first())
    const refused = wrongServer.step(wrong.final(challenge.kind === 'challenge' ? challenge.message : Buffer.alloc(0)))
    assert.deepEqual(refused, { kind: 'failed', reason: 'wrong password' }, mechanism)
  }
})

test('a server that does not hold the credential cannot fake server-final: the client notices', () => {
  const real = deriveCredential('SCRAM-SHA-512', 'secret')
  // An impostor that knows the salt (it is public in server-first) but not the password's keys.
  const impostor = new ScramExchange('SCRAM-SHA-512', () => ({ ...real, serverKey: Buffer.alloc(64, 7), storedKey: real.storedKey }))
  const client = new ScramClient('SCRAM-SHA-512', 'bob', 'secret')
  const first = impostor.step(client.first())
  const done = impostor.step(client.final(first.kind === 'challenge' ? first.message : Buffer.alloc(0)))
  assert.equal(done.kind, 'done', 'the impostor accepts the proof (it has the StoredKey)')
  assert.throws(() => client.verify(done.kind === 'done' ? done.message : Buffer.alloc(0)), /server signature is wrong/)
})
