// The reference scenario end to end: the seed's 404 line produced with kcat into the embedded
// broker, the logs-handler replica, and a real Prometheus Alertmanager.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTempBroker } from './helpers/temp-broker.js'
import { KafkaClient } from '../src/kafka/client.js'
import { loadFunctionConfig, type FunctionConfig } from '../src/functions/config/load.js'
import { Replica } from '../src/functions/replica.js'
import { silentLogger } from '../src/shared/logger.js'
import { Alertmanager } from './helpers/alertmanager.js'
import { run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'logs-handler')
const sample = fs.readFileSync(path.join(example, 'sample.log'), 'utf8').trim().split('\n')

async function produce (bootstrap: string, lines: string[]): Promise<void> {
  const r = await run('kcat', ['-b', bootstrap, '-P', '-t', 'logs'], { input: lines.join('\n') + '\n' })
  assert.equal(r.code, 0, r.stderr)
}

test('the seed\'s 404 line becomes exactly one alert in a real Alertmanager, with the seed\'s labels; the 200 line raises nothing', async () => {
  const broker = await startTempBroker()
  const am = await Alertmanager.start()
  const kafka = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'e2e' })
  const config = loadFunctionConfig(path.join(example, 'function.yaml'), { ALERTMANAGER_URL: am.url })
  const replica = new Replica({ config: { ...config, input: { ...config.input, startFrom: 'earliest' } }, kafka, logger: silentLogger() })
  try {
    await produce(broker.bootstrap, sample)
    await replica.start()
    const running = replica.run()
    const [alert] = await waitFor(async () => { const a = await am.alerts(); return a.length > 0 ? a : null }, { what: 'an alert in Alertmanager', timeoutMs: 60_000 })
    assert.deepEqual(alert.labels, {
      alertname: '404 Request', namespace: 'demo-project', severity: 'warning',
      pod: 'wordpress-v1-f54f697c5-hdn2z', path: '/notfound', method: 'GET'
    })
    assert.match(alert.generatorURL, /\/context\?topic=logs&partition=\d+&offset=\d+$/)
    await waitFor(() => replica.stats.records === 2, { what: 'both records processed' })
    assert.equal((await am.alerts()).length, 1, 'the 200 line raised nothing')
    replica.stop()
    await running
  } finally {
    replica.stop()
    await kafka.close()
    await am.stop()
    await broker.close()
  }
})

test('records whose handler throws go to <function>.dlq with the error; the others are processed', async () => {
  const broker = await startTempBroker()
  const dir = tempDir()
  const kafka = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'dlq' })
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
  fs.writeFileSync(path.join(dir, 'handler.ts'), 'export default async (ctx: any, data: any) => {\n  if (data.bad) throw new Error(`bad record ${data.n}`)\n  await ctx.send({ ok: data.n }, "out")\n}\n')
  fs.writeFileSync(path.join(dir, 'function.yaml'), 'name: picky\ninput: { topic: logs, startFrom: earliest }\nhandler: ./handler.ts\noutputs:\n  out: { type: kafka, topic: picked }\n')
  const config: FunctionConfig = loadFunctionConfig(path.join(dir, 'function.yaml'))
  const replica = new Replica({ config, kafka, logger: silentLogger() })
  try {
    await produce(broker.bootstrap, Array.from({ length: 20 }, (_, n) => JSON.stringify({ n, bad: n % 5 === 0 })))
    await replica.start()
    const running = replica.run()
    await waitFor(() => replica.stats.records === 20, { what: '20 records processed', timeoutMs: 60_000 })
    const dlq = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'picky.dlq', '-e', '-q', '-J'])
    const dead = dlq.stdout.trim().split('\n').map(l => JSON.parse(l))
    assert.equal(dead.length, 4)
    for (const d of dead) {
      const n = JSON.parse(d.payload).n
      assert.equal(n % 5, 0)
      const headers = Object.fromEntries(Array.from({ length: d.headers.length / 2 }, (_, i) => [d.headers[2 * i], d.headers[2 * i + 1]]))
      assert.equal(headers['tidewatch.error'], `bad record ${n}`)
      assert.match(headers['tidewatch.source'], /^logs\/\d+\/\d+$/)
      assert.match(headers['tidewatch.stack'], /handler\.ts:2:/)
    }
    const picked = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'picked', '-e', '-q'])
    assert.deepEqual(picked.stdout.trim().split('\n').map(l => JSON.parse(l).ok).sort((a, b) => a - b), [1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 19])
    replica.stop()
    await running
  } finally {
    replica.stop()
    await kafka.close()
    await broker.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('Alertmanager down while 404s arrive: nothing is committed, and every alert arrives once it is back', async () => {
  const broker = await startTempBroker()
  const am = await Alertmanager.start()
  const port = am.port
  await am.stop()
  const kafka = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'outage' })
  const config = loadFunctionConfig(path.join(example, 'function.yaml'), { ALERTMANAGER_URL: `http://127.0.0.1:${port}` })
  const fast = { ...config, input: { ...config.input, startFrom: 'earliest' as const }, outputs: new Map([...config.outputs].map(([k, v]) => [k, { ...v, retry: { attempts: 2, initialBackoffMs: 50, maxBackoffMs: 200 } } as typeof v])) }
  const replica = new Replica({ config: fast, kafka, logger: silentLogger() })
  let back: Alertmanager | null = null
  try {
    const lines = Array.from({ length: 5 }, (_, i) => sample[0].replace('/notfound', `/missing-${i}`))
    await produce(broker.bootstrap, lines)
    await replica.start()
    const running = replica.run()
    await waitFor(async () => {
      const committed = await kafka.committedOffsets('logs-handler', 'logs')
      return replica.stats.batches === 0 && committed.size === 0
    }, { what: 'the replica to hold its batch while Alertmanager is down' })
    back = await Alertmanager.start(port)
    const alerts = await waitFor(async () => { const a = await back!.alerts(); return a.length === 5 ? a : null }, { what: 'all 5 alerts after the outage', timeoutMs: 60_000 })
    assert.deepEqual(alerts.map(a => a.labels.path).sort(), ['/missing-0', '/missing-1', '/missing-2', '/missing-3', '/missing-4'])
    await waitFor(async () => {
      const committed = await kafka.committedOffsets('logs-handler', 'logs')
      return [...committed.values()].reduce((a, b) => a + b, 0) === 5
    }, { what: 'the offsets to be committed after delivery' })
    replica.stop()
    await running
  } finally {
    replica.stop()
    await kafka.close()
    await back?.stop()
    await broker.close()
  }
})
