import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { parseFunctionConfig, type FunctionConfig } from '../functions/config/load.js'
import { configMapDataBytes, deploymentManifest, secretManifest, type DeployTarget } from './manifests.js'
import { clusterFunctionFile } from './function-file.js'
import { functionFileYaml, renderKubernetes } from './render-kubernetes.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const example = path.join(repoRoot, 'examples', 'logs-handler')

function config (yaml: string): FunctionConfig {
  return parseFunctionConfig(path.join(example, 'deploy-test.yaml'), yaml, {})
}

const basic = 'name: logs-handler\ninput: { topic: logs }\nhandler: ./handler.ts\noutputs:\n  am: { type: alertmanager, url: "http://am.monitoring:9093" }\n'
const target: DeployTarget = { name: 'logs-handler', image: 'registry.example/tidewatch:9.9.9', brokers: 'kafka:9092' }

test('the Deployment has every required field, selects exactly its pod labels, and mounts the volumes it declares', () => {
  const d = deploymentManifest(config(basic), target, 'abc') as any
  assert.equal(d.apiVersion, 'apps/v1')
  assert.equal(d.kind, 'Deployment')
  assert.equal(d.metadata.name, 'logs-handler')
  assert.deepEqual(d.spec.selector.matchLabels, d.spec.template.metadata.labels)
  assert.deepEqual(d.spec.template.metadata.labels, { 'app.kubernetes.io/name': 'logs-handler', 'app.kubernetes.io/part-of': 'tidewatch' })
  const pod = d.spec.template.spec
  assert.equal(pod.containers.length, 1)
  const [c] = pod.containers
  assert.equal(c.name, 'replica')
  assert.equal(c.image, 'registry.example/tidewatch:9.9.9')
  assert.deepEqual(c.args, ['replica', '/function/function.yaml', '--brokers', 'kafka:9092'])
  assert.deepEqual(c.envFrom, [{ secretRef: { name: 'logs-handler-outputs' } }])
  const volumes = new Set(pod.volumes.map((v: { name: string }) => v.name))
  assert.equal(volumes.size, pod.volumes.length, 'volume names are unique')
  for (const m of c.volumeMounts) assert.ok(volumes.has(m.name), `mount ${m.name} has a volume`)
  for (const v of volumes) assert.ok(c.volumeMounts.some((m: { name: string }) => m.name === v), `volume ${String(v)} is mounted`)
  const fnMount = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/function')
  assert.equal(fnMount.readOnly, true)
  assert.deepEqual(pod.volumes.find((v: { name: string }) => v.name === fnMount.name).configMap, { name: 'logs-handler-function' })
  assert.equal(pod.terminationGracePeriodSeconds, 60)
  assert.equal(pod.securityContext.runAsNonRoot, true)
  assert.equal(typeof pod.securityContext.runAsUser, 'number', 'runAsNonRoot needs a numeric user to be enforceable')
  assert.ok(c.resources.requests.cpu !== undefined && c.resources.requests.memory !== undefined)
  assert.equal(d.spec.template.metadata.annotations['tidewatch/config-sha256'], 'abc')
})

test('replicas is left to KEDA when the function scales to zero, and starts at the minimum otherwise', () => {
  assert.equal('replicas' in (deploymentManifest(config(basic), target, 'x') as any).spec, false)
  const three = config(basic + 'scale: { minReplicas: 3, maxReplicas: 6 }\n')
  assert.equal((deploymentManifest(three, target, 'x') as any).spec.replicas, 3)
})

test('the namespace is set on every object when given, and on none otherwise', () => {
  const fn = clusterFunctionFile(config(basic))
  const render = (namespace?: string): any[] => renderKubernetes({
    config: config(basic), target: { ...target, namespace }, functionYaml: functionFileYaml(fn.document), handlerCode: 'export default () => {}\n', secrets: fn.secrets, source: 'function.yaml'
  }).filter(f => f.name.endsWith('.yaml') && f.name !== 'kustomization.yaml').map(f => parse(f.text))
  for (const m of render('team-a')) assert.equal(m.metadata.namespace, 'team-a', m.kind)
  for (const m of render()) assert.equal(m.metadata.namespace, undefined, m.kind)
})

test('rendered files: four manifests in a kustomization, the Secret marked secret, YAML 1.1-safe strings', () => {
  const cfg = config(basic.replace('topic: logs', 'topic: "on"'))
  const fn = clusterFunctionFile(cfg)
  const files = renderKubernetes({ config: cfg, target, functionYaml: functionFileYaml(fn.document), handlerCode: 'export default () => {}\n', secrets: fn.secrets, source: 'function.yaml' })
  assert.deepEqual(files.map(f => f.name), ['configmap.yaml', 'secret.yaml', 'deployment.yaml', 'scaledobject.yaml', 'kustomization.yaml', 'Dockerfile'])
  assert.deepEqual(files.filter(f => f.secret).map(f => f.name), ['secret.yaml'])
  assert.deepEqual(parse(files[4].text).resources, ['configmap.yaml', 'secret.yaml', 'deployment.yaml', 'scaledobject.yaml'])
  // A YAML 1.1 reader (as Kubernetes uses) must still see strings.
  const so = parse(files[3].text, { version: '1.1' })
  assert.equal(so.spec.triggers[0].metadata.topic, 'on')
  for (const f of files.filter(f => f.name.endsWith('.yaml'))) assert.ok(!f.text.includes('&a'), `${f.name} has no YAML anchors`)
})

test('a Secret carries its values as stringData of type Opaque', () => {
  const s = secretManifest(target, { TIDEWATCH_SECRET_1: 'v' }) as any
  assert.equal(s.kind, 'Secret')
  assert.equal(s.type, 'Opaque')
  assert.equal(s.metadata.name, 'logs-handler-outputs')
  assert.deepEqual(s.stringData, { TIDEWATCH_SECRET_1: 'v' })
})

test('ConfigMap size counts keys and values in bytes, as the API server does', () => {
  assert.equal(configMapDataBytes({ 'a.txt': 'é' }), 5 + 2)
})
