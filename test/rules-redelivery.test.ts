// At least once in, exactly once counted: a rules workload under `tidewatch run RULES.yaml
// --brokers` (the broker a process of its own). Between two runs its input group's committed
// offsets are rewound to the start with kafkajs, as a crash before a commit would leave them, so
// every record of the first run is read and its contributions sent again. The owners drop them
// by their source offsets: the count stays exact, the learned pattern is not announced again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { BrokerProcess, CLI, LineProcess, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'
import { fluentBitRecord, produceSpread, rule, rulesWorkload, waitRulesEvaluating } from './helpers/rules-project.js'
import fs from 'node:fs'

const N = 2000
const RULES = `groups:
  - name: shop
    rules:
      - alert: Full
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) >= ${N}'
        annotations: { value: '{{ $value }}' }
      - alert: Over
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) > ${N}'
      - alert: NewCheckoutError
        expr: '{namespace="shop"} |= "checkout"'
        new_pattern: { learning: 0s }
`

const burst = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => fluentBitRecord(`payment declined for order ${from + i}`, `cart-${(from + i) % 5}`))

async function startRun (file: string, bootstrap: string, dataDir: string, alertmanager: string): Promise<{ proc: LineProcess, api: string }> {
  const proc = new LineProcess(process.execPath, [CLI, 'run', file, '--brokers', bootstrap, '--replicas', '2', '--name', 'shop-rules', '--port', '0', '--data-dir', dataDir], { ALERTMANAGER_URL: alertmanager, TIDEWATCH_PUBLIC_URL: undefined })
  await waitFor(() => {
    if (proc.child.exitCode !== null) throw new Error(`tidewatch run exited: ${proc.stderr}`)
    return proc.lines.some(l => l.startsWith('  API '))
  }, { what: 'tidewatch run to be ready', timeoutMs: 60_000 })
  const api = proc.lines.find(l => l.startsWith('  API '))!.trim().split(/\s+/)[1]
  await waitRulesEvaluating(api, { replicas: 2 })
  return { proc, api }
}

test('redelivered input (the group rewound to the start) is counted once: tidewatch run RULES.yaml against a broker process', { timeout: 300_000 }, async () => {
  const dir = tempDir('tidewatch-rules-redelivery-')
  const file = path.join(dir, 'rules.yaml')
  fs.writeFileSync(file, RULES)
  const broker = await BrokerProcess.start(path.join(dir, 'broker'), ['--partitions', '4'])
  const sink = await WebhookSink.start()
  const of = (name: string): { labels: Record<string, string>, annotations: Record<string, string> }[] =>
    sink.at('/api/v2/alerts').flatMap(r => r.body as { labels: Record<string, string>, annotations: Record<string, string> }[]).filter(a => a.labels.alertname === name)
  const kafka = new Kafka({ clientId: 'rewind', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  let run: { proc: LineProcess, api: string } | null = null
  try {
    await produceSpread(broker.bootstrap, 'logs', [fluentBitRecord('before the workload: not read')])
    run = await startRun(file, broker.bootstrap, path.join(dir, 'run'), sink.url)
    await produceSpread(broker.bootstrap, 'logs', [...burst(0, N / 2), fluentBitRecord('checkout failed for order 17 after 120 ms')])
    await waitFor(async () => (await rule(run!.api, 'Full'))?.value === N / 2 && of('NewCheckoutError').length === 1, { what: 'the first half counted', timeoutMs: 60_000 })
    assert.equal(await run.proc.stop('SIGINT'), 0, run.proc.stderr.slice(-3000))
    run = null

    await admin.connect()
    await admin.setOffsets({ groupId: 'shop-rules', topic: 'logs', partitions: [0, 1, 2, 3].map(partition => ({ partition, offset: '0' })) })

    run = await startRun(file, broker.bootstrap, path.join(dir, 'run'), sink.url)
    await waitFor(async () => (await rulesWorkload(run!.api))?.lag.total === 0, { what: 'the rewound input read again' })
    await produceSpread(broker.bootstrap, 'logs', burst(N / 2, N))
    const since = Date.now()
    await waitFor(() => of('Full').length > 0, { what: 'Full posted', timeoutMs: 90_000 })
    await waitFor(async () => {
      const r = await rule(run!.api, 'Over')
      return r?.evaluatedAt !== null && r?.evaluatedAt !== undefined && Date.parse(r.evaluatedAt) > since
    }, { what: 'an evaluation after the second half', timeoutMs: 60_000 })
    const w = await rulesWorkload(run.api)
    assert.ok((w?.contributions?.duplicates ?? 0) >= N / 2 + 1, `the first run's contributions came again and were dropped (${w?.contributions?.duplicates ?? 0})`)
    assert.equal(of('Full')[0].annotations.value, String(N))
    assert.deepEqual(of('Over'), [], 'nothing counted twice')
    assert.equal(of('NewCheckoutError').length, 1, 'the redelivered checkout line is not a new pattern again')
  } finally {
    if (run !== null) await run.proc.stop('SIGINT')
    await admin.disconnect()
    await sink.stop()
    await broker.stop('SIGTERM')
  }
})
