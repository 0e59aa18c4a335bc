// Tidewatch's own Kafka client — its consumer and batch producer (kafka/connection.ts) and the
// client library's producer and admin it also drives — over TLS and SASL against the embedded
// broker (in this process, with throwaway certificates from openssl): every mechanism, mutual
// TLS, reauthentication within a limited session, and each refusal as one explained line.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { KafkaClient } from '../src/kafka/client.js'
import { openConnection, HandshakeClosed, SecurityError } from '../src/kafka/connection.js'
import { clientConnectionOptions, explainConnectionError, failureKind } from '../src/kafka/connection-options.js'
import { kafkaBlockSchema, layerFromBlock, resolveKafkaSettings, type KafkaSettings } from '../src/kafka/connection-settings.js'
import { buildBatch } from '../src/protocol/record-batch/index.js'
import { makeTestCertificates, type TestCertificates } from './helpers/certificates.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { RawClient } from './helpers/raw-client.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

let dir: string
let certs: TestCertificates
const PASSWORD = 'Wonder-land-42'
const USERS = [{ name: 'alice', password: PASSWORD }]

before(() => {
  dir = tempDir('tidewatch-client-tls-')
  certs = makeTestCertificates(dir)
})
after(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Settings as a Function file's kafka: block would give them (paths relative to the file). */
const settingsOf = (block: unknown): KafkaSettings => resolveKafkaSettings([layerFromBlock(kafkaBlockSchema.parse(block), path.join(dir, 'function.yaml'))])
const tlsBroker = async (extra: Parameters<typeof startTempBroker>[0] = {}): Promise<Awaited<ReturnType<typeof startTempBroker>>> =>
  await startTempBroker({ tls: { cert: fs.readFileSync(certs.serverCert), key: fs.readFileSync(certs.serverKey) }, sasl: { users: USERS }, ...extra })

test('over SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512: the own consumer and batch producer, the client library\'s producer and admin', async () => {
  const broker = await tlsBroker()
  try {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      const topic = `secure-${mechanism.toLowerCase()}`
      const client = new KafkaClient({ settings: settingsOf({ brokers: [broker.bootstrap], tls: { ca: 'ca.pem' }, sasl: { mechanism, username: 'alice', password: PASSWORD } }), clientId: 'security-test' })
      try {
        await client.verify()
        await client.produce([{ topic, value: `library ${mechanism}` }])
        const producer = client.batchProducer()
        const partitions = await producer.partitions(topic)
        const done = new Set<number>()
        await producer.send(topic, new Map([[partitions - 1, buildBatch([{ value: Buffer.from(`batch ${mechanism}`), timestamp: Date.now() }])]]), done)
        assert.deepEqual([...done], [partitions - 1])
        const sub = await client.subscribe({ groupId: `g-${mechanism}`, topics: [topic], startFrom: 'earliest' })
        const seen: string[] = []
        await waitFor(async () => { seen.push(...(await sub.nextBatch(100, 200)).map(r => r.value!.toString())); return seen.length >= 2 }, { what: `both records consumed over ${mechanism}`, timeoutMs: 30_000 })
        assert.deepEqual(seen.sort(), [`batch ${mechanism}`, `library ${mechanism}`])
        await sub.close()
        assert.equal((await client.endOffsets(topic)).reduce((a, b) => a + b, 0), 2, 'the admin client reads offsets over SASL_SSL too')
      } finally {
        await client.close()
      }
    }
  } finally {
    await broker.close()
  }
})

test('mutual TLS: a client certificate signed by the broker\'s CA is served; none, or one another CA signed, is a one-line refusal naming the setting', async () => {
  const broker = await startTempBroker({ tls: { cert: fs.readFileSync(certs.serverCert), key: fs.readFileSync(certs.serverKey), ca: fs.readFileSync(certs.ca) } })
  try {
    const good = new KafkaClient({ settings: settingsOf({ brokers: [broker.bootstrap], tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' } }), clientId: 'mtls' })
    await good.verify()
    await good.produce([{ topic: 'mtls', value: 'ok' }])
    await good.close()
    for (const [tls, expected] of [
      [{ ca: 'ca.pem' }, /^the broker requires a client certificate: set kafka\.tls\.cert and kafka\.tls\.key/],
      [{ ca: 'ca.pem', cert: 'stranger.pem', key: 'stranger.key' }, /function\.yaml: kafka\.tls\.cert/]
    ] as const) {
      const k = settingsOf({ brokers: [broker.bootstrap], tls })
      const err = await new KafkaClient({ settings: k, clientId: 'mtls' }).verify().then(() => null, (e: Error) => e)
      assert.ok(err !== null, `${JSON.stringify(tls)} is refused`)
      assert.match(explainConnectionError(k, err), expected, `${JSON.stringify(tls)}: ${err.message}`)
    }
  } finally {
    await broker.close()
  }
})

test('refusals are lasting and explained: wrong password, wrong CA, a mechanism not offered, no SASL, plaintext to TLS and TLS to plaintext; a consumer that cannot authenticate fails instead of retrying', async () => {
  const broker = await tlsBroker({ sasl: { users: USERS, mechanisms: ['SCRAM-SHA-512'] } })
  const plain = await startTempBroker()
  const file = path.join(dir, 'function.yaml')
  try {
    const cases: { block: object, kind: string, line: RegExp }[] = [
      { block: { tls: { ca: 'ca.pem' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'not-it' } }, kind: 'sasl-credentials', line: new RegExp(`refused the credentials of user alice \\(SCRAM-SHA-512\\): check ${file}: kafka\\.sasl\\.username and kafka\\.sasl\\.password$`) },
      { block: { tls: { ca: 'other-ca.pem' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: PASSWORD } }, kind: 'tls-untrusted', line: new RegExp(`not signed by a CA this client trusts: check ${file}: kafka\\.tls\\.ca$`) },
      { block: { tls: true, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: PASSWORD } }, kind: 'tls-untrusted', line: /check kafka\.tls\.ca \(none given: the system CAs were used\)$/ },
      { block: { tls: { ca: 'ca.pem' }, sasl: { mechanism: 'PLAIN', username: 'alice', password: PASSWORD } }, kind: 'sasl-mechanism', line: new RegExp(`does not offer SASL PLAIN \\(it offers SCRAM-SHA-512\\): check ${file}: kafka\\.sasl\\.mechanism$`) },
      { block: { tls: { ca: 'ca.pem' } }, kind: 'sasl-required', line: /it requires SASL; set kafka\.sasl/ },
      { block: { sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: PASSWORD } }, kind: 'closed-early', line: /closed the connection before answering: if it expects TLS, set kafka\.tls/ }
    ]
    for (const c of cases) {
      const k = settingsOf({ brokers: [broker.bootstrap], ...c.block })
      const client = new KafkaClient({ settings: k, clientId: 'refused' })
      const err = await client.verify().then(() => null, (e: Error) => e)
      assert.ok(err !== null, `${JSON.stringify(c.block)} is refused`)
      assert.equal(failureKind(err), c.kind, `${JSON.stringify(c.block)}: ${err.message}`)
      const line = explainConnectionError(k, err)
      assert.match(line, c.line)
      assert.doesNotMatch(line, /\n/)
      assert.doesNotMatch(`${line} ${err.message}`, new RegExp(PASSWORD), 'no password in what is shown')
      await client.close()
    }
    // TLS to a plaintext listener: the handshake is hung up on.
    const tlsToPlain = settingsOf({ brokers: [plain.bootstrap], tls: { ca: 'ca.pem' } })
    const err = await new KafkaClient({ settings: tlsToPlain, clientId: 'tls-to-plain' }).verify().then(() => null, (e: Error) => e)
    assert.ok(err instanceof HandshakeClosed, String(err))
    assert.match(explainConnectionError(tlsToPlain, err), /the broker closed the TLS connection: .*that --brokers is its TLS listener|closed the TLS connection/)

    // The consumer: SecurityError is not retried like a lost connection, so subscribing fails at once.
    const wrong = settingsOf({ brokers: [broker.bootstrap], tls: { ca: 'ca.pem' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'not-it' } })
    const consumer = new KafkaClient({ settings: wrong, clientId: 'never' })
    const refused = await consumer.subscribe({ groupId: 'never', topics: ['never'], startFrom: 'earliest' }).then(() => null, (e: Error) => e)
    assert.ok(refused instanceof SecurityError, String(refused))
    // The client library's admin, which the autoscaler waits for topics with, does not wait for a refusal.
    await assert.rejects(consumer.waitForTopics(['never'], () => {}), (e: Error) => failureKind(e) === 'sasl-credentials')
    await consumer.close()
    assert.equal(broker.core.logs.getTopic('never'), undefined, 'nothing was created through a refused login')
  } finally {
    await broker.close()
    await plain.close()
  }
})

test('a session the broker limits (--sasl-session-lifetime-ms) is renewed on the same connection before it ends; a client that does not renew is cut off', async () => {
  const LIFETIME_MS = 1000
  const broker = await startTempBroker({ sasl: { users: USERS, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] }, saslSessionLifetimeMs: LIFETIME_MS })
  try {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256'] as const) {
      const k = settingsOf({ brokers: [broker.bootstrap], sasl: { mechanism, username: 'alice', password: PASSWORD } })
      const { sasl } = clientConnectionOptions(k)
      const conn = await openConnection({ host: broker.host, port: broker.port }, { clientId: 'reauth', sasl })
      try {
        let answered = 0
        let failure: Error | null = null
        // Requests all along, while sessions end and are renewed underneath.
        await waitFor(async () => {
          try {
            await conn.request(3, 1, { topics: [] })
          } catch (err) {
            failure = err as Error
            return true
          }
          answered++
          return conn.reauthentications >= 3
        }, { what: `three renewals over ${mechanism}`, timeoutMs: 60_000, intervalMs: 100 })
        assert.equal(failure, null, `no request failed over ${mechanism}`)
        assert.equal(conn.closed, false, 'the connection outlived three session lifetimes')
        assert.ok(answered > 3)
      } finally {
        conn.close()
      }
    }
    // Without renewing (a raw PLAIN login), the broker closes the connection once the session is over.
    const raw = await RawClient.connect(broker.port)
    try {
      await raw.request(18, 0, {})
      assert.equal((await raw.request(17, 1, { mechanism: 'PLAIN' })).errorCode, 0)
      const auth = await raw.request(36, 1, { authBytes: Buffer.from(`\u0000alice\u0000${PASSWORD}`) })
      assert.deepEqual([auth.errorCode, Number(auth.sessionLifetimeMs)], [0, LIFETIME_MS], 'the lifetime is told to the client')
      await waitFor(async () => await raw.request(3, 1, { topics: [] }).then(() => false, () => true), { what: 'the expired session to be cut off', timeoutMs: 30_000, intervalMs: 200 })
      assert.equal(raw.closed, true)
    } finally {
      raw.close()
    }
  } finally {
    await broker.close()
  }
})
