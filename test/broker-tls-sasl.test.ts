// The embedded broker over TLS with SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, exercised by
// librdkafka (kcat, python confluent-kafka) against `tidewatch broker` started with its flags.
// A throwaway CA, server and client certificates are made with openssl for each run
// (test/helpers/certificates.ts).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import { Kafka, logLevel } from 'kafkajs'
import { BrokerProcess, CLI, PYTHON, run, tempDir } from './helpers/processes.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { makeTestCertificates } from './helpers/certificates.js'
import { waitFor } from './helpers/wait.js'

let dir: string
let broker: BrokerProcess
let brokerData: string
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']

const file = (name: string): string => path.join(dir, name)

before(async () => {
  dir = tempDir('tidewatch-tls-')
  makeTestCertificates(dir)
  // alice has a password (every mechanism); bob only a stored SCRAM-SHA-512 credential.
  const stored = await run(process.execPath, [CLI, 'broker', '--scram-credential', 'SCRAM-SHA-512'], { input: 'builder\n' })
  assert.equal(stored.code, 0, stored.stderr)
  assert.match(stored.stdout, /^SCRAM-SHA-512\$4096:/)
  fs.writeFileSync(file('users'), `# test users\nalice:wonderland\nbob:${stored.stdout.trim()}\n`)
  assert.doesNotMatch(fs.readFileSync(file('users'), 'utf8'), /builder/, 'the stored credential holds no password')
  brokerData = tempDir()
  broker = await BrokerProcess.start(brokerData, ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--sasl-users-file', file('users'), '--sasl-mechanisms', MECHANISMS.join(',')])
})

after(async () => {
  await broker?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(brokerData, { recursive: true, force: true })
})

const kcatSecurity = (mechanism: string, user: string, password: string, ca = 'ca.pem'): string[] =>
  ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, '-X', `ssl.ca.location=${file(ca)}`]

test('kcat produces and consumes over SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; a stored SCRAM credential works for its mechanism', async () => {
  const logins: [string, string, string][] = [...MECHANISMS.map(m => [m, 'alice', 'wonderland'] as [string, string, string]), ['SCRAM-SHA-512', 'bob', 'builder']]
  for (const [mechanism, user, password] of logins) {
    const r = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'secure', ...kcatSecurity(mechanism, user, password)], { input: `${user} via ${mechanism}\n`, timeoutMs: 60_000 })
    assert.equal(r.code, 0, `${user}/${mechanism}: ${r.stderr}`)
  }
  for (const [mechanism, user, password] of logins) {
    const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'secure', '-e', '-q', ...kcatSecurity(mechanism, user, password)], { timeoutMs: 60_000 })
    assert.equal(r.code, 0, `${user}/${mechanism}: ${r.stderr}`)
    assert.deepEqual(r.stdout.trim().split('\n').sort(), logins.map(([m, u]) => `${u} via ${m}`).sort(), `${user} reads every record over ${mechanism}`)
  }
})

const PYTHON_ROUND_TRIP = `
import sys, time
from confluent_kafka import Producer, Consumer
bootstrap, ca, mechanism = sys.argv[1], sys.argv[2], sys.argv[3]
sec = {'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': mechanism,
       'sasl.username': 'alice', 'sasl.password': 'wonderland', 'ssl.ca.location': ca}
topic = 'py-' + mechanism.lower()
p = Producer(sec)
for i in range(10): p.produce(topic, ('%s-%d' % (mechanism, i)).encode())
assert p.flush(60) == 0
c = Consumer(dict(sec, **{'group.id': 'py-' + mechanism, 'auto.offset.reset': 'earliest'}))
c.subscribe([topic])
got = []
deadline = time.time() + 60
while len(got) < 10 and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and not m.error(): got.append(m.value().decode())
c.close()
print(len(got), sorted(got) == sorted('%s-%d' % (mechanism, i) for i in range(10)))
`

test('python confluent-kafka produces and consumes over SASL_SSL with each mechanism, in a consumer group', async () => {
  for (const mechanism of MECHANISMS) {
    const r = await run(PYTHON, ['-c', PYTHON_ROUND_TRIP, broker.bootstrap, file('ca.pem'), mechanism], { timeoutMs: 120_000 })
    assert.equal(r.code, 0, `${mechanism}: ${r.stderr}`)
    assert.equal(r.stdout.trim(), '10 True', `${mechanism}: every record read back`)
  }
})

const PYTHON_FIRST_ERROR = `
import sys, time
from confluent_kafka import Producer
bootstrap, ca, mechanism, user, password = sys.argv[1:6]
errors = []
p = Producer({'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': mechanism,
              'sasl.username': user, 'sasl.password': password, 'ssl.ca.location': ca, 'error_cb': lambda e: errors.append(e)})
p.produce('never', b'x')
deadline = time.time() + 60
while not errors and time.time() < deadline: p.poll(0.2)
print(errors[0].name() if errors else 'no error', '|', errors[0].str() if errors else '')
`

const WRONG = 'N0t-her-Pa55word'

test('a wrong password, a mechanism the user has no credential for, or an untrusted CA fails with a clear error; the broker logs why without the secret; nothing is written', async () => {
  const cases: { args: string[], kcat: RegExp, python: RegExp }[] = [
    { args: ['ca.pem', 'SCRAM-SHA-256', 'alice', WRONG], kcat: /SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/, python: /^_AUTHENTICATION \| .*Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/ },
    { args: ['ca.pem', 'PLAIN', 'alice', WRONG], kcat: /SASL authentication error: Authentication failed: invalid username or password/, python: /^_AUTHENTICATION \| .*invalid username or password/ },
    { args: ['ca.pem', 'SCRAM-SHA-256', 'bob', 'builder'], kcat: /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/, python: /^_AUTHENTICATION \| / },
    { args: ['other-ca.pem', 'PLAIN', 'alice', 'wonderland'], kcat: /SSL handshake failed: .*certificate verify failed/, python: /^_(SSL|TRANSPORT) \| .*certificate verify failed/ }
  ]
  for (const c of cases) {
    const [ca, mechanism, user, password] = c.args
    const k = await run('kcat', ['-b', broker.bootstrap, '-L', '-m', '10', ...kcatSecurity(mechanism, user, password, ca)], { timeoutMs: 60_000 })
    assert.notEqual(k.code, 0, `kcat ${c.args.join(' ')} fails`)
    assert.match(k.stderr, c.kcat, `kcat ${c.args.join(' ')}`)
    const p = await run(PYTHON, ['-c', PYTHON_FIRST_ERROR, broker.bootstrap, file(ca), mechanism, user, password], { timeoutMs: 90_000 })
    assert.equal(p.code, 0, p.stderr)
    assert.match(p.stdout.trim(), c.python, `python ${c.args.join(' ')}`)
  }
  assert.equal(fs.existsSync(path.join(brokerData, 'topics', 'never')), false, 'nothing reached the broker through a failed login')
  const failures = broker.stderr.split('\n').filter(l => l.includes('SASL authentication failed')).map(l => JSON.parse(l) as { user: string, mechanism: string, reason: string })
  for (const [mechanism, reason] of [['SCRAM-SHA-256', 'wrong password'], ['PLAIN', 'wrong user or password']]) {
    assert.ok(failures.some(f => f.user === 'alice' && f.mechanism === mechanism && f.reason === reason), `logged: alice, ${mechanism}, ${reason}`)
  }
  assert.ok(failures.some(f => f.user === 'bob' && f.mechanism === 'SCRAM-SHA-256' && /no SCRAM-SHA-256 credential/.test(f.reason)))
  assert.match(broker.stderr, /"TLS handshake failed".*unknown ca|unknown ca.*"TLS handshake failed"/, 'the untrusted-CA handshake is logged with OpenSSL\'s reason')
  assert.doesNotMatch(broker.stderr, new RegExp(`${WRONG}|wonderland|builder`), 'no password in the broker\'s log')
})

test('before authentication over TLS: a large first frame closes the connection, ApiVersions is answered, Metadata closes it', async () => {
  const connect = (): Promise<tls.TLSSocket> => new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: broker.port, ca: fs.readFileSync(file('ca.pem')) }, () => resolve(s))
    s.once('error', reject)
  })
  const big = await connect()
  const closed = new Promise<void>(resolve => big.once('close', () => resolve()))
  const size = Buffer.alloc(4)
  size.writeInt32BE(600_000) // over the 512 KiB allowed before authentication
  big.write(size)
  await closed
  // ApiVersions v0 before authentication: answered over TLS.
  const small = await connect()
  try {
    const frame = Buffer.from('0000000e00120000000000070004746573740000', 'hex').subarray(0, 18)
    frame.writeInt32BE(frame.length - 4, 0)
    const reply = new Promise<Buffer>(resolve => small.once('data', d => resolve(d)))
    small.write(frame)
    const got = await reply
    assert.equal(got.readInt32BE(4), 7, 'the response carries our correlation id')
    assert.equal(got.readInt16BE(8), 0, 'ApiVersions answered without error')
    // Metadata v0 (all topics) before authenticating: the connection is closed, as Kafka does.
    const shut = new Promise<void>(resolve => small.once('close', () => resolve()))
    small.write(Buffer.from('000000120003000000000008000474657374' + '00000000', 'hex'))
    await shut
  } finally { small.destroy() }
  await waitFor(() => /Metadata before SASL authentication/.test(broker.stderr), { what: 'the refused Metadata logged', timeoutMs: 30_000 })
  assert.match(broker.stderr, /frame of 600000 bytes before SASL authentication, outside \[8, 524288\] \(--sasl-max-receive-bytes\)/)
})

const PYTHON_MTLS = `
import sys
from confluent_kafka import Producer
bootstrap, ca, cert, key = sys.argv[1:5]
p = Producer({'bootstrap.servers': bootstrap, 'security.protocol': 'SSL', 'ssl.ca.location': ca,
              'ssl.certificate.location': cert, 'ssl.key.location': key})
for i in range(5): p.produce('mtls', b'python %d' % i)
print(p.flush(60))
`

test('mutual TLS: with --tls-ca a client without a certificate, or with one another CA signed, is refused in the handshake; kcat and python with one signed by the CA are served', async () => {
  const mutualData = tempDir()
  const mutual = await BrokerProcess.start(mutualData, ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--tls-ca', file('ca.pem')])
  try {
    const base = ['-b', mutual.bootstrap, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${file('ca.pem')}`]
    const without = await run('kcat', [...base, '-L', '-m', '10'], { timeoutMs: 60_000 })
    assert.notEqual(without.code, 0)
    assert.match(without.stderr, /certificate required|alert/i, without.stderr)
    const stranger = await run('kcat', [...base, '-X', `ssl.certificate.location=${file('stranger.pem')}`, '-X', `ssl.key.location=${file('stranger.key')}`, '-L', '-m', '10'], { timeoutMs: 60_000 })
    assert.notEqual(stranger.code, 0)
    // Node's TLS refuses it after the handshake without an alert, so the client sees the
    // connection end at its first request; the broker's log says why.
    assert.match(stranger.stderr, /SSL handshake failed|alert|unexpected eof|Disconnected/i, stranger.stderr)
    await waitFor(() => /peer did not return a certificate/.test(mutual.stderr) && /client certificate refused \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): not signed by the CA given to the broker/.test(mutual.stderr), { what: 'both refusals logged', timeoutMs: 30_000 })
    const withCert = ['-X', `ssl.certificate.location=${file('client.pem')}`, '-X', `ssl.key.location=${file('client.key')}`]
    const produced = await run('kcat', [...base, ...withCert, '-P', '-t', 'mtls'], { input: 'over mutual TLS\n', timeoutMs: 60_000 })
    assert.equal(produced.code, 0, produced.stderr)
    const py = await run(PYTHON, ['-c', PYTHON_MTLS, mutual.bootstrap, file('ca.pem'), file('client.pem'), file('client.key')], { timeoutMs: 90_000 })
    assert.equal(py.code, 0, py.stderr)
    assert.equal(py.stdout.trim(), '0', 'python delivered every record')
    const consumed = await run('kcat', [...base, ...withCert, '-C', '-t', 'mtls', '-e', '-q'], { timeoutMs: 60_000 })
    assert.deepEqual(consumed.stdout.trim().split('\n').sort(), ['over mutual TLS', ...[0, 1, 2, 3, 4].map(i => `python ${i}`)])
  } finally {
    await mutual.stop()
    fs.rmSync(mutualData, { recursive: true, force: true })
  }
})

test('exposure: TLS without SASL on a non-loopback address is refused; TLS with SASL listens; bad users files name the line, not the secret', async () => {
  const data = tempDir()
  try {
    const tlsArgs = ['--tls-cert', file('server.pem'), '--tls-key', file('server.key')]
    const refused = await run(process.execPath, [CLI, 'broker', '--host', '0.0.0.0', '--port', '0', '--data-dir', data, ...tlsArgs], { timeoutMs: 30_000 })
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0 without authentication.*--sasl-users-file FILE.*--allow-unauthenticated/)
    const exposed = await BrokerProcess.start(data, ['--host', '0.0.0.0', ...tlsArgs, '--sasl-users-file', file('users')])
    await exposed.stop()
    fs.writeFileSync(file('bad-users'), 'carol:s3cret-password\ndave:SCRAM-SHA-256$1000:c2FsdA==$AAAA:AAAA\n')
    const bad = await run(process.execPath, [CLI, 'broker', '--port', '0', '--data-dir', data, '--sasl-users-file', file('bad-users')], { timeoutMs: 30_000 })
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /bad-users:2: user 'dave': iterations must be 4096-16384/)
    assert.doesNotMatch(bad.stderr, /s3cret-password/)
    const mechanism = await run(process.execPath, [CLI, 'broker', '--port', '0', '--data-dir', data, '--sasl-users-file', file('users'), '--sasl-mechanisms', 'PLAIN,GSSAPI'], { timeoutMs: 30_000 })
    assert.equal(mechanism.code, 2)
    assert.match(mechanism.stderr, /--sasl-mechanisms: unknown mechanism GSSAPI \(supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER\)/)
  } finally {
    fs.rmSync(data, { recursive: true, force: true })
  }
})

test('BrokerOptions tls and sasl (in-process broker): kafkajs with SCRAM-SHA-256 and SCRAM-SHA-512 over TLS; PLAIN is off when not listed', async () => {
  const b = await startTempBroker({
    tls: { cert: fs.readFileSync(file('server.pem')), key: fs.readFileSync(file('server.key')) },
    sasl: { users: [{ name: 'erin', password: 'pa55' }], mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] }
  })
  try {
    for (const mechanism of ['scram-sha-256', 'scram-sha-512'] as const) {
      const kafka = new Kafka({ brokers: [b.bootstrap], clientId: 'tls-kafkajs', logLevel: logLevel.NOTHING, ssl: { ca: [fs.readFileSync(file('ca.pem'), 'utf8')] }, sasl: { mechanism, username: 'erin', password: 'pa55' } as any })
      const producer = kafka.producer()
      await producer.connect()
      await producer.send({ topic: 'opts', messages: [{ value: mechanism }] })
      await producer.disconnect()
    }
    assert.equal(b.core.logs.getTopic('opts')!.partitions.reduce((n, p) => n + p.logEndOffset, 0), 2)
    const plain = new Kafka({ brokers: [b.bootstrap], clientId: 'tls-plain', logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl: { ca: [fs.readFileSync(file('ca.pem'), 'utf8')] }, sasl: { mechanism: 'plain', username: 'erin', password: 'pa55' } })
    const refused = plain.producer()
    await assert.rejects(refused.connect(), /PLAIN|mechanism|UNSUPPORTED_SASL_MECHANISM|not supported/i)
    await refused.disconnect().catch(() => {})
  } finally {
    await b.close()
  }
})
