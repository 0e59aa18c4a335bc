import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ScramExchange } from './scram.js'
import { deriveCredential, formatCredential, parseCredential, parseUsersFile } from './credentials.js'

// RFC 7677, section 3: the SCRAM-SHA-256 exchange for user "user", password "pencil".
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64')
const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO'
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
const SERVER_FINAL = 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='

const exchange = (password = 'pencil'): ScramExchange => {
  const credential = deriveCredential('SCRAM-SHA-256', password, 4096, SALT)
  return new ScramExchange('SCRAM-SHA-256', user => user === 'user' ? credential : undefined, () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0')
}

test('SCRAM-SHA-256 answers RFC 7677\'s example exchange byte for byte', () => {
  const ex = exchange()
  const first = ex.step(Buffer.from(CLIENT_FIRST))
  assert.equal(first.kind, 'challenge')
  assert.equal(first.kind === 'challenge' && first.message.toString(), SERVER_FIRST)
  const final = ex.step(Buffer.from(CLIENT_FINAL))
  assert.deepEqual(final.kind === 'done' && [final.user, final.message.toString()], ['user', SERVER_FINAL])
})

test('SCRAM refuses a wrong password, an unknown user, a changed nonce, channel binding, and a third message', () => {
  const wrong = exchange('pen')
  wrong.step(Buffer.from(CLIENT_FIRST))
  assert.deepEqual(wrong.step(Buffer.from(CLIENT_FINAL)), { kind: 'failed', reason: 'wrong password' })
  assert.equal(exchange().step(Buffer.from('n,,n=nobody,r=abc')).kind, 'failed')
  const nonce = exchange()
  nonce.step(Buffer.from(CLIENT_FIRST))
  assert.deepEqual(nonce.step(Buffer.from(CLIENT_FINAL.replace('$k0,', '$k1,'))), { kind: 'failed', reason: 'nonce mismatch' })
  assert.equal(exchange().step(Buffer.from('p=tls-unique,,n=user,r=abc')).kind, 'failed')
  const done = exchange()
  done.step(Buffer.from(CLIENT_FIRST))
  done.step(Buffer.from(CLIENT_FINAL))
  assert.equal(done.step(Buffer.from(CLIENT_FINAL)).kind, 'failed')
})

test('stored credentials round-trip in RFC 5803 form; users files parse passwords and credentials, naming bad lines', () => {
  const c = deriveCredential('SCRAM-SHA-512', 'secret')
  const text = formatCredential('SCRAM-SHA-512', c)
  assert.match(text, /^SCRAM-SHA-512\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/)
  assert.deepEqual(parseCredential(text), { mechanism: 'SCRAM-SHA-512', credential: c })
  const users = parseUsersFile(`# comment\nalice:pw\n\nbob:${text}\n`, 'users')
  assert.deepEqual(users, [{ name: 'alice', password: 'pw' }, { name: 'bob', scram: [text] }])
  assert.deepEqual(parseUsersFile('nobody\n', 'users'), { error: "users:1: expected 'user:password' or 'user:SCRAM-SHA-256$...'" })
  assert.match((parseUsersFile('x:SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA\n', 'users') as { error: string }).error, /^users:1: user 'x': SCRAM-SHA-256 keys must be 32 bytes$/)
})
