// The Kafka Secret, KEDA's TriggerAuthentication and the pods' side of them, for every way of
// connecting deploy renders (PLAIN, SCRAM-SHA-256/512, TLS with and without a client certificate)
// and every workload that connects (a function, a rules workload, the tail DaemonSet): checked
// against KEDA's CRD schemas and the API server's rules for Secrets and pods, with the password
// and the private key confined to the Secret's file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { parseFunctionConfig } from '../functions/config/load.js'
import { scaleSchema } from '../functions/config/schema.js'
import { kafkaBlockSchema, layerFromBlock, layerFromEnv, resolveKafkaSettings, type KafkaSettings } from '../kafka/connection-settings.js'
import { kedaProblems, podProblems, secretProblems, triggerAuthProblems } from '../../test/helpers/kubernetes.js'
import { clusterFunctionFile } from './function-file.js'
import { KAFKA_TLS_MOUNT_PATH, kafkaAuth, resolveDeployKafka } from './kafka-auth.js'
import { POD_SECURITY_CONTEXT } from './manifests.js'
import { functionFileYaml, renderKubernetes, type RenderedFile } from './render-kubernetes.js'
import { renderRulesKubernetes } from './rules-workload.js'
import { renderTailDaemonSet, TAIL_DAEMONSET_DEFAULTS } from './tail-daemonset.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const example = path.join(repoRoot, 'examples', 'logs-handler')
const PASSWORD = 'pa55-w0rd-9c1e'
const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nclient-key-body-4b7d\n-----END PRIVATE KEY-----\n'

function certDir (): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-kafka-auth-'))
  fs.writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nca-body\n-----END CERTIFICATE-----\n')
  fs.writeFileSync(path.join(dir, 'client.pem'), '-----BEGIN CERTIFICATE-----\nclient-cert-body\n-----END CERTIFICATE-----\n')
  fs.writeFileSync(path.join(dir, 'client.key'), KEY_PEM)
  return dir
}

function settings (block: unknown, dir: string): KafkaSettings {
  return resolveKafkaSettings([layerFromBlock(kafkaBlockSchema.parse(block), path.join(dir, 'function.yaml'))])
}

const sasl = (mechanism: string): unknown => ({ mechanism, username: 'alerts', password: PASSWORD })
const CASES: Array<{ name: string, block: unknown, keda: Record<string, string> }> = [
  { name: 'SASL PLAIN over TLS', block: { brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'], tls: { ca: 'ca.pem' }, sasl: sasl('PLAIN') }, keda: { sasl: 'plaintext', tls: 'enable' } },
  { name: 'SCRAM-SHA-256 without TLS', block: { brokers: 'kafka:9092', sasl: sasl('SCRAM-SHA-256') }, keda: { sasl: 'scram_sha256' } },
  { name: 'SCRAM-SHA-512 with mutual TLS', block: { brokers: 'kafka:9093', tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' }, sasl: sasl('SCRAM-SHA-512') }, keda: { sasl: 'scram_sha512', tls: 'enable' } },
  { name: 'TLS server authentication only', block: { brokers: 'kafka:9093', tls: { ca: 'ca.pem' } }, keda: { tls: 'enable' } },
  { name: 'mutual TLS only', block: { brokers: 'kafka:9093', tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' } }, keda: { tls: 'enable' } },
  { name: 'TLS against the system CAs', block: { brokers: 'kafka.example.com:9093', tls: true }, keda: { tls: 'enable' } }
]

/** Every file a function, a rules workload and the tail render for these settings, by workload. */
function renderAll (k: KafkaSettings): Record<'function' | 'rules' | 'tail', RenderedFile[]> {
  const brokers = k.brokers.join(',')
  const config = parseFunctionConfig(path.join(example, 'deploy-test.yaml'), 'name: shop-errors\ninput: { topic: logs }\nhandler: ./handler.ts\noutputs:\n  am: { type: alertmanager, url: "http://am.monitoring:9093" }\n', {})
  const fn = clusterFunctionFile(config)
  const fnTarget = { name: 'shop-errors', namespace: 'alerting', image: 'tidewatch:test', brokers }
  const rulesTarget = { ...fnTarget, name: 'shop-rules' }
  return {
    function: renderKubernetes({ config, target: fnTarget, functionYaml: functionFileYaml(fn.document), handlerCode: 'export default () => {}\n', secrets: fn.secrets, source: 'function.yaml', kafka: kafkaAuth(k, fnTarget) }),
    rules: renderRulesKubernetes({ name: 'shop-rules', topic: 'logs', consumerGroup: 'shop-rules', startFrom: 'latest', scale: { ...scaleSchema.parse({}), minReplicas: 1 }, rulesYaml: 'groups: []\n', alertmanagerUrl: 'http://am.monitoring:9093' }, rulesTarget, 'rules.yaml', kafkaAuth(k, rulesTarget)),
    tail: renderTailDaemonSet({ ...TAIL_DAEMONSET_DEFAULTS, image: 'tidewatch:test', brokers, namespace: 'alerting', kafka: kafkaAuth(k, { name: TAIL_DAEMONSET_DEFAULTS.name, namespace: 'alerting' }) })
  }
}

const manifest = (files: RenderedFile[], name: string): any => { const f = files.find(x => x.name === name); return f === undefined ? undefined : parse(f.text) }

for (const c of CASES) {
  test(`${c.name}: the Secret, TriggerAuthentication and ScaledObject validate, every workload's pod refers only to what is rendered, and secrets stay in kafka-secret.yaml`, () => {
    const dir = certDir()
    try {
      const k = settings(c.block, dir)
      const all = renderAll(k)
      for (const [workload, files] of Object.entries(all)) {
        const secret = manifest(files, 'kafka-secret.yaml')
        assert.ok(secret !== undefined, `${workload}: kafka-secret.yaml`)
        assert.deepEqual(secretProblems(secret), [], workload)
        assert.ok(files.find(f => f.name === 'kafka-secret.yaml')!.secret, `${workload}: written 0600`)
        for (const [param, value] of Object.entries(c.keda)) assert.equal(secret.stringData[param], value, `${workload}: ${param}`)
        const kustomization = manifest(files, 'kustomization.yaml')
        assert.deepEqual(kustomization.resources, files.filter(f => f.name.endsWith('.yaml') && f.name !== 'kustomization.yaml').map(f => f.name), `${workload}: kustomization lists every manifest`)
        const secrets = files.filter(f => f.secret).map(f => parse(f.text))
        const workloadManifest = manifest(files, workload === 'tail' ? 'daemonset.yaml' : 'deployment.yaml')
        const pod = workloadManifest.spec.template.spec
        assert.deepEqual(podProblems(pod, secrets), [], workload)
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e]))
        if (k.sasl !== null) {
          assert.deepEqual(env.TIDEWATCH_KAFKA_SASL_PASSWORD.valueFrom, { secretKeyRef: { name: secret.metadata.name, key: 'password' } }, `${workload}: the password by reference`)
        }
        for (const f of files) {
          assert.equal(f.text.includes(PASSWORD), k.sasl !== null && f.name === 'kafka-secret.yaml', `${workload}: the password ${f.name === 'kafka-secret.yaml' ? 'missing from' : 'leaked into'} ${f.name}`)
          assert.equal(f.text.includes('client-key-body-4b7d'), k.tls?.key != null && f.name === 'kafka-secret.yaml', `${workload}: the private key in ${f.name}`)
        }
        if (workload === 'tail') {
          assert.equal(manifest(files, 'triggerauthentication.yaml'), undefined, 'nothing scales the agent')
          assert.deepEqual(workloadManifest.spec.template.spec.containers[0].args.slice(0, 3), ['tail', '--brokers', k.brokers.join(',')])
          continue
        }
        const auth = manifest(files, 'triggerauthentication.yaml')
        assert.deepEqual(kedaProblems(auth), [], `${workload}: TriggerAuthentication`)
        assert.deepEqual(triggerAuthProblems(auth, secrets), [], workload)
        const so = manifest(files, 'scaledobject.yaml')
        assert.deepEqual(kedaProblems(so), [], `${workload}: ScaledObject`)
        const [trigger] = so.spec.triggers
        assert.deepEqual(trigger.authenticationRef, { name: auth.metadata.name })
        assert.equal(auth.metadata.namespace, so.metadata.namespace, 'a TriggerAuthentication is found in the ScaledObject\'s namespace')
        assert.equal(trigger.metadata.bootstrapServers, k.brokers.join(','))
        // KEDA refuses sasl or tls given both in the metadata and the TriggerAuthentication.
        assert.equal('sasl' in trigger.metadata || 'tls' in trigger.metadata, false)
        assert.equal(workloadManifest.spec.template.spec.containers[0].args[3], k.brokers.join(','), `${workload}: --brokers`)
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('the pod\'s environment, read as the replica reads it (TIDEWATCH_KAFKA_*), is the settings deploy was given, with the certificates at the mounted paths', () => {
  const dir = certDir()
  try {
    const k = settings({ brokers: 'kafka:9093', clientId: 'shop', tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key', servername: 'kafka.internal' }, sasl: sasl('SCRAM-SHA-512') }, dir)
    const auth = kafkaAuth(k, { name: 'shop-errors' })
    // The kubelet: literal values as they are, secretKeyRef values from the Secret.
    const data = auth.secret!.stringData as Record<string, string>
    const env = Object.fromEntries(auth.pod.env.map(e => [e.name, (e as any).value ?? data[(e as any).valueFrom.secretKeyRef.key]]))
    const pod = resolveKafkaSettings([layerFromEnv({ ...env, TIDEWATCH_KAFKA_BROKERS: 'kafka:9093' })])
    assert.equal(pod.sasl?.mechanism, 'SCRAM-SHA-512')
    assert.equal(pod.sasl?.mechanism === 'SCRAM-SHA-512' && pod.sasl.username, 'alerts')
    assert.equal(pod.sasl?.mechanism === 'SCRAM-SHA-512' && pod.sasl.password.reveal(), PASSWORD)
    assert.deepEqual(pod.tls, { ca: `${KAFKA_TLS_MOUNT_PATH}/ca.pem`, cert: `${KAFKA_TLS_MOUNT_PATH}/cert.pem`, key: `${KAFKA_TLS_MOUNT_PATH}/key.pem`, servername: 'kafka.internal', rejectUnauthorized: true })
    assert.equal(pod.clientId, 'shop')
    // The files at those paths: the Secret's items, holding the PEM files given.
    const items = (auth.pod.volumes[0] as any).secret.items as Array<{ key: string, path: string }>
    assert.equal(data[items.find(i => `${KAFKA_TLS_MOUNT_PATH}/${i.path}` === pod.tls!.key)!.key], KEY_PEM)
    // Mounted 0440: the pod's group (fsGroup) owns Secret files, so the non-root replica reads them.
    assert.equal((auth.pod.volumes[0] as any).secret.defaultMode, 0o440)
    assert.equal(POD_SECURITY_CONTEXT.fsGroup, POD_SECURITY_CONTEXT.runAsGroup)
    assert.deepEqual(auth.pod.volumeMounts, [{ name: 'kafka-tls', mountPath: KAFKA_TLS_MOUNT_PATH, readOnly: true }])
    // KEDA cannot be told the server name: said before applying.
    assert.ok(auth.warnings.some(w => /function\.yaml: kafka\.tls\.servername: KEDA's Kafka scaler has no server-name setting/.test(w)), auth.warnings.join('\n'))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a plaintext cluster renders no Secret; TLS without verification tells KEDA (unsafeSsl); the description names no secret', () => {
  const dir = certDir()
  try {
    const plain = kafkaAuth(settings({ brokers: 'kafka:9092' }, dir), { name: 'a' })
    assert.deepEqual([plain.secret, plain.triggerAuthentication, plain.authenticationRef, plain.pod.env], [null, null, null, []])
    const files = renderAll(settings({ brokers: 'kafka:9092' }, dir))
    for (const rendered of Object.values(files)) assert.deepEqual(rendered.filter(f => /kafka-secret|triggerauth/.test(f.name)), [])
    const insecure = kafkaAuth(settings({ brokers: 'kafka:9093', tls: { rejectUnauthorized: false } }, dir), { name: 'a' })
    assert.deepEqual(insecure.triggerMetadata, { unsafeSsl: 'true' })
    assert.deepEqual(insecure.pod.volumes, [])
    assert.match(insecure.description, /certificates NOT verified/)
    const scram = kafkaAuth(settings(CASES[2].block, dir), { name: 'a' })
    assert.equal(scram.description, 'kafka:9093 over SASL_SSL SCRAM-SHA-512 as alerts')
    const clear = kafkaAuth(settings({ brokers: 'k:9092', sasl: sasl('PLAIN') }, dir), { name: 'a' })
    assert.ok(clear.warnings.some(w => /PLAIN without TLS sends the password in clear/.test(w)))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('OAUTHBEARER is refused with why, an unreadable certificate names its setting, and no brokers anywhere says where to give them', () => {
  const dir = certDir()
  try {
    assert.throws(() => kafkaAuth(settings({ brokers: 'k:1', sasl: { mechanism: 'OAUTHBEARER', token: { command: 'get-token' } } }, dir), { name: 'a' }), /function\.yaml: kafka\.sasl\.mechanism: OAUTHBEARER cannot be rendered for Kubernetes yet: KEDA's Kafka scaler fetches its own token from an OAuth endpoint/)
    assert.throws(() => kafkaAuth(settings({ brokers: 'k:1', tls: { ca: 'missing.pem' } }, dir), { name: 'a' }), /function\.yaml: kafka\.tls\.ca: cannot read .*missing\.pem to put it in the Secret: ENOENT/)
    assert.throws(() => resolveDeployKafka([layerFromEnv({}), layerFromBlock(kafkaBlockSchema.parse({ tls: true }), path.join(dir, 'function.yaml'))]), /--brokers is required: the Kafka bootstrap servers as the pods will reach them .*TIDEWATCH_KAFKA_BROKERS.*kafka\.brokers/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('the checks above can fail: a Secret key the API server refuses, a TriggerAuthentication entry without a key, a pod env naming a key the Secret lacks', () => {
  const dir = certDir()
  try {
    const auth = kafkaAuth(settings(CASES[2].block, dir), { name: 'shop-errors', namespace: 'alerting' })
    const secret = structuredClone(auth.secret) as any
    secret.stringData['ca pem'] = 'x'
    assert.match(secretProblems(secret).join('\n'), /key 'ca pem' is not a valid Secret key/)
    secret.stringData = { big: 'x'.repeat(1024 * 1024) }
    assert.match(secretProblems(secret).join('\n'), /over the 1048576-byte limit/)
    const ta = structuredClone(auth.triggerAuthentication) as any
    delete ta.spec.secretTargetRef[0].key
    assert.ok(kedaProblems(ta).some(p => /must have required property 'key'/.test(p)), kedaProblems(ta).join('\n'))
    assert.match(triggerAuthProblems(ta, [auth.secret!]).join('\n'), /parameter sasl: shop-errors-kafka\/undefined is not rendered/)
    const pod = { containers: [{ name: 'replica', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'shop-errors-kafka', key: 'passwd' } } }], volumeMounts: [{ name: 'kafka-tls', mountPath: '/x' }] }], volumes: [] }
    assert.deepEqual(podProblems(pod, [auth.secret!]), ['container replica: mount kafka-tls has no volume', 'container replica: env X refers to shop-errors-kafka/passwd, which is not rendered'])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
