// Tidewatch's own Kafka client with SASL OAUTHBEARER, for real: `tidewatch run` against
// `tidewatch broker` over SASL_SSL validating JWTs with a key set made in the test, the token from
// a command (a script that signs a fresh JWT at each authentication, as an identity provider's CLI
// would) or from a file. The 404 is produced by python confluent-kafka with its own token and the
// alert arrives at a real Alertmanager. Every refusal (expired, foreign key, a failing or silent
// command, a missing file) is one line naming the setting, and sessions the token's exp bounds are
// renewed on the same connection with a fresh token.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrokerProcess, CLI, LineProcess, PYTHON, run, tempDir, type RunResult } from './helpers/processes.js'
import { Alertmanager } from './helpers/alertmanager.js'
import { makeTestCertificates } from './helpers/certificates.js'
import { jwksOf, privatePem, seconds, signingKey, signJwt, TOKEN_SCRIPT } from './helpers/jwt.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { RawClient } from './helpers/raw-client.js'
import { waitFor } from './helpers/wait.js'
import { openConnection } from '../src/kafka/connection.js'
import { clientConnectionOptions } from '../src/kafka/connection-options.js'
import { resolveKafkaSettings, layerFromBlock, kafkaBlockSchema } from '../src/kafka/connection-settings.js'
import { exampleFunctionFile } from './helpers/example-function.js'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'logs-handler')
const the404 = fs.readFileSync(path.join(example, 'sample.log'), 'utf8').split('\n')[0]
const ISSUER = 'https://idp.test/realms/logs'
const idp = signingKey('RS256', 'idp-1')
const stranger = signingKey('RS256', 'idp-1')

let dir: string
let brokerData: string
let broker: BrokerProcess
let am: Alertmanager
const file = (name: string): string => path.join(dir, name)
/** The token command for `sub`, its tokens valid for `life` seconds. */
const tokenCommand = (sub: string, life = 3600): string => `${process.execPath} ${file('token.mjs')} ${file('idp.pem')} ${idp.kid} ${sub} kafka ${ISSUER} ${life}`
const claims = (sub: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({ sub, aud: 'kafka', iss: ISSUER, iat: seconds(Date.now()), exp: seconds(Date.now()) + 3600, ...over })

before(async () => {
  dir = tempDir('tidewatch-run-oauth-')
  makeTestCertificates(dir)
  fs.writeFileSync(file('jwks.json'), JSON.stringify(jwksOf(idp)))
  fs.writeFileSync(file('idp.pem'), privatePem(idp))
  fs.writeFileSync(file('token.mjs'), TOKEN_SCRIPT)
  brokerData = tempDir()
  broker = await BrokerProcess.start(brokerData, ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--sasl-oauthbearer-jwks', file('jwks.json'), '--sasl-oauthbearer-audience', 'kafka', '--sasl-oauthbearer-issuer', ISSUER])
  am = await Alertmanager.start()
})

after(async () => {
  await broker?.stop()
  await am?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(brokerData, { recursive: true, force: true })
})

const functionFile = (name: string, topic: string, kafka = ''): string => exampleFunctionFile(dir, name, topic, kafka)

// python confluent-kafka (librdkafka) producing one line with its own token, as a shipper would.
const PYTHON_PRODUCE = `
import sys, time
from confluent_kafka import Producer
bootstrap, ca, token, topic, line = sys.argv[1:6]
p = Producer({'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'OAUTHBEARER', 'ssl.ca.location': ca,
              'oauth_cb': lambda config: (token, time.time() + 3600)})
p.produce(topic, line.encode())
print(p.flush(60))
`

/** Runs `tidewatch run FILE ARGS`, produces a 404 for /NAME over SASL_SSL, and waits for its alert. */
async function alertThroughRun (name: string, fnFile: string, topic: string, args: string[]): Promise<LineProcess> {
  const data = tempDir()
  const runner = new LineProcess(process.execPath, [CLI, 'run', fnFile, '--port', '0', '--data-dir', data, ...args], { ALERTMANAGER_URL: am.url })
  try {
    await waitFor(() => {
      if (runner.child.exitCode !== null) throw new Error(`tidewatch run exited: ${runner.stderr}`)
      return runner.lines.some(l => l.startsWith('  API '))
    }, { what: `tidewatch run (${name}) to be ready`, timeoutMs: 90_000 })
    assert.match(runner.lines.find(l => l.startsWith('  broker '))!, /over SASL_SSL OAUTHBEARER$/)
    const produced = await run(PYTHON, ['-c', PYTHON_PRODUCE, broker.bootstrap, file('ca.pem'), signJwt(claims('shipper'), idp), topic, the404.replace('/notfound', `/${name}`)], { timeoutMs: 90_000 })
    assert.equal(produced.code, 0, produced.stderr)
    assert.equal(produced.stdout.trim(), '0', 'the 404 was acknowledged')
    const alert = await waitFor(async () => (await am.alerts()).find(a => a.labels.path === `/${name}`), { what: `the alert of ${name}`, timeoutMs: 90_000 })
    assert.equal(alert.labels.alertname, '404 Request')
  } finally {
    assert.equal(await runner.stop('SIGTERM'), 0)
    fs.rmSync(data, { recursive: true, force: true })
  }
  return runner
}

test('tidewatch run FUNCTION.yaml whose kafka: block names OAUTHBEARER with token.command (a script signing a fresh JWT each time): the autoscaler sees the lag, a replica consumes, the 404 alert arrives', async () => {
  const block = `\nkafka:\n  brokers: [${broker.bootstrap}]\n  tls:\n    ca: ./ca.pem\n  sasl:\n    mechanism: OAUTHBEARER\n    token:\n      command: ${tokenCommand('alerting')}\n`
  // Autoscaled from zero: the replica starts only because the autoscaler read the lag with a token.
  await alertThroughRun('oauth-command', functionFile('oauth-command', 'logs-oauth-command', block), 'logs-oauth-command', ['--no-spare'])
})

test('tidewatch run with --kafka-sasl-mechanism OAUTHBEARER --kafka-sasl-token-file: the alert arrives, and the token is in no output', async () => {
  const token = signJwt(claims('alerting'), idp)
  fs.writeFileSync(file('token'), `${token}\n`)
  const args = ['--replicas', '1', '--brokers', broker.bootstrap, '--kafka-tls-ca', file('ca.pem'), '--kafka-sasl-mechanism', 'OAUTHBEARER', '--kafka-sasl-token-file', file('token')]
  const runner = await alertThroughRun('oauth-file', functionFile('oauth-file', 'logs-oauth-file'), 'logs-oauth-file', args)
  assert.ok(!(runner.lines.join('\n') + runner.stderr).includes(token.split('.')[1]), 'the token is in no output of run or its replicas')
})

/** The lines a user reads: stderr without the JSON log lines. */
const shown = (r: RunResult): string[] => r.stderr.split('\n').filter(l => l.trim() !== '' && !l.startsWith('{'))

test('refusals end tidewatch run with one line naming the setting, no stack trace, no hang: an expired token, one signed by another key, a failing token command, one printing nothing, a missing token file', async () => {
  const expired = signJwt(claims('alerting', { iat: seconds(Date.now()) - 7200, exp: seconds(Date.now()) - 3600 }), idp)
  const foreign = signJwt(claims('alerting'), stranger)
  fs.writeFileSync(file('expired-token'), expired)
  fs.writeFileSync(file('foreign-token'), foreign)
  const block = (token: string): string => `\nkafka:\n  brokers: [${broker.bootstrap}]\n  tls: { ca: ./ca.pem }\n  sasl:\n    mechanism: OAUTHBEARER\n    token: ${token}\n`
  const fnFile = functionFile('oauth-refused', 'logs-refused', block('{ file: ./foreign-token }'))
  const flags = ['--brokers', broker.bootstrap, '--kafka-tls-ca', file('ca.pem'), '--kafka-sasl-mechanism', 'OAUTHBEARER']
  const plain = functionFile('oauth-plain', 'logs-refused')
  const cases: { what: string, args: string[], line: RegExp }[] = [
    { what: 'an expired token', args: [plain, ...flags, '--kafka-sasl-token-file', file('expired-token')], line: /^tidewatch: the broker refused the OAUTHBEARER token: check --kafka-sasl-token-file$/ },
    { what: 'a token signed by another key', args: [fnFile], line: new RegExp(`^tidewatch: the broker refused the OAUTHBEARER token: check ${fnFile.replace(/[.]/g, '\\.')}: kafka\\.sasl\\.token\\.file$`) },
    { what: 'a failing token command', args: [plain, ...flags, '--kafka-sasl-token-command', 'echo "no session: run idp-login" >&2; exit 3'], line: /^tidewatch: --kafka-sasl-token-command: the token command failed \(exit code 3\): no session: run idp-login$/ },
    { what: 'a token command printing nothing', args: [plain, ...flags, '--kafka-sasl-token-command', 'true'], line: /^tidewatch: --kafka-sasl-token-command: the token command printed nothing$/ },
    { what: 'a missing token file', args: [plain, ...flags, '--kafka-sasl-token-file', file('no-such-token')], line: /^tidewatch: --kafka-sasl-token-file: cannot read .*no-such-token: ENOENT$/ }
  ]
  for (const c of cases) {
    const r = await run(process.execPath, [CLI, 'run', ...c.args, '--port', '0'], { env: { TIDEWATCH_LOG_LEVEL: 'warn' }, timeoutMs: 120_000 })
    assert.equal(r.signal, null, `${c.what}: ended by itself (no hang): ${r.stderr}`)
    assert.equal(r.code, 2, `${c.what}: ${r.stderr}`)
    assert.equal(shown(r).length, 1, `${c.what}: one line: ${r.stderr}`)
    assert.match(shown(r)[0], c.line, c.what)
    assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, `${c.what}: no stack trace`)
    for (const t of [expired, foreign]) assert.ok(!(r.stdout + r.stderr).includes(t.split('.')[1]), `${c.what}: no token`)
  }
})

test('a session bounded by the token\'s exp (in-process broker): told to the client, renewed on the same connection with a fresh token from the command; a client that does not renew is cut off at exp', async () => {
  // No clock skew allowed: a renewal with the old token, just expired, would be refused.
  const b = await startTempBroker({ sasl: { users: [], oauthbearer: { jwks: jwksOf(idp), audience: ['kafka'], issuer: ISSUER, clockSkewSeconds: 0 } } })
  try {
    // Tokens of 4 s: the client renews at 85-95% of what is left of each.
    // Each run of the command is counted: a renewal must ask for a new token, not resend the old.
    const command = `${tokenCommand('renewer', 4)} && echo issued >> ${file('issued')}`
    const k = resolveKafkaSettings([layerFromBlock(kafkaBlockSchema.parse({ brokers: [b.bootstrap], sasl: { mechanism: 'OAUTHBEARER', token: { command } } }), file('f.yaml'))])
    const conn = await openConnection({ host: b.host, port: b.port }, { clientId: 'oauth-reauth', sasl: clientConnectionOptions(k).sasl })
    try {
      let failure: Error | null = null
      await waitFor(async () => {
        try {
          await conn.request(3, 1, { topics: [] })
        } catch (err) {
          failure = err as Error
          return true
        }
        return conn.reauthentications >= 2
      }, { what: 'two renewals with fresh tokens', timeoutMs: 60_000, intervalMs: 100 })
      assert.equal(failure, null, 'no request failed while tokens expired and were replaced')
      assert.equal(conn.closed, false, 'the connection outlived two tokens')
      assert.ok(fs.readFileSync(file('issued'), 'utf8').split('\n').filter(l => l === 'issued').length >= 3, 'a fresh token for the login and each renewal')
    } finally {
      conn.close()
    }
    const raw = await RawClient.connect(b.port)
    try {
      await raw.request(18, 0, {})
      assert.equal((await raw.request(17, 1, { mechanism: 'OAUTHBEARER' })).errorCode, 0)
      const token = signJwt(claims('raw', { exp: seconds(Date.now()) + 3 }), idp)
      const auth = await raw.request(36, 1, { authBytes: Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001\u0001`) })
      assert.equal(auth.errorCode, 0)
      const lifetime = Number(auth.sessionLifetimeMs)
      assert.ok(lifetime > 0 && lifetime <= 3000, `the session lasts until exp: ${lifetime} ms`)
      await waitFor(async () => await raw.request(3, 1, { topics: [] }).then(() => false, () => true), { what: 'the session to end at exp', timeoutMs: 30_000, intervalMs: 200 })
      assert.equal(raw.closed, true)
    } finally {
      raw.close()
    }
  } finally {
    await b.close()
  }
})
