// `tidewatch up` with TLS and SASL in the project file's broker block: shippers elsewhere reach
// the broker's port only over TLS with a password (kcat here), while the run's own replicas
// read through the loopback listener with a credential made for the run (no back door for other
// local users), so a 404 produced over SASL_SSL still becomes an alert.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CLI, run, tempDir } from './helpers/processes.js'
import { startUp, LOGS_HANDLER_PROJECT } from './helpers/tidewatch-up.js'
import { makeTestCertificates } from './helpers/certificates.js'
import { waitFor } from './helpers/wait.js'
import { listeningSockets } from './helpers/sockets.js'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { SecurityError } from '../src/kafka/sasl.js'
import { Secret } from '../src/shared/secret.js'
import { accessLogRecord, DEMO_PODS, seededRandom } from '../src/demo/access-logs.js'

test('tidewatch up with broker.tls and broker.sasl: kcat produces over SASL_SSL/SCRAM-SHA-512, the function alerts; plaintext and a wrong password are refused, and the run\'s own loopback listener serves nothing without the run\'s credential', async () => {
  const dir = tempDir('tidewatch-up-tls-')
  const certs = makeTestCertificates(dir)
  fs.writeFileSync(path.join(dir, 'users'), 'shipper:fluent-bit-secret\n')
  const config = path.join(dir, 'tidewatch.yaml')
  fs.writeFileSync(config, [
    `functions: [${path.join(path.dirname(LOGS_HANDLER_PROJECT), 'function.yaml')}]`,
    'broker:',
    '  partitions: 2',
    `  tls: { cert: ${certs.serverCert}, key: ${certs.serverKey} }`,
    '  sasl: { usersFile: ./users, mechanisms: [SCRAM-SHA-512] }',
    ''
  ].join('\n'))
  const up = await startUp({ config, dataDir: path.join(dir, 'data') })
  try {
    assert.ok(up.process.lines.some(l => /broker\s+127\.0\.0\.1:\d+ \(embedded, TLS, SASL SCRAM-SHA-512\)/.test(l)), up.process.lines.join('\n'))
    const secure = (password: string): string[] => ['-b', up.bootstrap, '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512',
      '-X', 'sasl.username=shipper', '-X', `sasl.password=${password}`, '-X', `ssl.ca.location=${certs.ca}`]

    const plaintext = await run('kcat', ['-b', up.bootstrap, '-L', '-m', '10'], { timeoutMs: 60_000 })
    assert.notEqual(plaintext.code, 0, 'a plaintext client gets nowhere on the TLS port')
    const wrong = await run('kcat', [...secure('not-it'), '-L', '-m', '10'], { timeoutMs: 60_000 })
    assert.notEqual(wrong.code, 0)
    assert.match(wrong.stderr, /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/)

    const rand = seededRandom(11)
    const pod = DEMO_PODS[1]
    const lines = [200, 404, 200].map(status => accessLogRecord(rand, { now: new Date(), pod, status: status as 200 | 404 }))
    const produced = await run('kcat', [...secure('fluent-bit-secret'), '-P', '-t', 'logs'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 })
    assert.equal(produced.code, 0, produced.stderr)

    const alerts = await waitFor(async () => {
      const list = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return list.length > 0 ? list : null
    }, { what: 'the alert from the record produced over SASL_SSL', timeoutMs: 90_000 })
    assert.equal(alerts[0].labels.alertname, '404 Request')
    assert.equal(alerts[0].labels.pod, pod.pod)

    // The loopback listener the run's own processes use is no back door for other local users:
    // it speaks Kafka (answers ApiVersions), then hangs up on a client without the run's
    // credential instead of serving metadata; and a guessed password is refused.
    const brokerPort = Number(up.bootstrap.split(':').pop())
    const apiPort = Number(new URL(up.url).port)
    let kafkaListeners = 0
    for (const l of listeningSockets(up.process.child.pid!).filter(x => x.port !== brokerPort && x.port !== apiPort)) {
      const address = `127.0.0.1:${l.port}`
      const anonymous = new KafkaClient({ settings: plaintextSettings([address]), clientId: 'local-user' })
      const guessing = new KafkaClient({ settings: { ...plaintextSettings([address]), sasl: { mechanism: 'SCRAM-SHA-256', username: 'tidewatch-internal', password: new Secret('guess') } }, clientId: 'local-user' })
      try {
        const refusal = await anonymous.verify(5000).then(() => null, (err: Error) => err)
        assert.ok(refusal !== null, `${address} serves metadata to a client without credentials`)
        if (!(refusal instanceof SecurityError && refusal.reason === 'sasl-required')) continue // not a Kafka listener
        kafkaListeners++
        const guessed = await guessing.verify(5000).then(() => null, (err: Error) => err)
        assert.ok(guessed instanceof SecurityError, `${address} took a guessed password: ${String(guessed)}`)
      } finally {
        await anonymous.close()
        await guessing.close()
      }
    }
    assert.equal(kafkaListeners, 1, 'the internal Kafka listener was found and probed')
  } finally {
    const code = await up.stop()
    assert.equal(code, 0, up.process.stderr)
  }
  assert.doesNotMatch(up.process.stderr, /fluent-bit-secret/, 'the password is never logged')
})

test('a project broker block that would expose the broker without authentication, or names a missing file or an unknown mechanism, stops up before anything starts', async () => {
  const dir = tempDir('tidewatch-up-tls-bad-')
  const config = path.join(dir, 'tidewatch.yaml')
  const fn = path.join(path.dirname(LOGS_HANDLER_PROJECT), 'function.yaml')
  fs.writeFileSync(config, `functions: [${fn}]\nbroker:\n  host: 0.0.0.0\n  tls: { cert: ./nope.pem, key: ./nope.key }\n  sasl: { usersFile: ./users, mechanisms: [GSSAPI] }\n`)
  const r = await run(process.execPath, [CLI, 'up', '--config', config, '--port', '0', '--broker-port', '0', '--data-dir', path.join(dir, 'data')], { timeoutMs: 60_000 })
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, /tidewatch\.yaml:5:\d+: broker\.sasl\.mechanisms\.0: /)
  fs.writeFileSync(config, `functions: [${fn}]\nbroker:\n  host: 0.0.0.0\n  tls: { cert: ./nope.pem, key: ./nope.key }\n`)
  const r2 = await run(process.execPath, [CLI, 'up', '--config', config, '--port', '0', '--broker-port', '0', '--data-dir', path.join(dir, 'data')], { timeoutMs: 60_000 })
  assert.equal(r2.code, 2, r2.stderr)
  assert.match(r2.stderr, /:3:9: broker\.host: refusing to listen on 0\.0\.0\.0 without authentication.*add broker\.sasl \(best with broker\.tls\) or broker\.tls\.ca/)
  assert.match(r2.stderr, /:4:\d+: broker\.tls\.cert: no such file: .*nope\.pem/)
  assert.equal(fs.existsSync(path.join(dir, 'data', 'broker')), false, 'no broker was started')
})
