// `tidewatch deploy --kubernetes`, then what the cluster would do with its output: mount the
// ConfigMap's files, take the environment from the Secret, run the Deployment's container args
// with the image's entrypoint. A real broker and a real Alertmanager check that the bundled
// handler, the rewritten Function file and the secret environment work together.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { startTempBroker } from './helpers/temp-broker.js'
import { Alertmanager } from './helpers/alertmanager.js'
import { CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const example = path.join(root, 'examples', 'logs-handler')
const the404 = fs.readFileSync(path.join(example, 'sample.log'), 'utf8').split('\n')[0]
const MANIFESTS = ['configmap.yaml', 'secret.yaml', 'deployment.yaml', 'scaledobject.yaml']

const readYaml = (dir: string, name: string): any => parse(fs.readFileSync(path.join(dir, name), 'utf8'))

/** The pod as the kubelet would set it up: ConfigMap files in a directory, Secret as env, container args. */
function podFromManifests (out: string, podDir: string): { args: string[], env: Record<string, string> } {
  const configMap = readYaml(out, 'configmap.yaml')
  const secret = readYaml(out, 'secret.yaml')
  const deployment = readYaml(out, 'deployment.yaml')
  const pod = deployment.spec.template.spec
  const [container] = pod.containers
  const volume = pod.volumes.find((v: any) => v.configMap?.name === configMap.metadata.name)
  const mount = container.volumeMounts.find((m: any) => m.name === volume.name)
  for (const [file, text] of Object.entries(configMap.data)) fs.writeFileSync(path.join(podDir, file), text as string)
  assert.deepEqual(container.envFrom, [{ secretRef: { name: secret.metadata.name } }])
  const args = container.args.map((a: string) => a.startsWith(`${mount.mountPath}/`) ? path.join(podDir, a.slice(mount.mountPath.length + 1)) : a)
  return { args, env: secret.stringData }
}

test('deployed manifests run the function: the seed\'s 404 line becomes the seed\'s alert', async () => {
  const broker = await startTempBroker()
  const am = await Alertmanager.start()
  const out = tempDir('tidewatch-deploy-')
  const podDir = tempDir('tidewatch-pod-')
  let replica: LineProcess | null = null
  try {
    const deploy = await run(process.execPath, [CLI, 'deploy', path.join(example, 'function.yaml'), '--kubernetes', '--out', out, '--brokers', broker.bootstrap], { env: { ALERTMANAGER_URL: am.url } })
    assert.equal(deploy.code, 0, deploy.stderr)
    assert.ok(!deploy.stdout.includes(am.url) && !deploy.stderr.includes(am.url), 'the output URL (a secret) is never printed')
    const lines = deploy.stdout.trim().split('\n')
    assert.deepEqual(lines.slice(0, -1), [...MANIFESTS, 'kustomization.yaml', 'Dockerfile'].map(f => path.join(out, f)))
    assert.match(lines.at(-1)!, /^apply with: kubectl apply -k /)
    assert.equal(fs.statSync(path.join(out, 'secret.yaml')).mode & 0o777, 0o600)
    assert.equal(readYaml(out, 'secret.yaml').stringData.TIDEWATCH_SECRET_1, am.url)
    assert.ok(!fs.readFileSync(path.join(out, 'configmap.yaml'), 'utf8').includes(am.url))

    // podDir is outside the repository, with no node_modules above it: the handler must be self-contained.
    const { args, env } = podFromManifests(out, podDir)
    assert.equal(args[0], 'replica')
    replica = new LineProcess(process.execPath, ['--enable-source-maps', CLI, ...args], { ...env, ALERTMANAGER_URL: '' })
    await waitFor(() => replica!.stderr.includes('replica started') || replica!.child.exitCode !== null, { what: 'the replica to join its group', timeoutMs: 30_000 })
    assert.equal(replica.child.exitCode, null, replica.stderr)
    // The example starts a new group at the latest offset, and joining the group does not say when
    // that offset has been read; so the 404 line is produced again on every poll until the alert
    // appears (Alertmanager merges alerts with equal labels into one).
    const [alert] = await waitFor(async () => {
      const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'logs'], { input: the404 + '\n' })
      assert.equal(produced.code, 0, produced.stderr)
      const a = await am.alerts()
      return a.length > 0 ? a : null
    }, { what: 'the alert in Alertmanager', timeoutMs: 60_000, intervalMs: 500 })
    assert.deepEqual(alert.labels, {
      alertname: '404 Request', namespace: 'demo-project', severity: 'warning',
      pod: 'wordpress-v1-f54f697c5-hdn2z', path: '/notfound', method: 'GET'
    })
    assert.equal(await replica.stop('SIGTERM'), 0, 'SIGTERM (a pod being stopped) ends the replica cleanly')
  } finally {
    await replica?.stop('SIGKILL')
    await am.stop()
    await broker.close()
    fs.rmSync(out, { recursive: true, force: true })
    fs.rmSync(podDir, { recursive: true, force: true })
  }
})

test('without --brokers (or --out, or a target) deploy exits 2 with a message, writing nothing', async () => {
  const out = path.join(tempDir('tidewatch-deploy-'), 'out')
  try {
    const fn = path.join(example, 'function.yaml')
    const noBrokers = await run(process.execPath, [CLI, 'deploy', fn, '--kubernetes', '--out', out])
    assert.equal(noBrokers.code, 2)
    assert.match(noBrokers.stderr, /--brokers is required/)
    const noOut = await run(process.execPath, [CLI, 'deploy', fn, '--kubernetes', '--brokers', 'kafka:9092'])
    assert.equal(noOut.code, 2)
    assert.match(noOut.stderr, /--out DIR is required/)
    const noTarget = await run(process.execPath, [CLI, 'deploy', fn, '--out', out, '--brokers', 'kafka:9092'])
    assert.equal(noTarget.code, 2)
    assert.match(noTarget.stderr, /--kubernetes/)
    const badBrokers = await run(process.execPath, [CLI, 'deploy', fn, '--kubernetes', '--out', out, '--brokers', 'kafka'])
    assert.equal(badBrokers.code, 2)
    assert.match(badBrokers.stderr, /host:port/)
    assert.equal(fs.existsSync(out), false)
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true })
  }
})

test('a handler that cannot be bundled, or sends to an output the Function file lacks, is refused before anything is written', async () => {
  const dir = tempDir('tidewatch-deploy-')
  const out = path.join(dir, 'out')
  const deploy = (): Promise<Awaited<ReturnType<typeof run>>> =>
    run(process.execPath, [CLI, 'deploy', path.join(dir, 'function.yaml'), '--kubernetes', '--out', out, '--brokers', 'kafka:9092'], { env: { TIDEWATCH_LOG_LEVEL: 'silent' } })
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
    fs.writeFileSync(path.join(dir, 'function.yaml'), 'name: typo\ninput: { topic: logs }\nhandler: ./handler.ts\noutputs:\n  slack: { type: log }\n')
    fs.writeFileSync(path.join(dir, 'handler.ts'), "import pad from 'no-such-package-anywhere'\nexport default async (ctx: any, data: unknown) => { await ctx.send(pad(data), 'slack') }\n")
    const unbundled = await deploy()
    assert.equal(unbundled.code, 2)
    assert.match(unbundled.stderr, /handler\.ts: cannot compile the handler:\n {2}\S*handler\.ts:1:17: Could not resolve "no-such-package-anywhere"/)

    fs.writeFileSync(path.join(dir, 'handler.ts'), "export default async (ctx: any, data: unknown) => { await ctx.send(data, 'slak') }\n")
    const typo = await deploy()
    assert.equal(typo.code, 2)
    assert.match(typo.stderr, /handler\.ts \(bundled\): sends to output 'slak' not defined in .*function\.yaml \(outputs defined: slack\)/)
    assert.equal(fs.existsSync(out), false)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('secret output URLs and headers are never printed, nor written anywhere but secret.yaml', async () => {
  const dir = tempDir('tidewatch-deploy-')
  const secrets = ['https://hooks.slack.com/services/T0/B0/slack-token-d41d8cd9', 'Bearer header-token-8f00b204', 'https://hooks.example.net/path-token-e9800998']
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
    fs.writeFileSync(path.join(dir, 'handler.ts'), 'export default async (ctx: any, data: unknown) => {\n  await ctx.send(data, "chat")\n  await ctx.send(data, "hook")\n}\n')
    fs.writeFileSync(path.join(dir, 'function.yaml'), [
      'name: secretive', 'input: { topic: logs }', 'handler: ./handler.ts', 'outputs:',
      '  chat: { type: slack, url: "${SLACK_URL}" }',
      `  hook: { type: webhook, url: "${secrets[2]}", headers: { Authorization: "${secrets[1]}" } }`, ''
    ].join('\n'))
    const out = path.join(dir, 'out')
    const r = await run(process.execPath, [CLI, 'deploy', path.join(dir, 'function.yaml'), '--kubernetes', '--out', out, '--brokers', 'kafka.kafka.svc:9092', '--namespace', 'alerts', '--image', 'registry.example/tidewatch:1'], { env: { SLACK_URL: secrets[0] } })
    assert.equal(r.code, 0, r.stderr)
    for (const s of secrets) {
      assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), 'not printed')
      for (const f of fs.readdirSync(out)) assert.equal(fs.readFileSync(path.join(out, f), 'utf8').includes(s), f === 'secret.yaml', f)
    }
    assert.deepEqual(Object.values(readYaml(out, 'secret.yaml').stringData).sort(), [...secrets].sort())
    for (const f of MANIFESTS) assert.equal(readYaml(out, f).metadata.namespace, 'alerts', f)
    assert.equal(readYaml(out, 'deployment.yaml').spec.template.spec.containers[0].image, 'registry.example/tidewatch:1')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
