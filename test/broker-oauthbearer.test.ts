// The embedded broker serving SASL OAUTHBEARER (RFC 7628, KIP-768's JWT validation) to
// librdkafka: `tidewatch broker` over TLS with a JWKS file of an RS256 and an ES256 key made in
// the test, python confluent-kafka authenticating with an oauth_cb that returns tokens signed in
// the test, and kcat building librdkafka's own unsecured tokens against a broker started with
// --sasl-oauthbearer-unsecured (librdkafka 2.0.2 here is built without libcurl, so its
// sasl.oauthbearer.method=oidc cannot be used), and `tidewatch up` with the same settings in its
// project file's broker block. Refused tokens, bad key sets and an unsigned broker off loopback
// each end in one explained line; no token is ever logged.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrokerProcess, CLI, PYTHON, run, tempDir } from './helpers/processes.js'
import { makeTestCertificates } from './helpers/certificates.js'
import { jwksOf, seconds, signingKey, signJwt, unsecuredJwt } from './helpers/jwt.js'
import { waitFor } from './helpers/wait.js'
import { startUp } from './helpers/tidewatch-up.js'
import { accessLogRecord, DEMO_PODS, seededRandom } from '../src/demo/access-logs.js'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'logs-handler')

const ISSUER = 'https://idp.test/realms/logs'
const rsa = signingKey('RS256', 'idp-rsa')
const ec = signingKey('ES256', 'idp-ec')
const stranger = signingKey('RS256', 'idp-rsa') // the kid of a trusted key, but not its key

let dir: string
let brokerData: string
let broker: BrokerProcess
const file = (name: string): string => path.join(dir, name)

before(async () => {
  dir = tempDir('tidewatch-oauth-')
  makeTestCertificates(dir)
  fs.writeFileSync(file('jwks.json'), JSON.stringify(jwksOf(rsa, ec)))
  // Tokens for applications, and one password user (an operator's kcat) beside them.
  fs.writeFileSync(file('users'), 'auditor:Audit-Pa55\n')
  brokerData = tempDir()
  broker = await BrokerProcess.start(brokerData, ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--sasl-users-file', file('users'), '--sasl-oauthbearer-jwks', file('jwks.json'), '--sasl-oauthbearer-audience', 'kafka', '--sasl-oauthbearer-issuer', ISSUER])
})

after(async () => {
  await broker?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(brokerData, { recursive: true, force: true })
})

/** Claims an identity provider would put in an access token for `sub`, valid for an hour. */
const claims = (sub: string, over: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ sub, aud: 'kafka', iss: ISSUER, iat: seconds(Date.now()), exp: seconds(Date.now()) + 3600, ...over })

// python confluent-kafka (librdkafka) with an oauth_cb: produces `count` records with the token,
// then, if asked, reads them back in a consumer group with it. Prints one JSON line.
const PYTHON_OAUTH = `
import sys, json, time
from confluent_kafka import Producer, Consumer
bootstrap, ca, token, topic, count, consume = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6] == 'yes'
errors = []
sec = {'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'OAUTHBEARER', 'ssl.ca.location': ca,
       'oauth_cb': lambda config: (token, time.time() + 3600), 'error_cb': lambda e: errors.append(str(e))}
delivered = []
p = Producer(sec)
for i in range(count):
    p.produce(topic, ('%s-%d' % (topic, i)).encode(), on_delivery=lambda err, m: delivered.append(err is None))
# Until every record is acknowledged, or the broker refused the authentication.
deadline = time.time() + 60
while len(p) > 0 and time.time() < deadline and not any('_AUTHENTICATION' in e for e in errors):
    p.flush(0.2)
left = len(p)
got = []
if consume:
    c = Consumer(dict(sec, **{'group.id': 'oauth-' + topic, 'auto.offset.reset': 'earliest'}))
    c.subscribe([topic])
    deadline = time.time() + 60
    while len(got) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error(): got.append(m.value().decode())
    c.close()
print(json.dumps({'left': left, 'delivered': delivered, 'got': sorted(got), 'errors': errors[:3]}))
`

interface PythonResult { left: number, delivered: boolean[], got: string[], errors: string[] }

async function python (token: string, topic: string, count: number, consume: boolean): Promise<PythonResult> {
  const r = await run(PYTHON, ['-c', PYTHON_OAUTH, broker.bootstrap, file('ca.pem'), token, topic, String(count), consume ? 'yes' : 'no'], { timeoutMs: 120_000 })
  assert.equal(r.signal, null, `python ended by itself: ${r.stderr}`)
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PythonResult
}

test('python confluent-kafka authenticates with OAUTHBEARER (an oauth_cb returning a JWT signed in the test, RS256 and ES256) over SASL_SSL, beside SCRAM users: it produces and consumes in a group', async () => {
  for (const [key, topic] of [[rsa, 'oauth-rs256'], [ec, 'oauth-es256']] as const) {
    const r = await python(signJwt(claims('shipper'), key), topic, 5, true)
    assert.deepEqual([r.left, r.delivered], [0, [true, true, true, true, true]], `${key.alg}: every record acknowledged: ${r.errors.join('; ')}`)
    assert.deepEqual(r.got, [0, 1, 2, 3, 4].map(i => `${topic}-${i}`), `${key.alg}: read back over OAUTHBEARER`)
  }
})

test('refused tokens — expired, signed by another key, for another audience, from another issuer, unsigned — get {"status":"invalid_token"} in librdkafka; nothing is written; the broker logs each reason, never the token', async () => {
  const cases: [string, string, RegExp][] = [
    ['expired', signJwt(claims('shipper', { iat: seconds(Date.now()) - 7200, exp: seconds(Date.now()) - 3600 }), rsa), /token refused: expired: exp .* is past/],
    ['another key', signJwt(claims('shipper'), stranger), /token refused: the signature does not verify \(kid idp-rsa, alg RS256\)/],
    ['another audience', signJwt(claims('shipper', { aud: 'web' }), ec), /token refused: the aud claim \(web\) does not name an expected audience/],
    ['another issuer', signJwt(claims('shipper', { iss: 'https://evil.test' }), ec), /token refused: the iss claim \(https:\/\/evil\.test\) is not the expected issuer/],
    ['unsigned', unsecuredJwt(claims('shipper')), /token refused: an unsigned token \(alg none\)/]
  ]
  for (const [what, token, reason] of cases) {
    const topic = `refused-${what.replace(/ /g, '-')}`
    const r = await python(token, topic, 1, false)
    assert.deepEqual([r.left, r.delivered], [1, []], `${what}: the record is not acknowledged`)
    assert.ok(r.errors.some(e => e.includes('SASL authentication error: {"status":"invalid_token"}')), `${what}: ${r.errors.join('; ')}`)
    const logged = (): { reason: string, mechanism: string }[] => broker.stderr.split('\n').filter(l => l.includes('"SASL authentication failed"')).map(l => JSON.parse(l) as { reason: string, mechanism: string })
    await waitFor(() => logged().some(l => l.mechanism === 'OAUTHBEARER' && reason.test(l.reason)), { what: `the broker to log why (${what})`, timeoutMs: 30_000 })
    assert.ok(!broker.stderr.includes(token.split('.')[1]), `${what}: the token is not logged`)
  }
  // Nothing was written by any of them: not even their topics were created (an operator lists them with SCRAM).
  const scram = ['-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${file('ca.pem')}`, '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=auditor', '-X', 'sasl.password=Audit-Pa55']
  const listing = await run('kcat', ['-b', broker.bootstrap, '-L', ...scram], { timeoutMs: 60_000 })
  assert.equal(listing.code, 0, listing.stderr)
  assert.match(listing.stdout, /broker 1 at 127\.0\.0\.1/)
  assert.doesNotMatch(listing.stdout, /refused-/)
  const kcat = await run('kcat', ['-b', broker.bootstrap, '-L', '-m', '10', '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', `ssl.ca.location=${file('ca.pem')}`, '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=intruder'], { timeoutMs: 60_000 })
  assert.notEqual(kcat.code, 0, 'kcat\'s unsigned token is refused by a broker with a key set')
  assert.match(kcat.stderr, /invalid_token/)
})

test('kcat (librdkafka\'s own unsecured tokens) produces and consumes against --sasl-oauthbearer-unsecured on loopback', async () => {
  const data = tempDir()
  const dev = await BrokerProcess.start(data, ['--sasl-oauthbearer-unsecured'])
  try {
    const kcat = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=developer']
    const produced = await run('kcat', ['-b', dev.bootstrap, '-P', '-t', 'dev-logs', ...kcat], { input: 'one\ntwo\n', timeoutMs: 60_000 })
    assert.equal(produced.code, 0, produced.stderr)
    const read = await run('kcat', ['-b', dev.bootstrap, '-C', '-t', 'dev-logs', '-e', '-q', ...kcat], { timeoutMs: 60_000 })
    assert.equal(read.code, 0, read.stderr)
    assert.deepEqual(read.stdout.trim().split('\n').sort(), ['one', 'two'])
    // Without SASL nothing is served.
    const none = await run('kcat', ['-b', dev.bootstrap, '-L', '-m', '5'], { timeoutMs: 60_000 })
    assert.notEqual(none.code, 0)
  } finally {
    await dev.stop()
    fs.rmSync(data, { recursive: true, force: true })
  }
})

test('start-up refusals in one line naming the setting: unsigned tokens off loopback (broker and up), a key set holding a private key, a file that is not a key set, OAUTHBEARER without keys', async () => {
  const data = tempDir()
  try {
    fs.writeFileSync(file('private.json'), JSON.stringify({ keys: [{ ...rsa.privateKey.export({ format: 'jwk' }), kid: 'oops' }] }))
    fs.writeFileSync(file('not-json'), 'eyJhbGciOi.secret-looking.text')
    const cases: [string[], RegExp][] = [
      [['--host', '0.0.0.0', '--sasl-oauthbearer-unsecured'], /^tidewatch: --sasl-oauthbearer-unsecured accepts unsigned tokens, so anyone could claim any principal: refused with --host 0\.0\.0\.0 \(not loopback\); give --sasl-oauthbearer-jwks FILE instead$/],
      [['--sasl-oauthbearer-jwks', file('private.json')], /^tidewatch: --sasl-oauthbearer-jwks: keys\[0\] \(kid oops\): holds a private key \('d'\): give the public key only$/],
      [['--sasl-oauthbearer-jwks', file('not-json')], /^tidewatch: --sasl-oauthbearer-jwks: .*not-json is not JSON; expected a JSON Web Key Set$/],
      [['--sasl-mechanisms', 'OAUTHBEARER'], /^tidewatch: --sasl-mechanisms OAUTHBEARER needs --sasl-oauthbearer-jwks FILE/],
      [['--sasl-oauthbearer-jwks', file('jwks.json'), '--sasl-oauthbearer-unsecured'], /^tidewatch: --sasl-oauthbearer-unsecured and --sasl-oauthbearer-jwks exclude each other/]
    ]
    for (const [args, line] of cases) {
      const r = await run(process.execPath, [CLI, 'broker', '--port', '0', '--data-dir', data, ...args], { timeoutMs: 30_000 })
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`)
      assert.match(r.stderr.trim(), line)
      assert.doesNotMatch(r.stderr, /secret-looking|^\s+at /m)
    }
    // The project file's broker block says the same, naming its field.
    const project = file('tidewatch.yaml')
    fs.writeFileSync(project, `functions: [${path.join(example, 'function.yaml')}]\nbroker:\n  host: 0.0.0.0\n  sasl:\n    oauthbearer: { unsecured: true }\n`)
    const up = await run(process.execPath, [CLI, 'up', '--config', project, '--port', '0', '--broker-port', '0', '--data-dir', data], { timeoutMs: 120_000 })
    assert.equal(up.code, 2, up.stderr)
    assert.match(up.stderr, /^tidewatch: broker\.sasl\.oauthbearer\.unsecured accepts unsigned tokens, so anyone could claim any principal: refused with broker\.host 0\.0\.0\.0 \(not loopback\); give broker\.sasl\.oauthbearer\.jwks FILE instead$/m)
  } finally {
    fs.rmSync(data, { recursive: true, force: true })
  }
})

test('tidewatch up with broker.sasl.oauthbearer (and broker.tls): a shipper\'s token-authenticated 404 becomes the alert; the run\'s own replicas read through their loopback listener', async () => {
  const project = file('up-oauth.yaml')
  fs.writeFileSync(project, [
    `functions: [${path.join(example, 'function.yaml')}]`,
    'broker:',
    '  partitions: 2',
    '  tls: { cert: ./server.pem, key: ./server.key }',
    `  sasl: { oauthbearer: { jwks: ./jwks.json, audience: kafka, issuer: '${ISSUER}' } }`,
    ''
  ].join('\n'))
  const up = await startUp({ config: project, dataDir: file('up-oauth-data') })
  try {
    assert.ok(up.process.lines.some(l => /broker\s+127\.0\.0\.1:\d+ \(embedded, TLS, SASL OAUTHBEARER\)/.test(l)), up.process.lines.join('\n'))
    // A Fluent Bit-shaped access log line for a demo pod; the producer sends it as its one record.
    const pod = DEMO_PODS[0]
    const line = accessLogRecord(seededRandom(5), { now: new Date(), pod, status: 404 })
    const script = PYTHON_OAUTH.replace("('%s-%d' % (topic, i)).encode()", 'sys.argv[7].encode()')
    const r = await run(PYTHON, ['-c', script, up.bootstrap, file('ca.pem'), signJwt(claims('fluent-bit'), ec), 'logs', '1', 'no', line], { timeoutMs: 120_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual((JSON.parse(r.stdout.trim()) as PythonResult).delivered, [true])
    const alerts = await waitFor(async () => {
      const list = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return list.length > 0 ? list : null
    }, { what: 'the alert from the record produced with a token', timeoutMs: 90_000 })
    assert.equal(alerts[0].labels.alertname, '404 Request')
    assert.equal(alerts[0].labels.pod, pod.pod)
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr)
  }
})
