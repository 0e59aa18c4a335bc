import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { inspect } from 'node:util'
import { describeKafka, kafkaBlockSchema, kafkaEnvironment, KafkaSettingsError, layerFromBlock, layerFromEnv, plaintextSettings, resolveKafkaSettings } from './connection-settings.js'

const block = (o: unknown): ReturnType<typeof kafkaBlockSchema.parse> => kafkaBlockSchema.parse(o)

test('the first layer that sets a field wins: flags, then the environment, then the file; paths are relative to the file', () => {
  const file = layerFromBlock(block({ brokers: ['file:9093'], tls: { ca: './ca.pem', servername: 'kafka.internal' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'file-user', password: 'p1' } }), '/etc/tw/function.yaml')
  const env = layerFromEnv({ TIDEWATCH_KAFKA_SASL_USERNAME: 'env-user', TIDEWATCH_KAFKA_SASL_PASSWORD: 'p2', TIDEWATCH_KAFKA_BROKERS: '' })
  const k = resolveKafkaSettings([env, file])
  assert.deepEqual(k.brokers, ['file:9093'])
  assert.equal(k.tls?.ca, path.resolve('/etc/tw/ca.pem'))
  assert.equal(k.tls?.servername, 'kafka.internal')
  assert.equal(k.tls?.rejectUnauthorized, true)
  assert.equal(k.sasl?.mechanism, 'SCRAM-SHA-512')
  assert.equal(k.sasl !== null && 'username' in k.sasl ? k.sasl.username : null, 'env-user')
  assert.equal(k.sasl !== null && 'password' in k.sasl ? k.sasl.password.reveal() : null, 'p2')
  assert.equal(k.from.username, 'TIDEWATCH_KAFKA_SASL_USERNAME')
  assert.equal(k.from.ca, '/etc/tw/function.yaml: kafka.tls.ca')
})

test('a command line --brokers is a fallback only where no layer names brokers; none at all is an error saying where to give them', () => {
  assert.deepEqual(resolveKafkaSettings([layerFromEnv({})], ['127.0.0.1:9092']).brokers, ['127.0.0.1:9092'])
  assert.throws(() => resolveKafkaSettings([layerFromEnv({})]), /no Kafka brokers: give --brokers host:port, set TIDEWATCH_KAFKA_BROKERS, or write kafka.brokers/)
})

test('settings that cannot work are refused naming the setting: half a client certificate, SASL without a password, OAUTHBEARER without a token, bad values', () => {
  const f = (o: unknown): unknown => resolveKafkaSettings([layerFromBlock(block(o), 'f.yaml')])
  assert.throws(() => f({ brokers: ['a:1'], tls: { cert: 'c.pem' } }), (e: Error) => e instanceof KafkaSettingsError && e.message === 'f.yaml: kafka.tls.cert: a client certificate needs both cert and key; add key')
  assert.throws(() => f({ brokers: ['a:1'], sasl: { mechanism: 'PLAIN', username: 'u' } }), /f\.yaml: kafka\.sasl\.password: PLAIN needs a password/)
  assert.throws(() => f({ brokers: ['a:1'], sasl: { mechanism: 'SCRAM-SHA-256', password: 'x' } }), /f\.yaml: kafka\.sasl\.username: SCRAM-SHA-256 needs a username/)
  assert.throws(() => f({ brokers: ['a:1'], sasl: { mechanism: 'OAUTHBEARER' } }), /f\.yaml: kafka\.sasl\.token\.command: OAUTHBEARER needs a token/)
  assert.throws(() => layerFromEnv({ TIDEWATCH_KAFKA_TLS: 'maybe' }), /TIDEWATCH_KAFKA_TLS: expected true or false, got 'maybe'/)
  assert.throws(() => layerFromEnv({ TIDEWATCH_KAFKA_SASL_MECHANISM: 'GSSAPI' }), /TIDEWATCH_KAFKA_SASL_MECHANISM: expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, got 'GSSAPI'/)
  assert.throws(() => layerFromEnv({ TIDEWATCH_KAFKA_BROKERS: 'a:1,no-port' }), /'no-port' is not host:port/)
  assert.equal(kafkaBlockSchema.safeParse({ brokers: ['x'] }).success, false)
  assert.equal(kafkaBlockSchema.safeParse({ sasl: { mechanism: 'KERBEROS' } }).success, false)
})

test('tls: true uses the system CAs; any TLS field turns TLS on; tls: false keeps it off', () => {
  const r = (o: unknown): ReturnType<typeof resolveKafkaSettings> => resolveKafkaSettings([layerFromBlock(block({ brokers: 'b:9093', ...o as object }), 'f.yaml')])
  assert.deepEqual(r({ tls: true }).tls, { ca: null, cert: null, key: null, servername: null, rejectUnauthorized: true })
  assert.equal(r({ tls: { servername: 'x' } }).tls?.servername, 'x')
  assert.equal(r({ tls: false }).tls, null)
  assert.equal(r({}).tls, null)
})

test('the description names protocol, mechanism, user and brokers and no secret; the environment a replica gets gives back the same settings', () => {
  const k = resolveKafkaSettings([layerFromBlock(block({ brokers: ['b1:9093', 'b2:9093'], clientId: 'shop', tls: { ca: '/ca.pem', rejectUnauthorized: false }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'hunter2' } }), '/f.yaml')])
  assert.equal(describeKafka(k), 'b1:9093,b2:9093 over SASL_SSL SCRAM-SHA-256 as alice (certificates NOT verified)')
  assert.ok(!inspect(k, { depth: 9 }).includes('hunter2'))
  assert.ok(!JSON.stringify(k).includes('hunter2'))
  const again = resolveKafkaSettings([layerFromEnv(kafkaEnvironment(k))])
  assert.deepEqual({ ...again, from: {} }, { ...k, from: {} })
  assert.equal(again.sasl !== null && 'password' in again.sasl ? again.sasl.password.reveal() : null, 'hunter2')
  const oauth = resolveKafkaSettings([layerFromBlock(block({ brokers: 'b:1', sasl: { mechanism: 'OAUTHBEARER', token: { file: './token' } } }), '/etc/f.yaml')])
  assert.deepEqual(oauth.sasl, { mechanism: 'OAUTHBEARER', token: { file: '/etc/token' } })
  assert.equal(describeKafka(oauth), 'b:1 over SASL_PLAINTEXT OAUTHBEARER')
  assert.deepEqual(resolveKafkaSettings([layerFromEnv(kafkaEnvironment(oauth))]).sasl, oauth.sasl)
})

test('what a supervisor resolved off stays off in its replica: the environment says no TLS and no SASL over a Function file that has both', () => {
  const file = layerFromBlock(block({ brokers: ['kafka:9093'], tls: { ca: './ca.pem' }, sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } }), '/etc/f.yaml')
  const env = kafkaEnvironment(plaintextSettings(['127.0.0.1:9092']))
  assert.deepEqual(env, { TIDEWATCH_KAFKA_BROKERS: '127.0.0.1:9092', TIDEWATCH_KAFKA_TLS: 'false', TIDEWATCH_KAFKA_SASL_MECHANISM: 'none' })
  const k = resolveKafkaSettings([layerFromEnv(env), file])
  assert.deepEqual([k.brokers, k.tls, k.sasl], [['127.0.0.1:9092'], null, null])
  // Without the supervisor's word, the file's settings apply (a Kubernetes pod).
  assert.equal(resolveKafkaSettings([layerFromEnv({}), file]).sasl?.mechanism, 'PLAIN')
})
