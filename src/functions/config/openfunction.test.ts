import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { importOpenFunction } from './openfunction.js'
import { loadFunctionConfig } from './load.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..')
const seedFile = path.join(root, 'examples', 'logs-handler', 'openfunction.yaml')

test('the seed\'s v1alpha1 Function: Kafka binding → input, HTTP binding → alertmanager output, KEDA → scale, the rest reported', () => {
  const { native, notCarried } = importOpenFunction(parse(fs.readFileSync(seedFile, 'utf8')))
  assert.deepEqual(native, {
    name: 'logs-handler',
    input: { topic: 'logs', consumerGroup: 'logs-handler' },
    handler: './handler.ts',
    outputs: { 'notification-manager': { type: 'alertmanager', url: 'http://notification-manager-svc.kubesphere-monitoring-system.svc.cluster.local:19093' } },
    scale: { minReplicas: 0, maxReplicas: 10, lagThreshold: 10, pollingInterval: 15, cooldownPeriod: 30 }
  })
  const notes = notCarried.join('\n')
  for (const field of ['spec.image', 'spec.build', 'LogsHandler', 'dapr.annotations', 'brokers']) assert.ok(notes.includes(field), `${field} reported`)
})

test('a v1beta2 Function (bindings/triggers/scaleOptions layout) maps the same way', () => {
  const doc = parse(`
apiVersion: core.openfunction.io/v1beta2
kind: Function
metadata: {name: logs-async-handler}
spec:
  version: v2.0.0
  image: openfunctiondev/logs-async-handler:v1
  build:
    builder: openfunction/builder-go:latest
    env: {FUNC_NAME: LogsHandler}
    srcRepo: {url: https://github.com/OpenFunction/samples.git, sourceSubPath: functions/async/logs-handler-function/}
  serving:
    workloadType: Deployment
    triggers:
      dapr: [{name: kafka-receiver, type: bindings.kafka}]
    bindings:
      kafka-receiver:
        type: bindings.kafka
        version: v1
        metadata:
          - {name: brokers, value: kafka-server-kafka-brokers:9092}
          - {name: topics, value: logs}
          - {name: consumerGroup, value: logs-handler}
      notification-manager:
        type: bindings.http
        version: v1
        metadata:
          - {name: url, value: http://nm.example.svc:19093/api/v2/alerts}
      audit:
        type: bindings.http
        metadata:
          - {name: url, value: https://audit.example.com/hook}
    outputs:
      - dapr: {name: notification-manager, type: bindings.http, operation: post}
      - dapr: {name: audit, type: bindings.http, operation: post}
    scaleOptions:
      minReplicas: 0
      maxReplicas: 10
      keda:
        scaledObject:
          pollingInterval: 15
          cooldownPeriod: 60
          advanced: {horizontalPodAutoscalerConfig: {behavior: {scaleUp: {stabilizationWindowSeconds: 0}}}}
        triggers:
          - type: kafka
            metadata: {topic: logs, consumerGroup: logs-handler, lagThreshold: "20", offsetResetPolicy: earliest}
`)
  const { native, notCarried } = importOpenFunction(doc, './logs.ts')
  assert.deepEqual(native.input, { topic: 'logs', consumerGroup: 'logs-handler', startFrom: 'earliest' })
  assert.deepEqual(native.outputs, {
    'notification-manager': { type: 'alertmanager', url: 'http://nm.example.svc:19093' },
    audit: { type: 'webhook', url: 'https://audit.example.com/hook' }
  })
  assert.deepEqual(native.scale, { minReplicas: 0, maxReplicas: 10, lagThreshold: 20, pollingInterval: 15, cooldownPeriod: 60 })
  assert.equal(native.handler, './logs.ts')
  assert.ok(notCarried.some(n => n.includes('workloadType')))
  assert.ok(notCarried.some(n => n.includes('advanced')))
})

test('run and test accept the OpenFunction file directly, with the handler beside it', () => {
  const config = loadFunctionConfig(seedFile, {})
  assert.equal(config.name, 'logs-handler')
  assert.equal(config.input.consumerGroup, 'logs-handler')
  assert.equal(config.handler.path, path.join(root, 'examples', 'logs-handler', 'handler.ts'))
  assert.equal(config.outputs.get('notification-manager')?.type, 'alertmanager')
  assert.ok(config.notCarried.length > 0)
})
