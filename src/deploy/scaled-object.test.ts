import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv, type ValidateFunction } from 'ajv'
import { parse } from 'yaml'
import { parseFunctionConfig, type FunctionConfig } from '../functions/config/load.js'
import { kafkaTriggerMetadata, scaledObjectManifest } from './scaled-object.js'
import type { DeployTarget } from './manifests.js'

// Compiled to dist/src/deploy/; the repository root is three levels up.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const example = path.join(repoRoot, 'examples', 'logs-handler')

function config (yaml: string): FunctionConfig {
  return parseFunctionConfig(path.join(example, 'deploy-test.yaml'), yaml, {})
}

const target: DeployTarget = { name: 'logs-handler', image: 'tidewatch:test', brokers: 'kafka-0.kafka:9092,kafka-1.kafka:9092' }

/** KEDA's own ScaledObject CRD schema: what an API server with KEDA installed validates against. */
function kedaValidator (): ValidateFunction {
  const crd = parse(fs.readFileSync(path.resolve(repoRoot, 'vendor', 'keda-crds', 'keda.sh_scaledobjects.yaml'), 'utf8'))
  const version = crd.spec.versions.find((v: { served: boolean, storage: boolean }) => v.served && v.storage)
  assert.ok(version !== undefined, 'the CRD has a served storage version')
  const ajv = new Ajv({ strict: false, allErrors: true })
  // Formats Kubernetes' OpenAPI schemas use, checked as the API server checks them.
  ajv.addFormat('int32', { type: 'number', validate: n => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 })
  ajv.addFormat('int64', { type: 'number', validate: n => Number.isSafeInteger(n) })
  ajv.addFormat('date-time', { type: 'string', validate: s => !Number.isNaN(Date.parse(s)) })
  return ajv.compile(version.schema.openAPIV3Schema)
}

const tuned = `name: logs-handler
input: { topic: app-logs, consumerGroup: alerting, startFrom: earliest }
handler: ./handler.ts
scale:
  minReplicas: 2
  maxReplicas: 12
  lagThreshold: 50
  activationLagThreshold: 5
  pollingInterval: 15
  cooldownPeriod: 120
  scaleDownStabilization: 90
  limitToPartitionsWithLag: true
`

test('every scale and input setting lands in its own ScaledObject field', () => {
  const so = scaledObjectManifest(config(tuned), target) as any
  assert.equal(so.apiVersion, 'keda.sh/v1alpha1')
  assert.equal(so.kind, 'ScaledObject')
  assert.equal(so.metadata.name, 'logs-handler')
  assert.equal(so.metadata.namespace, undefined, 'no namespace unless asked for')
  assert.equal(so.spec.scaleTargetRef.name, 'logs-handler')
  assert.equal(so.spec.scaleTargetRef.kind, 'Deployment')
  assert.equal(so.spec.pollingInterval, 15)
  assert.equal(so.spec.cooldownPeriod, 120)
  assert.equal(so.spec.minReplicaCount, 2)
  assert.equal(so.spec.maxReplicaCount, 12)
  assert.equal(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds, 90)
  assert.equal(so.spec.triggers.length, 1)
  assert.equal(so.spec.triggers[0].type, 'kafka')
  assert.deepEqual(so.spec.triggers[0].metadata, {
    bootstrapServers: 'kafka-0.kafka:9092,kafka-1.kafka:9092',
    consumerGroup: 'alerting',
    topic: 'app-logs',
    lagThreshold: '50',
    activationLagThreshold: '5',
    offsetResetPolicy: 'earliest',
    allowIdleConsumers: 'false',
    limitToPartitionsWithLag: 'true'
  })
})

test('defaults follow KEDA: the group is the function name, latest, threshold 10, idle consumers off', () => {
  const meta = kafkaTriggerMetadata(config('name: logs-handler\ninput: { topic: logs }\nhandler: ./handler.ts\nscale: { allowIdleConsumers: true }\n'), target.brokers)
  assert.equal(meta.consumerGroup, 'logs-handler')
  assert.equal(meta.offsetResetPolicy, 'latest')
  assert.equal(meta.lagThreshold, '10')
  assert.equal(meta.activationLagThreshold, '0')
  assert.equal(meta.allowIdleConsumers, 'true')
  assert.equal(meta.limitToPartitionsWithLag, 'false')
  for (const [key, value] of Object.entries(meta)) assert.equal(typeof value, 'string', `${key} is a string, as KEDA requires`)
})

test('the namespace, when given, is set on the ScaledObject', () => {
  const so = scaledObjectManifest(config(tuned), { ...target, namespace: 'observability' }) as any
  assert.equal(so.metadata.namespace, 'observability')
  assert.deepEqual(so.metadata.labels, { 'app.kubernetes.io/name': 'logs-handler', 'app.kubernetes.io/part-of': 'tidewatch' })
})

test('the rendered ScaledObject validates against KEDA\'s CRD schema, and broken ones do not', () => {
  const validate = kedaValidator()
  for (const yaml of [tuned, 'name: logs-handler\ninput: { topic: logs }\nhandler: ./handler.ts\n']) {
    const so = scaledObjectManifest(config(yaml), target)
    assert.ok(validate(so), JSON.stringify(validate.errors, null, 2))
  }

  // The check can fail: KEDA refuses a number in trigger metadata…
  const numeric = structuredClone(scaledObjectManifest(config(tuned), target)) as any
  numeric.spec.triggers[0].metadata.lagThreshold = 50
  assert.equal(validate(numeric), false)
  assert.ok(validate.errors!.some(e => e.instancePath === '/spec/triggers/0/metadata/lagThreshold' && e.keyword === 'type'), JSON.stringify(validate.errors))

  // …a ScaledObject without a target…
  const untargeted = structuredClone(scaledObjectManifest(config(tuned), target)) as any
  delete untargeted.spec.scaleTargetRef
  assert.equal(validate(untargeted), false)
  assert.ok(validate.errors!.some(e => e.keyword === 'required' && e.params.missingProperty === 'scaleTargetRef'))

  // …and one without triggers.
  const triggerless = structuredClone(scaledObjectManifest(config(tuned), target)) as any
  triggerless.spec.triggers = []
  assert.equal(validate(triggerless), false)
})
