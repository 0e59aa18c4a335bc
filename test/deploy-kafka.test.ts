// `tidewatch deploy --kubernetes` against a secured Kafka: the settings from the Function or
// project file's kafka: block, TIDEWATCH_KAFKA_* and the flags (in that order of strength), and
// what the pods get from them, laid out as the kubelet would (the Secret's files owned by the
// pod's fsGroup with the volume's mode, its keys as environment) and used, as the pod's user, by a
// real client (kcat), and by the replica the container runs, against the embedded broker serving
// mutual TLS and SCRAM-SHA-512.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { layerFromEnv, resolveKafkaSettings, type KafkaSettings } from '../src/kafka/connection-settings.js'
import { KAFKA_TLS_MOUNT_PATH } from '../src/deploy/kafka-auth.js'
import { FUNCTION_MOUNT_PATH } from '../src/deploy/manifests.js'
import { waitFor } from './helpers/wait.js'
import { makeTestCertificates } from './helpers/certificates.js'
import { kedaProblems, podProblems, secretProblems, triggerAuthProblems } from './helpers/kubernetes.js'
import { BrokerProcess, CLI, LineProcess, run, tempDir } from './helpers/processes.js'

const root = path.resolve(path.dirname(CLI), '..', '..')
const readYaml = (dir: string, name: string): any => parse(fs.readFileSync(path.join(dir, name), 'utf8'))
const PASSWORD = 'sCr4m-pa55-e1a7'
/** In the Function file's kafka: block, overridden by the flag: must appear nowhere. */
const FILE_PASSWORD = 'file-pa55-0b3d'

function functionDir (): string {
  const dir = tempDir('tidewatch-deploy-kafka-')
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
  fs.writeFileSync(path.join(dir, 'handler.ts'), 'export default async (ctx: any, data: unknown) => { await ctx.send(data, "out") }\n')
  return dir
}

/** The kubelet's part: the Secret volume's items as files (root:fsGroup, defaultMode) and the env resolved. */
function layOutPod (out: string, podDir: string): { env: Record<string, string>, args: string[], user: { uid: number, gid: number } } {
  const deployment = readYaml(out, 'deployment.yaml')
  const pod = deployment.spec.template.spec
  const [container] = pod.containers
  const secrets = Object.fromEntries(['secret.yaml', 'kafka-secret.yaml'].map(f => readYaml(out, f)).map(s => [s.metadata.name, s.stringData]))
  const mountDir = path.join(podDir, 'kafka')
  fs.mkdirSync(mountDir, { recursive: true })
  fs.chmodSync(podDir, 0o755)
  const volume = pod.volumes.find((v: any) => v.name === 'kafka-tls')
  for (const item of volume.secret.items) {
    const file = path.join(mountDir, item.path)
    fs.writeFileSync(file, secrets[volume.secret.secretName][item.key])
    fs.chownSync(file, 0, pod.securityContext.fsGroup)
    fs.chmodSync(file, volume.secret.defaultMode)
  }
  const env: Record<string, string> = {}
  for (const e of container.env) {
    const value = e.value ?? secrets[e.valueFrom.secretKeyRef.name][e.valueFrom.secretKeyRef.key]
    env[e.name] = value.startsWith(`${KAFKA_TLS_MOUNT_PATH}/`) ? path.join(mountDir, value.slice(KAFKA_TLS_MOUNT_PATH.length + 1)) : value
  }
  return { env, args: container.args, user: { uid: pod.securityContext.runAsUser, gid: pod.securityContext.runAsGroup } }
}

/** kcat's flags for the settings a pod resolves (the replica's environment layer). */
function kcatSecurity (k: KafkaSettings): string[] {
  assert.ok(k.sasl !== null && k.sasl.mechanism !== 'OAUTHBEARER' && k.tls !== null)
  return ['-X', 'security.protocol=SASL_SSL', '-X', `sasl.mechanisms=${k.sasl.mechanism}`, '-X', `sasl.username=${k.sasl.username}`, '-X', `sasl.password=${k.sasl.password.reveal()}`,
    '-X', `ssl.ca.location=${k.tls.ca!}`, '-X', `ssl.certificate.location=${k.tls.cert!}`, '-X', `ssl.key.location=${k.tls.key!}`]
}

test('flags over TIDEWATCH_KAFKA_* over the Function file\'s kafka: block; the rendered pod, as the kubelet lays it out, lets its non-root user produce and consume over mutual TLS + SCRAM-SHA-512, and its replica, run with the pod\'s arguments, files and environment only, handles records', { timeout: 180_000 }, async () => {
  const certs = tempDir('tidewatch-deploy-certs-')
  const dir = functionDir()
  const out = path.join(dir, 'out')
  const podDir = tempDir('tidewatch-kafka-pod-')
  const brokerData = tempDir()
  let broker: BrokerProcess | null = null
  try {
    const c = makeTestCertificates(certs)
    fs.writeFileSync(path.join(certs, 'users'), `alerts:${PASSWORD}\n`)
    broker = await BrokerProcess.start(brokerData, ['--tls-cert', c.serverCert, '--tls-key', c.serverKey, '--tls-ca', c.ca, '--sasl-users-file', path.join(certs, 'users'), '--sasl-mechanisms', 'SCRAM-SHA-512'])
    for (const [from, to] of [[c.ca, 'ca.pem'], [c.clientCert, 'client.pem'], [c.clientKey, 'client.key']]) fs.copyFileSync(from, path.join(dir, to))
    fs.writeFileSync(path.join(dir, 'function.yaml'), [
      'name: secure-fn', 'input: { topic: logs }', 'handler: ./handler.ts', 'outputs:', '  out: { type: log }',
      'kafka:', '  brokers: [kafka-from-file.kafka:9093]', '  tls: { ca: ca.pem, cert: client.pem, key: client.key }',
      '  sasl: { mechanism: SCRAM-SHA-512, username: file-user, password: "${FILE_PW}" }', ''
    ].join('\n'))
    fs.writeFileSync(path.join(dir, 'password'), `${PASSWORD}\n`)
    const deploy = await run(process.execPath, [CLI, 'deploy', path.join(dir, 'function.yaml'), '--kubernetes', '--out', out, '--brokers', broker.bootstrap, '--kafka-sasl-password-file', path.join(dir, 'password')], {
      env: { FILE_PW: FILE_PASSWORD, TIDEWATCH_KAFKA_BROKERS: 'kafka-from-env.kafka:9093', TIDEWATCH_KAFKA_SASL_USERNAME: 'alerts' }
    })
    assert.equal(deploy.code, 0, deploy.stderr)
    const files = ['configmap.yaml', 'secret.yaml', 'kafka-secret.yaml', 'deployment.yaml', 'triggerauthentication.yaml', 'scaledobject.yaml', 'kustomization.yaml', 'Dockerfile']
    assert.deepEqual(deploy.stdout.trim().split('\n').slice(0, -1), files.map(f => path.join(out, f)))
    assert.match(deploy.stderr, new RegExp(`note: the pods and KEDA connect to ${broker.bootstrap} over SASL_SSL SCRAM-SHA-512 as alerts \\(brokers from --brokers\\)`))
    assert.match(deploy.stderr, /note: secret\.yaml and kafka-secret\.yaml hold credentials \(written with mode 0600\): keep them out of version control/)
    assert.equal(fs.statSync(path.join(out, 'kafka-secret.yaml')).mode & 0o777, 0o600)
    const key = fs.readFileSync(c.clientKey, 'utf8').split('\n')[1]
    for (const secret of [PASSWORD, FILE_PASSWORD, key]) {
      assert.ok(!deploy.stdout.includes(secret) && !deploy.stderr.includes(secret), 'no secret is printed')
      for (const f of files) assert.equal(fs.readFileSync(path.join(out, f), 'utf8').includes(secret), secret !== FILE_PASSWORD && f === 'kafka-secret.yaml', `${f}`)
    }
    assert.doesNotMatch(readYaml(out, 'configmap.yaml').data['function.yaml'], /kafka:|client\.key|file-user/, 'the Function file in the ConfigMap carries no kafka: block')

    const secrets = [readYaml(out, 'secret.yaml'), readYaml(out, 'kafka-secret.yaml')]
    for (const s of secrets) assert.deepEqual(secretProblems(s), [])
    assert.deepEqual(kedaProblems(readYaml(out, 'scaledobject.yaml')), [])
    assert.deepEqual(kedaProblems(readYaml(out, 'triggerauthentication.yaml')), [])
    assert.deepEqual(triggerAuthProblems(readYaml(out, 'triggerauthentication.yaml'), secrets), [])
    assert.deepEqual(podProblems(readYaml(out, 'deployment.yaml').spec.template.spec, secrets), [])
    const trigger = readYaml(out, 'scaledobject.yaml').spec.triggers[0]
    assert.equal(trigger.metadata.bootstrapServers, broker.bootstrap)
    assert.deepEqual(trigger.authenticationRef, { name: 'secure-fn-kafka' })
    const forKeda = readYaml(out, 'kafka-secret.yaml').stringData
    assert.deepEqual([forKeda.sasl, forKeda.username, forKeda.password, forKeda.tls], ['scram_sha512', 'alerts', PASSWORD, 'enable'])

    // The pod: its environment resolved as the replica resolves it, its files read as its user.
    const pod = layOutPod(out, podDir)
    assert.deepEqual(pod.args.slice(2, 4), ['--brokers', broker.bootstrap])
    const settings = resolveKafkaSettings([layerFromEnv({ ...pod.env, TIDEWATCH_KAFKA_BROKERS: pod.args[3] })])
    const kcat = async (args: string[], input?: string): Promise<string> => {
      const child = promisify(execFile)('kcat', ['-b', settings.brokers.join(','), ...args, ...kcatSecurity(settings)], { uid: pod.user.uid, gid: pod.user.gid, timeout: 60_000 })
      child.child.stdin!.end(input ?? '')
      return (await child).stdout
    }
    assert.notEqual(pod.user.uid, 0, 'the replica is not root')
    await kcat(['-P', '-t', 'secured'], 'from the pod\n')
    assert.equal(await kcat(['-C', '-t', 'secured', '-e', '-q']), 'from the pod\n')

    // The replica itself as the container runs it: the ConfigMap's files where the pod mounts
    // them, the container's arguments and the pod's environment, nothing else. (As the test's
    // user: a clone's path may not be readable by the pod's uid; kcat above checked the files
    // are readable by it.) Its input starts from the latest offset, so lines are produced until
    // one comes through its handler.
    const mounted = path.join(podDir, 'function')
    fs.mkdirSync(mounted)
    for (const [name, text] of Object.entries(readYaml(out, 'configmap.yaml').data as Record<string, string>)) fs.writeFileSync(path.join(mounted, name), text)
    const args = pod.args.map(a => a.startsWith(`${FUNCTION_MOUNT_PATH}/`) ? path.join(mounted, a.slice(FUNCTION_MOUNT_PATH.length + 1)) : a)
    const replica = new LineProcess(process.execPath, [CLI, ...args], pod.env)
    try {
      let n = 0
      await waitFor(async () => {
        if (replica.child.exitCode !== null) throw new Error(`the replica exited: ${replica.stderr}`)
        if (replica.lines.some(l => l.includes('through the rendered pod'))) return true
        await kcat(['-P', '-t', 'logs'], `line ${++n} through the rendered pod\n`)
        return false
      }, { what: 'the deployed replica handling a record over mutual TLS + SCRAM-SHA-512', timeoutMs: 120_000, intervalMs: 1000 })
      assert.ok(!replica.lines.join('\n').includes(PASSWORD) && !replica.stderr.includes(PASSWORD), 'the replica prints no password')
    } finally {
      await replica.stop()
    }
  } finally {
    await broker?.stop()
    for (const d of [certs, dir, podDir, brokerData]) fs.rmSync(d, { recursive: true, force: true })
  }
})

test('a project file\'s kafka: block reaches its rules workloads and the tail DaemonSet (no TriggerAuthentication there); up takes it as its cluster, so the embedded broker\'s --broker-port is refused with it', { timeout: 120_000 }, async () => {
  const dir = tempDir('tidewatch-deploy-kafka-project-')
  try {
    fs.copyFileSync(path.join(root, 'examples', 'exception-to-slack', 'rules.yaml'), path.join(dir, 'rules.yaml'))
    fs.writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nproject-ca\n-----END CERTIFICATE-----\n')
    const project = path.join(dir, 'tidewatch.yaml')
    fs.writeFileSync(project, 'rules:\n  - { file: ./rules.yaml, name: exceptions }\nkafka:\n  brokers: kafka.kafka.svc:9093\n  tls: { ca: ca.pem }\n  sasl: { mechanism: SCRAM-SHA-256, username: rules, password: "${RULES_PW}" }\n')
    const env = { RULES_PW: PASSWORD }

    const rules = await run(process.execPath, [CLI, 'deploy', project, '--kubernetes', '--out', path.join(dir, 'out'), '--alertmanager', 'http://alertmanager.monitoring:9093'], { env })
    assert.equal(rules.code, 0, rules.stderr)
    const w = path.join(dir, 'out', 'exceptions')
    const secret = readYaml(w, 'kafka-secret.yaml')
    assert.deepEqual([secret.stringData.sasl, secret.stringData.username, secret.stringData.password], ['scram_sha256', 'rules', PASSWORD])
    assert.equal(fs.statSync(path.join(w, 'kafka-secret.yaml')).mode & 0o777, 0o600)
    const so = readYaml(w, 'scaledobject.yaml')
    assert.deepEqual(kedaProblems(so), [])
    assert.deepEqual(so.spec.triggers[0].authenticationRef, { name: 'exceptions-kafka' })
    assert.equal(so.spec.triggers[0].metadata.bootstrapServers, 'kafka.kafka.svc:9093')
    assert.deepEqual(podProblems(readYaml(w, 'deployment.yaml').spec.template.spec, [readYaml(w, 'secret.yaml'), secret]), [])
    assert.deepEqual(readYaml(w, 'kustomization.yaml').resources, ['configmap.yaml', 'secret.yaml', 'kafka-secret.yaml', 'deployment.yaml', 'triggerauthentication.yaml', 'scaledobject.yaml'])
    assert.ok(!rules.stdout.includes(PASSWORD) && !rules.stderr.includes(PASSWORD))

    const tailOut = path.join(dir, 'tail')
    const tail = await run(process.execPath, [CLI, 'deploy', project, '--kubernetes', '--tail', '--out', tailOut], { env })
    assert.equal(tail.code, 0, tail.stderr)
    assert.deepEqual(fs.readdirSync(tailOut).sort(), ['daemonset.yaml', 'kafka-secret.yaml', 'kustomization.yaml'])
    assert.equal(fs.statSync(path.join(tailOut, 'kafka-secret.yaml')).mode & 0o777, 0o600)
    const ds = readYaml(tailOut, 'daemonset.yaml')
    assert.deepEqual(podProblems(ds.spec.template.spec, [readYaml(tailOut, 'kafka-secret.yaml')]), [])
    assert.deepEqual(ds.spec.template.spec.containers[0].args.slice(0, 3), ['tail', '--brokers', 'kafka.kafka.svc:9093'])
    assert.ok(ds.spec.template.spec.containers[0].env.some((e: any) => e.name === 'TIDEWATCH_KAFKA_SASL_PASSWORD' && e.valueFrom.secretKeyRef.name === 'tidewatch-tail-kafka'))
    assert.match(tail.stderr, /note: kafka-secret\.yaml holds credentials/)
    assert.ok(!fs.readFileSync(path.join(tailOut, 'daemonset.yaml'), 'utf8').includes(PASSWORD))

    const up = await run(process.execPath, [CLI, 'up', '--config', project, '--port', '0', '--broker-port', '0', '--data-dir', path.join(dir, 'data')], { env })
    // up now uses the block's cluster: the embedded broker's --broker-port with it is refused.
    assert.equal(up.code, 2, up.stderr)
    assert.match(up.stderr, /--broker-port configures the embedded broker, which up does not start with a Kafka cluster/)
    assert.equal(fs.existsSync(path.join(dir, 'data')), false, 'nothing started')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('what deploy cannot render is refused before anything is written: OAUTHBEARER with why, a certificate that is not there by its flag, no brokers anywhere', async () => {
  const dir = functionDir()
  const out = path.join(dir, 'out')
  try {
    fs.writeFileSync(path.join(dir, 'function.yaml'), 'name: fn\ninput: { topic: logs }\nhandler: ./handler.ts\noutputs:\n  out: { type: log }\nkafka: { tls: true }\n')
    const fn = path.join(dir, 'function.yaml')
    const oauth = await run(process.execPath, [CLI, 'deploy', fn, '--kubernetes', '--out', out, '--brokers', 'kafka:9093', '--kafka-sasl-mechanism', 'OAUTHBEARER', '--kafka-sasl-token-command', 'get-token'])
    assert.equal(oauth.code, 2)
    assert.match(oauth.stderr, /--kafka-sasl-mechanism: OAUTHBEARER cannot be rendered for Kubernetes yet: KEDA's Kafka scaler fetches its own token/)
    const noCa = await run(process.execPath, [CLI, 'deploy', fn, '--kubernetes', '--out', out, '--brokers', 'kafka:9093', '--kafka-tls-ca', path.join(dir, 'nope.pem')])
    assert.equal(noCa.code, 2)
    assert.match(noCa.stderr, /--kafka-tls-ca: cannot read .*nope\.pem to put it in the Secret: ENOENT/)
    const noBrokers = await run(process.execPath, [CLI, 'deploy', fn, '--kubernetes', '--out', out], { env: { TIDEWATCH_KAFKA_BROKERS: '' } })
    assert.equal(noBrokers.code, 2)
    assert.match(noBrokers.stderr, /--brokers is required/)
    for (const r of [oauth, noCa, noBrokers]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'one line, no stack trace')
    assert.equal(fs.existsSync(out), false)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
