// `tidewatch deploy --kubernetes` for rules: a project's rules: entry renders a Deployment and a
// KEDA ScaledObject (checked against KEDA's own CRD schema) like a function's; then the pod is
// run as the kubelet would (ConfigMap files mounted, Secret as environment, the container's
// args) against a real broker, and an exception line becomes an alert at an Alertmanager-shaped sink.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { startTempBroker } from './helpers/temp-broker.js'
import { CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'
import { produceSpread } from './helpers/rules-project.js'
import { kedaProblems } from './helpers/kubernetes.js'

const root = path.resolve(path.dirname(CLI), '..', '..')
const example = path.join(root, 'examples', 'exception-to-slack')
const readYaml = (dir: string, name: string): any => parse(fs.readFileSync(path.join(dir, name), 'utf8'))

test('a project\'s rules workload deploys like a function, and the rendered pod turns an exception into an alert', { timeout: 120_000 }, async () => {
  const broker = await startTempBroker()
  const am = await WebhookSink.start()
  const out = tempDir('tidewatch-rules-deploy-')
  const podDir = tempDir('tidewatch-rules-pod-')
  let pod: LineProcess | null = null
  try {
    const alertmanager = `${am.url}/secret-path-7f3a`
    const deploy = await run(process.execPath, [CLI, 'deploy', path.join(example, 'tidewatch.yaml'), '--kubernetes', '--out', out, '--brokers', broker.bootstrap, '--alertmanager', alertmanager])
    assert.equal(deploy.code, 0, deploy.stderr)
    assert.ok(!deploy.stdout.includes('secret-path-7f3a') && !deploy.stderr.includes('secret-path-7f3a'), 'the Alertmanager URL is never printed')
    const dir = path.join(out, 'rules')
    for (const f of ['configmap.yaml', 'secret.yaml', 'deployment.yaml', 'scaledobject.yaml', 'kustomization.yaml', 'Dockerfile']) assert.ok(fs.existsSync(path.join(dir, f)), f)
    assert.equal(fs.statSync(path.join(dir, 'secret.yaml')).mode & 0o777, 0o600)

    const so = readYaml(dir, 'scaledobject.yaml')
    assert.deepEqual(kedaProblems(so), [])
    assert.equal(so.spec.scaleTargetRef.name, 'rules')
    assert.deepEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount], [1, 4], 'the entry\'s scale: block')
    assert.equal(so.spec.triggers[0].metadata.consumerGroup, 'rules')
    assert.equal(so.spec.triggers[0].metadata.topic, 'logs')

    // The pod, as the kubelet would start it.
    const configMap = readYaml(dir, 'configmap.yaml')
    const secret = readYaml(dir, 'secret.yaml')
    const container = readYaml(dir, 'deployment.yaml').spec.template.spec.containers[0]
    assert.deepEqual(container.envFrom, [{ secretRef: { name: secret.metadata.name } }])
    assert.equal(secret.stringData.ALERTMANAGER_URL, alertmanager)
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'rules').mountPath
    for (const [file, text] of Object.entries(configMap.data)) fs.writeFileSync(path.join(podDir, file), text as string)
    const args = container.args.map((a: string) => a.startsWith(`${mount}/`) ? path.join(podDir, a.slice(mount.length + 1)) : a)
    pod = new LineProcess(process.execPath, ['--enable-source-maps', CLI, ...args], { ...secret.stringData, TIDEWATCH_LOG_LEVEL: 'info' })
    await waitFor(() => pod!.stderr.includes('rules replica started') || pod!.child.exitCode !== null, { what: 'the rules replica to join its groups', timeoutMs: 60_000 })
    assert.equal(pod.child.exitCode, null, pod.stderr)
    // The group starts at the latest offset, and joining does not say when that was read: the
    // line is produced again on every poll until the alert comes (the same labels: one alert).
    const line = JSON.stringify({ log: 'java.lang.IllegalStateException: cart is locked\n', stream: 'stdout', kubernetes: { namespace_name: 'shop', pod_name: 'cart-1', container_name: 'cart', host: 'node-a' }, time: new Date().toISOString() })
    const [alert] = await waitFor(async () => {
      await produceSpread(broker.bootstrap, 'logs', [line])
      const posts = am.at('/secret-path-7f3a/api/v2/alerts')
      return posts.length > 0 ? posts[0].body as { labels: Record<string, string> }[] : null
    }, { what: 'the alert at the Alertmanager sink', timeoutMs: 60_000, intervalMs: 500 })
    assert.deepEqual(alert.labels, { alertname: 'Exception', namespace: 'shop', pod: 'cart-1', container: 'cart', host: 'node-a', severity: 'warning' })
    assert.equal(await pod.stop('SIGTERM'), 0, 'SIGTERM (a pod being stopped) ends the replica cleanly')
  } finally {
    await pod?.stop('SIGKILL')
    await am.stop()
    await broker.close()
    fs.rmSync(out, { recursive: true, force: true })
    fs.rmSync(podDir, { recursive: true, force: true })
  }
})

test('deploying rules needs --alertmanager, and --name/--topic only go with a rule file', async () => {
  const out = path.join(tempDir('tidewatch-rules-deploy-'), 'out')
  const rules = path.join(example, 'rules.yaml')
  const none = await run(process.execPath, [CLI, 'deploy', rules, '--kubernetes', '--out', out, '--brokers', 'kafka:9092'])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /--alertmanager URL is required for rules/)
  const fn = await run(process.execPath, [CLI, 'deploy', path.join(root, 'examples', 'logs-handler', 'function.yaml'), '--kubernetes', '--out', out, '--brokers', 'kafka:9092', '--topic', 'x'])
  assert.equal(fn.code, 2)
  assert.match(fn.stderr, /--topic is for rule files/)
  const one = await run(process.execPath, [CLI, 'deploy', rules, '--kubernetes', '--out', out, '--brokers', 'kafka:9092', '--alertmanager', 'http://alertmanager.monitoring:9093', '--name', 'exceptions', '--topic', 'k8s-logs'])
  assert.equal(one.code, 0, one.stderr)
  const args = readYaml(out, 'deployment.yaml').spec.template.spec.containers[0].args
  assert.deepEqual(args, ['replica', '/rules/rules.yaml', '--brokers', 'kafka:9092', '--name', 'exceptions', '--topic', 'k8s-logs', '--group', 'exceptions', '--start-from', 'latest'])
  assert.deepEqual(kedaProblems(readYaml(out, 'scaledobject.yaml')), [])
})
