import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { kafkaBlockSchema, layerFromBlock, resolveKafkaSettings } from '../kafka/connection-settings.js'
import { kafkaAuthManifests, KAFKA_TLS_MOUNT_PATH } from './kafka-auth.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const target = { name: 'shop-errors', namespace: 'alerting', image: 'tidewatch:test', brokers: 'kafka:9093' }

function triggerAuthenticationValidator (): (m: unknown) => string[] {
  const crd = parse(fs.readFileSync(path.join(repoRoot, 'vendor', 'keda-crds', 'keda.sh_triggerauthentications.yaml'), 'utf8'))
  const version = crd.spec.versions.find((v: { served: boolean, storage: boolean }) => v.served && v.storage)
  const validate = new Ajv({ strict: false, allErrors: true }).compile(version.schema.openAPIV3Schema)
  return m => validate(m) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message ?? ''}`)
}

function settings (block: unknown, dir: string): ReturnType<typeof resolveKafkaSettings> {
  return resolveKafkaSettings([layerFromBlock(kafkaBlockSchema.parse(block), path.join(dir, 'function.yaml'))])
}

test('SASL_SSL with SCRAM and a client certificate: one Secret under KEDA\'s parameter names, a TriggerAuthentication valid against KEDA\'s CRD, and the pod reads the same Secret', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-kafka-auth-'))
  for (const f of ['ca', 'cert', 'key']) fs.writeFileSync(path.join(dir, `${f}.pem`), `-----BEGIN ${f.toUpperCase()}-----\n${f}\n-----END-----\n`)
  const k = settings({ brokers: ['kafka:9093'], tls: { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'alerts', password: 's3cret' } }, dir)
  const r = kafkaAuthManifests(k, target)
  const [secret, auth] = r.manifests as Array<Record<string, any>>
  assert.equal(secret.kind, 'Secret')
  assert.deepEqual(Object.keys(secret.stringData).sort(), ['ca', 'cert', 'key', 'password', 'sasl', 'tls', 'username'])
  assert.equal(secret.stringData.sasl, 'scram_sha512')
  assert.equal(secret.stringData.tls, 'enable')
  assert.match(secret.stringData.ca, /BEGIN CA/)
  assert.deepEqual(triggerAuthenticationValidator()(auth), [])
  assert.deepEqual(auth.spec.secretTargetRef.map((p: { parameter: string }) => p.parameter).sort(), ['ca', 'cert', 'key', 'password', 'sasl', 'tls', 'username'])
  assert.ok(auth.spec.secretTargetRef.every((p: { name: string, key: string, parameter: string }) => p.name === 'shop-errors-kafka' && p.key === p.parameter))
  assert.deepEqual(r.authenticationRef, { name: 'shop-errors-kafka' })
  // The pod: credentials from the Secret by reference (never inline), certificates as files.
  assert.ok(!JSON.stringify(r.env).includes('s3cret'))
  assert.deepEqual(r.env.find(e => e.name === 'TIDEWATCH_KAFKA_SASL_PASSWORD'), { name: 'TIDEWATCH_KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-errors-kafka', key: 'password' } } })
  assert.deepEqual(r.env.find(e => e.name === 'TIDEWATCH_KAFKA_TLS_CA'), { name: 'TIDEWATCH_KAFKA_TLS_CA', value: `${KAFKA_TLS_MOUNT_PATH}/ca.pem` })
  assert.deepEqual((r.volumes[0] as any).secret.items, [{ key: 'ca', path: 'ca.pem' }, { key: 'cert', path: 'cert.pem' }, { key: 'key', path: 'key.pem' }])
  assert.deepEqual(r.triggerMetadata, {})
})

test('a plaintext cluster renders nothing; TLS without verification says so to KEDA; OAUTHBEARER and unreadable certificates are refused naming the setting', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-kafka-auth-'))
  assert.deepEqual(kafkaAuthManifests(settings({ brokers: 'kafka:9092' }, dir), target).manifests, [])
  const insecure = kafkaAuthManifests(settings({ brokers: 'kafka:9093', tls: { rejectUnauthorized: false } }, dir), target)
  assert.deepEqual(insecure.triggerMetadata, { unsafeSsl: 'true' })
  assert.deepEqual(insecure.volumes, [])
  assert.deepEqual(triggerAuthenticationValidator()(insecure.manifests[1]), [])
  assert.throws(() => kafkaAuthManifests(settings({ brokers: 'k:1', sasl: { mechanism: 'OAUTHBEARER', token: { command: 'get-token' } } }, dir), target), /function\.yaml: kafka\.sasl\.mechanism: OAUTHBEARER cannot be rendered for Kubernetes yet/)
  assert.throws(() => kafkaAuthManifests(settings({ brokers: 'k:1', tls: { ca: 'missing.pem' } }, dir), target), /function\.yaml: kafka\.tls\.ca: cannot read .*missing\.pem to put it in the Secret: ENOENT/)
})
