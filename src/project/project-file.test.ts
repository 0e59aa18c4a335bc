import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError } from '../functions/config/load.js'
import { resolveKafkaSettings } from '../kafka/connection-settings.js'
import { parseProjectFile } from './project-file.js'

function dir (): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-project-'))
  fs.writeFileSync(path.join(d, 'function.yaml'), 'name: x\n')
  fs.writeFileSync(path.join(d, 'notifier.yaml'), 'route: { receiver: r }\n')
  return d
}

test('a project file resolves its paths relative to itself and fills in defaults', () => {
  const d = dir()
  const p = parseProjectFile(path.join(d, 'tidewatch.yaml'), 'functions: [./function.yaml]\nnotifier: notifier.yaml\n')
  assert.deepEqual(p.functions, [path.join(d, 'function.yaml')])
  assert.equal(p.notifier, path.join(d, 'notifier.yaml'))
  assert.deepEqual(p.broker, { partitions: 10 })
  assert.deepEqual(p.demo, { topic: 'logs' })
})

test('every problem of a project file is reported with its line, column and field', () => {
  const d = dir()
  const file = path.join(d, 'tidewatch.yaml')
  assert.throws(() => parseProjectFile(file, 'functions:\n  - ./function.yaml\n  - ./missing.yaml\nnotifier: ./nope.yaml\n'), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, new RegExp(`${file}:3:5: functions.1: no such file: .*missing.yaml; Function file paths are relative to the project file`))
    assert.match(err.message, /:4:11: notifier: no such file: .*nope.yaml/)
    return true
  })
  assert.throws(() => parseProjectFile(file, 'functoins: [a]\nbroker: { partitions: 0 }\n'), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /unknown field 'functoins'; check the spelling/)
    assert.match(err.message, /:2:23: broker.partitions: /)
    return true
  })
})

const RULES = `groups:
  - name: shop
    rules:
      - alert: JavaException
        expr: 'sum by (pod) (count_over_time({namespace="shop"} |~ "(?i)exception" [1m])) > 0'
`

test('rules entries: a path or { file, topic, scale }; functions are no longer required; names from the file', () => {
  const d = dir()
  fs.writeFileSync(path.join(d, 'shop.rules.yaml'), RULES)
  fs.writeFileSync(path.join(d, 'other.yaml'), RULES)
  const p = parseProjectFile(path.join(d, 'tidewatch.yaml'), 'rules:\n  - ./shop.rules.yaml\n  - { file: other.yaml, name: audit, topic: audit-logs, scale: { maxReplicas: 4, lagThreshold: 50 } }\n')
  assert.deepEqual(p.functions, [])
  assert.deepEqual(p.rules.map(r => [r.name, r.file, r.input.topic, r.input.consumerGroup, r.scale.minReplicas, r.scale.maxReplicas, r.scale.lagThreshold, r.ruleCount]), [
    ['shop-rules', path.join(d, 'shop.rules.yaml'), 'logs', 'shop-rules', 1, 100, 10, 1],
    ['audit', path.join(d, 'other.yaml'), 'audit-logs', 'audit', 1, 4, 50, 1]
  ])
})

test('rules entries are checked with the project: rule file problems, a missing file, minReplicas 0 and a taken name, all at once', () => {
  const d = dir()
  fs.writeFileSync(path.join(d, 'bad.yaml'), 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: \'rate({a="b"} |> "x" [1m]) > 0\'\n')
  fs.writeFileSync(path.join(d, 'good.yaml'), RULES)
  const file = path.join(d, 'tidewatch.yaml')
  assert.throws(() => parseProjectFile(file, 'rules:\n  - ./bad.yaml\n  - ./gone.yaml\n  - { file: good.yaml, scale: { minReplicas: 0 } }\n  - { file: good.yaml }\n'), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, new RegExp(`${path.join(d, 'bad.yaml')}:5:\\d+: groups\\[0\\]\\.rules\\[0\\]\\.expr: .*not supported`))
    assert.match(err.message, /tidewatch.yaml:3:5: rules.1: no such file: .*gone.yaml/)
    assert.match(err.message, /tidewatch.yaml:4:\d+: rules.2.scale.minReplicas: must be at least 1 for rules/)
    assert.match(err.message, /tidewatch.yaml:5:\d+: rules.3.file: the name 'good' is taken/)
    return true
  })
  assert.throws(() => parseProjectFile(file, 'notifier: notifier.yaml\n'), /list at least one Function file \(functions:\) or rule file \(rules:\)/)
})

test('the broker block takes OAUTHBEARER settings: the key set resolved relative to the file, one audience as a list; sasl with nothing to check against is refused', () => {
  const d = dir()
  fs.writeFileSync(path.join(d, 'jwks.json'), '{"keys":[]}')
  const file = path.join(d, 'tidewatch.yaml')
  const p = parseProjectFile(file, 'functions: [./function.yaml]\nbroker:\n  sasl:\n    oauthbearer: { jwks: ./jwks.json, audience: kafka, issuer: https://idp.example, clockSkewSeconds: 5 }\n')
  assert.deepEqual(p.broker.sasl, { oauthbearer: { jwks: path.join(d, 'jwks.json'), audience: ['kafka'], issuer: 'https://idp.example', clockSkewSeconds: 5 } })
  assert.throws(() => parseProjectFile(file, 'functions: [./function.yaml]\nbroker:\n  sasl: { mechanisms: [OAUTHBEARER] }\n'), /tidewatch\.yaml:3:\d+: broker\.sasl: say who may authenticate: usersFile \(PLAIN, SCRAM\), oauthbearer \(tokens\), or both/)
  assert.throws(() => parseProjectFile(file, 'functions: [./function.yaml]\nbroker:\n  sasl: { oauthbearer: { jwks: ./gone.json } }\n'), /broker\.sasl\.oauthbearer\.jwks: no such file: .*gone\.json/)
})

test('the broker block takes TLS and SASL settings, its files resolved relative to the project file', () => {
  const d = dir()
  for (const f of ['server.pem', 'server.key', 'ca.pem', 'users']) fs.writeFileSync(path.join(d, f), '')
  const p = parseProjectFile(path.join(d, 'tidewatch.yaml'), [
    'functions: [./function.yaml]',
    'broker:',
    '  host: 0.0.0.0',
    '  advertisedHost: logs.example.com',
    '  tls: { cert: server.pem, key: ./server.key, ca: ca.pem }',
    '  sasl: { usersFile: users, mechanisms: [SCRAM-SHA-256] }'
  ].join('\n'))
  assert.deepEqual(p.broker, {
    partitions: 10,
    host: '0.0.0.0',
    advertisedHost: 'logs.example.com',
    tls: { cert: path.join(d, 'server.pem'), key: path.join(d, 'server.key'), ca: path.join(d, 'ca.pem') },
    sasl: { usersFile: path.join(d, 'users'), mechanisms: ['SCRAM-SHA-256'] }
  })
  // Client certificates alone also authenticate an exposed broker.
  assert.doesNotThrow(() => parseProjectFile(path.join(d, 'tidewatch.yaml'), 'functions: [./function.yaml]\nbroker: { host: 0.0.0.0, tls: { cert: server.pem, key: server.key, ca: ca.pem } }\n'))
  assert.throws(() => parseProjectFile(path.join(d, 'tidewatch.yaml'), 'functions: [./function.yaml]\nbroker: { host: 0.0.0.0, tls: { cert: server.pem, key: server.key } }\n'), /broker\.host: refusing to listen on 0\.0\.0\.0 without authentication/)
})

test('a kafka: block (for deploy) becomes the lowest layer of the connection settings: paths relative to the project file, ${VAR} for the password', () => {
  const d = dir()
  fs.writeFileSync(path.join(d, 'ca.pem'), '')
  const file = path.join(d, 'tidewatch.yaml')
  const text = 'functions: [./function.yaml]\nkafka:\n  brokers: [kafka-0.kafka:9093, kafka-1.kafka:9093]\n  tls: { ca: ca.pem }\n  sasl: { mechanism: SCRAM-SHA-512, username: alerts, password: "${KAFKA_PASSWORD}" }\n'
  const p = parseProjectFile(file, text, { KAFKA_PASSWORD: 'pa55-9f2c' })
  const k = resolveKafkaSettings([p.kafka])
  assert.deepEqual(k.brokers, ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'])
  assert.equal(k.tls?.ca, path.join(d, 'ca.pem'))
  assert.equal(k.sasl?.mechanism === 'SCRAM-SHA-512' && k.sasl.password.reveal(), 'pa55-9f2c')
  assert.equal(k.from.mechanism, `${file}: kafka.sasl.mechanism`)
  assert.deepEqual(p.kafkaAt, { line: 3, column: 3 })
  const none = parseProjectFile(file, 'functions: [./function.yaml]\n')
  assert.equal(none.kafkaAt, null)
  assert.deepEqual(Object.keys(none.kafka).filter(f => f !== 'origin' && (none.kafka as any)[f] !== undefined), [])
})

test('problems of the kafka: block are reported with the project file\'s others, each at its line and field', () => {
  const d = dir()
  const file = path.join(d, 'tidewatch.yaml')
  assert.throws(() => parseProjectFile(file, 'functions: [./function.yaml]\nkafka:\n  brokers: [kafka]\n  tsl: true\n', {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, new RegExp(`${file}:3:13: kafka\\.brokers\\.0: expected host:port`))
    assert.match(err.message, /:3:3: kafka: unknown field 'tsl'; check the spelling/)
    return true
  })
  assert.throws(() => parseProjectFile(file, 'functions: [./function.yaml]\nkafka:\n  brokers: k:9093\n  sasl: { mechanism: PLAIN, username: u, password: "${NOT_SET_ANYWHERE}" }\n', {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.equal(err.problems.length, 1, err.message)
    assert.match(err.message, /tidewatch\.yaml:4:52: kafka\.sasl\.password: environment variable NOT_SET_ANYWHERE is not set/)
    return true
  })
  assert.throws(() => parseProjectFile(file, 'functions: [./function.yaml, ./gone.yaml]\nkafka:\n  brokers: k:9093\n  tls: { ca: ./missing-ca.pem }\n', {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /tidewatch\.yaml:1:30: functions\.1: no such file/)
    assert.match(err.message, /tidewatch\.yaml:4:14: kafka\.tls\.ca: no such file: .*missing-ca\.pem; certificate and key paths are relative to the project file/)
    return true
  })
})
