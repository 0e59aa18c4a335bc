// The commands that talk to a cluster — `tidewatch run` (its supervisor, autoscaler source and
// replica processes), `tail`, `demo`, `replica` — against `tidewatch broker` serving SASL_SSL
// (throwaway certificates from openssl, a users file), with the settings from a Function file's
// kafka: block, from flags and from TIDEWATCH_KAFKA_* variables. Alerts arrive at a real
// Alertmanager; records are read back with kcat. Wrong settings end each command with one line
// naming the setting, and no password is ever printed or put on a command line.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrokerProcess, CLI, LineProcess, PYTHON, run, tempDir, type RunResult } from './helpers/processes.js'
import { Alertmanager } from './helpers/alertmanager.js'
import { WebhookSink } from './helpers/webhook-sink.js'
import { fluentBitRecord, waitRulesEvaluating } from './helpers/rules-project.js'
import { makeTestCertificates } from './helpers/certificates.js'
import { waitFor } from './helpers/wait.js'
import { exampleFunctionFile } from './helpers/example-function.js'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'logs-handler')
const the404 = fs.readFileSync(path.join(example, 'sample.log'), 'utf8').split('\n')[0]
const PASSWORD = 'Sea-Glass-7781'
const WRONG = 'Not-Her-Pa55'

let dir: string
let brokerData: string
let broker: BrokerProcess
let am: Alertmanager
const file = (name: string): string => path.join(dir, name)

before(async () => {
  dir = tempDir('tidewatch-cli-tls-')
  makeTestCertificates(dir)
  fs.writeFileSync(file('users'), `alice:${PASSWORD}\n`)
  fs.writeFileSync(file('password'), `${PASSWORD}\n`)
  fs.writeFileSync(file('wrong-password'), `${WRONG}\n`)
  brokerData = tempDir()
  broker = await BrokerProcess.start(brokerData, ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--sasl-users-file', file('users')])
  am = await Alertmanager.start()
})

after(async () => {
  await broker?.stop()
  await am?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(brokerData, { recursive: true, force: true })
})

const kcatSecurity = (mechanism = 'SCRAM-SHA-512'): string[] =>
  ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${mechanism}`, '-X', 'sasl.username=alice', '-X', `sasl.password=${PASSWORD}`, '-X', `ssl.ca.location=${file('ca.pem')}`]

const functionFile = (name: string, topic: string, kafka = ''): string => exampleFunctionFile(dir, name, topic, kafka)

const KAFKA_BLOCK = (): string => `
kafka:
  brokers: [${broker.bootstrap}]
  tls:
    ca: ./ca.pem
  sasl:
    mechanism: SCRAM-SHA-512
    username: alice
    password: \${KAFKA_PASSWORD}
`

// python confluent-kafka (librdkafka) producing over SASL_SSL, as a shipper elsewhere would.
const PYTHON_PRODUCE = `
import sys
from confluent_kafka import Producer
bootstrap, ca, mechanism, password, topic, line = sys.argv[1:7]
p = Producer({'bootstrap.servers': bootstrap, 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': mechanism,
              'sasl.username': 'alice', 'sasl.password': password, 'ssl.ca.location': ca})
p.produce(topic, line.encode())
print(p.flush(60))
`

/** Runs `tidewatch run FILE ARGS`, produces a 404 for `pathLabel` over SASL_SSL (kcat, or python), and waits for its alert. */
async function alertThroughRun (name: string, args: string[], env: NodeJS.ProcessEnv, fnFile: string, topic: string, describes: RegExp, producer: 'kcat' | 'python' = 'kcat'): Promise<void> {
  const data = tempDir()
  const runner = new LineProcess(process.execPath, [CLI, 'run', fnFile, '--port', '0', '--data-dir', data, ...args], { ALERTMANAGER_URL: am.url, ...env })
  try {
    await waitFor(() => {
      if (runner.child.exitCode !== null) throw new Error(`tidewatch run exited: ${runner.stderr}`)
      return runner.lines.some(l => l.startsWith('  API '))
    }, { what: `tidewatch run (${name}) to be ready`, timeoutMs: 90_000 })
    assert.match(runner.lines.find(l => l.startsWith('  broker '))!, describes)
    const line = the404.replace('/notfound', `/${name}`)
    const produced = producer === 'kcat'
      ? await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, ...kcatSecurity()], { input: line + '\n', timeoutMs: 60_000 })
      : await run(PYTHON, ['-c', PYTHON_PRODUCE, broker.bootstrap, file('ca.pem'), 'SCRAM-SHA-256', PASSWORD, topic, line], { timeoutMs: 90_000 })
    assert.equal(produced.code, 0, produced.stderr)
    const alert = await waitFor(async () => (await am.alerts()).find(a => a.labels.path === `/${name}`), { what: `the alert of ${name}`, timeoutMs: 90_000 })
    assert.equal(alert.labels.alertname, '404 Request')
    // Replicas get the settings through their environment: nothing secret on a command line.
    const pids = runner.stderr.split('\n').filter(l => l.includes('"replica process started"')).map(l => (JSON.parse(l) as { pid: number }).pid)
    assert.ok(pids.length >= 1, 'a replica was started')
    for (const pid of pids) {
      const cmdline = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') : ''
      assert.doesNotMatch(cmdline, new RegExp(PASSWORD))
    }
  } finally {
    assert.equal(await runner.stop('SIGTERM'), 0)
    fs.rmSync(data, { recursive: true, force: true })
  }
  assert.doesNotMatch(runner.lines.join('\n') + runner.stderr, new RegExp(PASSWORD), 'the password is in no output of run or its replicas')
}

// Autoscaled from zero: the replica starts only because the autoscaler read the lag over SASL_SSL.
test('tidewatch run FUNCTION.yaml whose kafka: block names brokers, tls.ca and SCRAM-SHA-512 with the password from ${VAR}: the autoscaler sees the lag, a replica consumes, and the 404 alert arrives', async () => {
  await alertThroughRun('sec-file', ['--no-spare'], { KAFKA_PASSWORD: PASSWORD }, functionFile('sec-file', 'logs-file', KAFKA_BLOCK()), 'logs-file', /over SASL_SSL SCRAM-SHA-512 as alice$/)
})

test('tidewatch run with the settings as flags (SCRAM-SHA-256, the password from a file): a record python confluent-kafka produced becomes the alert', async () => {
  const args = ['--replicas', '1', '--brokers', broker.bootstrap, '--kafka-tls-ca', file('ca.pem'), '--kafka-sasl-mechanism', 'SCRAM-SHA-256', '--kafka-sasl-username', 'alice', '--kafka-sasl-password-file', file('password')]
  await alertThroughRun('sec-flags', args, {}, functionFile('sec-flags', 'logs-flags'), 'logs-flags', /over SASL_SSL SCRAM-SHA-256 as alice$/, 'python')
})

test('tidewatch run with the settings from TIDEWATCH_KAFKA_* (PLAIN), over a file whose kafka: block they override: the alert arrives', async () => {
  const env = { TIDEWATCH_KAFKA_BROKERS: broker.bootstrap, TIDEWATCH_KAFKA_TLS_CA: file('ca.pem'), TIDEWATCH_KAFKA_SASL_MECHANISM: 'PLAIN', TIDEWATCH_KAFKA_SASL_USERNAME: 'alice', TIDEWATCH_KAFKA_SASL_PASSWORD: PASSWORD, KAFKA_PASSWORD: WRONG }
  await alertThroughRun('sec-env', ['--replicas', '1'], env, functionFile('sec-env', 'logs-env', KAFKA_BLOCK()), 'logs-env', /over SASL_SSL PLAIN as alice$/)
})

test('tidewatch tail ships to a SASL_SSL broker (flags), read back with kcat', async () => {
  const logs = file('tail.log')
  fs.writeFileSync(logs, 'first line over TLS\nsecond line over TLS\n')
  const tail = new LineProcess(process.execPath, [CLI, 'tail', logs, '--topic', 'tailed', '--read-from', 'head', '--checkpoints', file('tail-checkpoints'), '--brokers', broker.bootstrap, '--kafka-tls-ca', file('ca.pem'), '--kafka-sasl-mechanism', 'SCRAM-SHA-512', '--kafka-sasl-username', 'alice', '--kafka-sasl-password-file', file('password')], { TIDEWATCH_LOG_LEVEL: 'warn' })
  try {
    const shipped = await waitFor(async () => {
      if (tail.child.exitCode !== null) throw new Error(`tidewatch tail exited: ${tail.stderr}`)
      const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'tailed', '-e', '-q', ...kcatSecurity()], { timeoutMs: 60_000 })
      const logsShipped = r.stdout.trim().split('\n').filter(l => l.startsWith('{')).map(l => (JSON.parse(l) as { log: string }).log)
      return logsShipped.length >= 2 ? logsShipped : null
    }, { what: 'both lines in the topic', timeoutMs: 90_000, intervalMs: 500 })
    assert.deepEqual(shipped.sort(), ['first line over TLS', 'second line over TLS'])
    assert.ok(tail.lines.some(l => /→ topic 'tailed' at .* over SASL_SSL SCRAM-SHA-512 as alice/.test(l)), tail.lines.join('\n'))
  } finally {
    await tail.stop('SIGTERM')
  }
  assert.doesNotMatch(tail.lines.join('\n') + tail.stderr, new RegExp(PASSWORD))
})

test('tidewatch run RULES.yaml (a rules workload: both stages and their internal topics) and tidewatch demo, over SASL_SSL from TIDEWATCH_KAFKA_*', async () => {
  const env = { TIDEWATCH_KAFKA_BROKERS: broker.bootstrap, TIDEWATCH_KAFKA_TLS_CA: file('ca.pem'), TIDEWATCH_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', TIDEWATCH_KAFKA_SASL_USERNAME: 'alice', TIDEWATCH_KAFKA_SASL_PASSWORD: PASSWORD }
  const rules = file('rules.yaml')
  fs.writeFileSync(rules, 'groups:\n  - name: shop\n    rules:\n      - alert: CheckoutFailing\n        expr: \'sum(count_over_time({namespace="shop"} |= "checkout failed" [10m])) > 0\'\n')
  const sink = await WebhookSink.start()
  const data = tempDir()
  const runner = new LineProcess(process.execPath, [CLI, 'run', rules, '--name', 'shop-rules', '--topic', 'logs-rules', '--start-from', 'earliest', '--replicas', '1', '--port', '0', '--data-dir', data], { ...env, ALERTMANAGER_URL: sink.url })
  const demo = new LineProcess(process.execPath, [CLI, 'demo', '--topic', 'logs-demo'], { ...env, TIDEWATCH_LOG_LEVEL: 'warn' })
  try {
    const api = await waitFor(() => {
      if (runner.child.exitCode !== null) throw new Error(`tidewatch run exited: ${runner.stderr}`)
      return runner.lines.find(l => l.startsWith('  API '))?.trim().split(/\s+/)[1]
    }, { what: 'the rules workload to start', timeoutMs: 90_000 })
    await waitRulesEvaluating(api, { replicas: 1 })
    const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'logs-rules', ...kcatSecurity()], { input: fluentBitRecord('checkout failed for order 7') + '\n', timeoutMs: 60_000 })
    assert.equal(produced.code, 0, produced.stderr)
    await waitFor(() => sink.at('/api/v2/alerts').flatMap(r => r.body as { labels: Record<string, string> }[]).some(a => a.labels.alertname === 'CheckoutFailing'), { what: 'the rule\'s alert', timeoutMs: 90_000 })
    // The demo's traffic reaches its topic over SASL_SSL too.
    await waitFor(async () => {
      if (demo.child.exitCode !== null) throw new Error(`tidewatch demo exited: ${demo.stderr}`)
      const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'logs-demo', '-e', '-q', '-c', '1', ...kcatSecurity()], { timeoutMs: 60_000 })
      return r.code === 0 && r.stdout.includes('"kubernetes"')
    }, { what: 'demo traffic in logs-demo', timeoutMs: 90_000, intervalMs: 500 })
    assert.ok(demo.lines.some(l => /connecting to Kafka at .* over SASL_SSL SCRAM-SHA-512 as alice/.test(l)), demo.lines.join('\n'))
  } finally {
    await demo.stop('SIGINT')
    assert.equal(await runner.stop('SIGTERM'), 0)
    await sink.stop()
    fs.rmSync(data, { recursive: true, force: true })
  }
  assert.doesNotMatch(runner.lines.join('\n') + runner.stderr + demo.lines.join('\n') + demo.stderr, new RegExp(PASSWORD))
})

/** The lines a user reads: stderr without the JSON log lines. */
const shown = (r: RunResult): string[] => r.stderr.split('\n').filter(l => l.trim() !== '' && !l.startsWith('{'))

test('wrong password, wrong CA, plaintext to TLS: run, tail, demo and replica each exit non-zero with one line naming the setting; no stack trace, no password', async () => {
  const fnFile = functionFile('sec-wrong', 'logs-wrong', KAFKA_BLOCK())
  const at = `${fnFile}: kafka.sasl`
  const cases: { what: string, args: string[], env?: NodeJS.ProcessEnv, code: number, line: RegExp }[] = [
    { what: 'run, the file\'s wrong ${VAR} password', args: ['run', fnFile, '--port', '0'], env: { KAFKA_PASSWORD: WRONG }, code: 2, line: new RegExp(`^tidewatch: the broker refused the credentials of user alice \\(SCRAM-SHA-512\\): check ${at}\\.username and kafka\\.sasl\\.password$`) },
    { what: 'run, a CA that did not sign the broker', args: ['run', fnFile, '--port', '0', '--kafka-tls-ca', file('other-ca.pem')], env: { KAFKA_PASSWORD: PASSWORD }, code: 2, line: /^tidewatch: the broker's TLS certificate is not signed by a CA this client trusts: check --kafka-tls-ca$/ },
    { what: 'run, plaintext to the TLS listener', args: ['run', functionFile('sec-plain', 'logs-plain'), '--port', '0', '--brokers', broker.bootstrap], code: 2, line: /^tidewatch: the broker at .* closed the connection before answering: if it expects TLS, set kafka\.tls/ },
    { what: 'tail, a wrong password file', args: ['tail', file('none.log'), '--checkpoints', file('cp-wrong'), '--brokers', broker.bootstrap, '--kafka-tls-ca', file('ca.pem'), '--kafka-sasl-mechanism', 'PLAIN', '--kafka-sasl-username', 'alice', '--kafka-sasl-password-file', file('wrong-password')], code: 2, line: /^tidewatch: the broker refused the credentials of user alice \(PLAIN\): check --kafka-sasl-username and --kafka-sasl-password-file$/ },
    { what: 'demo, the environment\'s wrong CA', args: ['demo'], env: { TIDEWATCH_KAFKA_BROKERS: broker.bootstrap, TIDEWATCH_KAFKA_TLS_CA: file('other-ca.pem') }, code: 2, line: /^tidewatch: the broker's TLS certificate is not signed by a CA this client trusts: check TIDEWATCH_KAFKA_TLS_CA$/ }
  ]
  for (const c of cases) {
    const r = await run(process.execPath, [CLI, ...c.args], { env: { TIDEWATCH_LOG_LEVEL: 'warn', ...c.env }, timeoutMs: 120_000 })
    assert.equal(r.signal, null, `${c.what}: ended by itself (no hang): ${r.stderr}`)
    assert.equal(r.code, c.code, `${c.what}: ${r.stderr}`)
    assert.equal(shown(r).length, 1, `${c.what}: one line: ${r.stderr}`)
    assert.match(shown(r)[0], c.line, c.what)
    assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, `${c.what}: no stack trace`)
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`${PASSWORD}|${WRONG}`), `${c.what}: no password`)
  }
  // A replica whose supervisor's settings stopped working (a revoked password): it does not
  // retry forever, it exits and its log says why in one line.
  const replica = await run(process.execPath, [CLI, 'replica', functionFile('sec-replica', 'logs-replica')], {
    env: { TIDEWATCH_KAFKA_BROKERS: broker.bootstrap, TIDEWATCH_KAFKA_TLS_CA: file('ca.pem'), TIDEWATCH_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', TIDEWATCH_KAFKA_SASL_USERNAME: 'alice', TIDEWATCH_KAFKA_SASL_PASSWORD: WRONG },
    timeoutMs: 120_000
  })
  assert.equal(replica.signal, null, replica.stderr)
  assert.equal(replica.code, 1)
  const failed = replica.stderr.split('\n').filter(l => l.includes('"replica failed"')).map(l => (JSON.parse(l) as { err: string }).err)
  assert.deepEqual(failed, ['the broker refused the credentials of user alice (SCRAM-SHA-256): check TIDEWATCH_KAFKA_SASL_USERNAME and TIDEWATCH_KAFKA_SASL_PASSWORD'])
  assert.doesNotMatch(replica.stdout + replica.stderr, new RegExp(`${PASSWORD}|${WRONG}`))
})
