// `tidewatch up` against an external cluster: a separate `tidewatch broker` process serving
// SASL_SSL (throwaway certificates, SCRAM), named by the project file's kafka: block, or by
// --brokers and the --kafka-* flags alone.
// up starts no broker of its own; a 404 sent through the Elasticsearch _bulk API (the official
// client) is produced into the external broker's topic (read back with kcat over SASL_SSL),
// raises the logs-handler's alert at up's notifier, and the console's search and context APIs
// find it and its neighbours by Fetch from that cluster. Wrong settings end up with one line.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Client } from '@elastic/elasticsearch'
import { BrokerProcess, CLI, run, tempDir } from './helpers/processes.js'
import { startUp, LOGS_HANDLER_PROJECT } from './helpers/tidewatch-up.js'
import { makeTestCertificates } from './helpers/certificates.js'
import { listeningSockets } from './helpers/sockets.js'
import { waitFor } from './helpers/wait.js'

const PASSWORD = 'Tide-Pool-4410'
const WRONG = 'Low-Tide-0000'
const NAMESPACE = 'demo-project'
const POD = 'wordpress-v1-f54f697c5-hdn2z'
const example = path.dirname(LOGS_HANDLER_PROJECT)
const accessLine = (p: string, status: number): string => `10.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET ${p} HTTP/1.1" ${status} 512 "-" "curl/8.5.0"`

let dir: string
let brokerData: string
let broker: BrokerProcess
const file = (name: string): string => path.join(dir, name)

before(async () => {
  dir = tempDir('tidewatch-up-external-')
  makeTestCertificates(dir)
  fs.writeFileSync(file('users'), `alice:${PASSWORD}\n`)
  brokerData = tempDir()
  broker = await BrokerProcess.start(brokerData, ['--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--sasl-users-file', file('users')])
  // The example function, its lag polled every 2 s (a cluster sends no append events).
  fs.writeFileSync(file('function.yaml'), fs.readFileSync(path.join(example, 'function.yaml'), 'utf8')
    .replace('  lagThreshold: 10', '  lagThreshold: 10\n  pollingInterval: 2')
    .replace('handler: ./handler.ts', `handler: ${path.join(example, 'handler.ts')}`))
  fs.writeFileSync(file('tidewatch.yaml'), [
    'functions: [./function.yaml]',
    `notifier: ${path.join(example, 'notifier.yaml')}`,
    'kafka:',
    `  brokers: [${broker.bootstrap}]`,
    '  tls: { ca: ./ca.pem }',
    '  sasl:',
    '    mechanism: SCRAM-SHA-512',
    '    username: alice',
    '    password: ${KAFKA_PASSWORD}',
    ''
  ].join('\n'))
})

after(async () => {
  await broker?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(brokerData, { recursive: true, force: true })
})

const kcatSecurity = (): string[] => ['-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=alice', '-X', `sasl.password=${PASSWORD}`, '-X', `ssl.ca.location=${file('ca.pem')}`]

test('up with a kafka: block (SASL_SSL, SCRAM-SHA-512) runs no broker of its own: an Elasticsearch _bulk 404 lands in the external topic, raises the alert, and search and context find it over the cluster', async () => {
  const dataDir = path.join(dir, 'data')
  const up = await startUp({ config: file('tidewatch.yaml'), dataDir, externalKafka: true, env: { KAFKA_PASSWORD: PASSWORD } })
  const es = new Client({ node: up.url })
  try {
    const banner = up.process.lines.find(l => l.trim().startsWith('broker'))
    assert.equal(banner?.trim(), `broker     ${broker.bootstrap} over SASL_SSL SCRAM-SHA-512 as alice (external: no embedded broker)`)
    // Nothing of up's listens but its HTTP port, and it keeps no broker data.
    const apiPort = Number(new URL(up.url).port)
    assert.deepEqual(listeningSockets(up.process.child.pid!).map(l => l.port), [apiPort])
    assert.equal(fs.existsSync(path.join(dataDir, 'broker')), false)

    // One pod's lines, in order: a 200 before the 404 and one after, so context has neighbours.
    const paths = ['/external-before', '/external-404', '/external-after']
    const docs = paths.map((p, i) => ({ '@timestamp': new Date(Date.now() + i).toISOString(), log: accessLine(p, p.endsWith('404') ? 404 : 200) + '\n', stream: 'stdout', kubernetes: { pod_name: POD, namespace_name: NAMESPACE, container_name: 'wordpress' } }))
    const result = await es.helpers.bulk({ datasource: docs, onDocument: () => ({ create: { _index: 'k8s-logs' } }) })
    assert.equal(result.successful, 3)
    assert.equal(result.failed, 0)

    // The records are in the external broker's topic: kcat reads them there over SASL_SSL.
    const read = await run('kcat', ['-b', broker.bootstrap, ...kcatSecurity(), '-C', '-t', 'logs', '-e', '-q', '-f', '%p %o %s\n'], { timeoutMs: 60_000 })
    assert.equal(read.code, 0, read.stderr)
    const stored = read.stdout.trim().split('\n').map(l => { const [p, o, ...rest] = l.split(' '); return { partition: Number(p), offset: Number(o), doc: JSON.parse(rest.join(' ')) } })
    const ours = paths.map(p => stored.find(r => String(r.doc.log).includes(` ${p} `)))
    assert.ok(ours.every(r => r !== undefined), read.stdout)
    assert.equal(new Set(ours.map(r => r!.partition)).size, 1, 'one pod, one partition')
    assert.deepEqual(ours.map(r => r!.offset - ours[0]!.offset), [0, 1, 2])

    const alert = await waitFor(async () => {
      const alerts = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return alerts.find(a => a.labels.path === '/external-404')?.labels
    }, { what: 'the 404 alert from the record in the external cluster', timeoutMs: 60_000, intervalMs: 250 })
    assert.equal(alert.alertname, '404 Request')
    assert.equal(alert.pod, POD)

    // The console's search reads the cluster: the 404 record, newest first, then the summary.
    const search = await fetch(`${up.url}/api/v1/search?topic=logs&q=${encodeURIComponent('/external-404')}`)
    assert.equal(search.status, 200)
    const lines = (await search.text()).trim().split('\n').map(l => JSON.parse(l))
    const hits = lines.filter(l => l.type === 'record')
    assert.equal(hits.length, 1, JSON.stringify(lines))
    assert.deepEqual([hits[0].partition, hits[0].offset], [ours[1]!.partition, ours[1]!.offset])
    assert.deepEqual(lines.at(-1), { ...lines.at(-1), type: 'summary', matched: 1, truncated: false })

    const ctx = await (await fetch(`${up.url}/api/v1/topics/logs/partitions/${hits[0].partition}/offsets/${hits[0].offset}/context?before=1&after=1&samePod=true`)).json() as { before: { value: string }[], anchor: { value: string }, after: { value: string }[] }
    assert.match(ctx.anchor.value, /\/external-404 /)
    assert.match(ctx.before[0]?.value ?? '', /\/external-before /)
    assert.match(ctx.after[0]?.value ?? '', /\/external-after /)
    const topics = await (await fetch(`${up.url}/api/v1/topics`)).json() as { topics: { name: string }[] }
    assert.ok(topics.topics.some(t => t.name === 'logs'))
  } finally {
    await es.close()
    const code = await up.stop()
    assert.equal(code, 0, up.process.stderr)
  }
  assert.ok(!up.process.stderr.includes(PASSWORD) && !up.process.lines.join('\n').includes(PASSWORD), 'the password is never printed')
})

test('up --brokers with the --kafka-* flags (SCRAM-SHA-256, the password from a file) and no kafka: block in the project file: the 404 kcat produces to the external cluster raises the alert', async () => {
  fs.writeFileSync(file('flags.yaml'), `functions: [./function.yaml]\nnotifier: ${path.join(example, 'notifier.yaml')}\n`)
  fs.writeFileSync(file('password'), `${PASSWORD}\n`)
  const flags = ['--brokers', broker.bootstrap, '--kafka-tls-ca', file('ca.pem'), '--kafka-sasl-mechanism', 'SCRAM-SHA-256', '--kafka-sasl-username', 'alice', '--kafka-sasl-password-file', file('password')]
  const dataDir = path.join(dir, 'data-flags')
  const up = await startUp({ config: file('flags.yaml'), dataDir, externalKafka: true, args: flags })
  try {
    const banner = up.process.lines.find(l => l.trim().startsWith('broker'))
    assert.equal(banner?.trim(), `broker     ${broker.bootstrap} over SASL_SSL SCRAM-SHA-256 as alice (external: no embedded broker)`)
    assert.equal(fs.existsSync(path.join(dataDir, 'broker')), false, 'no embedded broker')
    const record = JSON.stringify({ log: accessLine('/flags-404', 404) + '\n', stream: 'stdout', kubernetes: { pod_name: POD, namespace_name: NAMESPACE, container_name: 'wordpress' } })
    const produced = await run('kcat', ['-b', broker.bootstrap, ...kcatSecurity(), '-P', '-t', 'logs'], { input: record + '\n', timeoutMs: 60_000 })
    assert.equal(produced.code, 0, produced.stderr)
    const alert = await waitFor(async () => {
      const alerts = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return alerts.find(a => a.labels.path === '/flags-404')?.labels
    }, { what: 'the 404 alert through the cluster named by flags', timeoutMs: 60_000, intervalMs: 250 })
    assert.equal(alert.alertname, '404 Request')
  } finally {
    const code = await up.stop()
    assert.equal(code, 0, up.process.stderr)
  }
  assert.ok(!up.process.stderr.includes(PASSWORD) && !up.process.lines.join('\n').includes(PASSWORD), 'the password is never printed')
})

test('up with a wrong cluster password ends with one line naming the settings, no stack trace; --broker-port with a cluster is refused', async () => {
  const dataDir = path.join(dir, 'data-wrong')
  const wrong = await run(process.execPath, [CLI, 'up', '--config', file('tidewatch.yaml'), '--port', '0', '--data-dir', dataDir], { env: { KAFKA_PASSWORD: WRONG }, timeoutMs: 90_000 })
  assert.equal(wrong.code, 2, wrong.stderr)
  const errors = wrong.stderr.trim().split('\n').filter(l => !l.startsWith('{'))
  assert.equal(errors.length, 1, wrong.stderr)
  assert.match(errors[0], /^tidewatch: the broker refused the credentials of user alice \(SCRAM-SHA-512\): check .*tidewatch\.yaml: kafka\.sasl\.username and kafka\.sasl\.password$/)
  assert.doesNotMatch(wrong.stderr, /\n\s+at /)
  assert.ok(!wrong.stderr.includes(WRONG) && !wrong.stdout.includes(WRONG))

  const port = await run(process.execPath, [CLI, 'up', '--config', file('tidewatch.yaml'), '--port', '0', '--broker-port', '0', '--data-dir', dataDir], { env: { KAFKA_PASSWORD: PASSWORD }, timeoutMs: 60_000 })
  assert.equal(port.code, 2, port.stderr)
  assert.equal(port.stderr.trim(), 'tidewatch: --broker-port configures the embedded broker, which up does not start with a Kafka cluster (kafka.brokers, --brokers, $TIDEWATCH_KAFKA_BROKERS): drop one or the other')
  assert.equal(fs.existsSync(dataDir), false, 'nothing started')
})
