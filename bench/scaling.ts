// npm run bench:scaling — how fast the autoscaler reacts, with `tidewatch run` as a user runs it
// (embedded broker, real replica processes). Not a test: it prints figures.
//
// 1. Activation: the reference 404 function at 0 replicas; one 404 line is produced; the time
//    until its alert reaches the Alertmanager endpoint (a local HTTP server recording arrival).
//    Measured with the parked spare (default) and without it (--no-spare: a cold process start),
//    next to the seed's figures: KEDA polls every 15 s, the function pod is ready after ~11 s.
// 2. Surge: a function running 1 replica gets a backlog; the time until the scale-up decision,
//    and until every added replica has joined the group and its partitions are being consumed.
// BENCH_ROUNDS (default 5) sets the activation rounds; BENCH_TRACE=1 prints replica counts as
// they change during the surge.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { AUTOSCALED_REBALANCE_DELAY_MS } from '../src/broker/config.js'
import { BrokerProcess, tempDir } from '../test/helpers/processes.js'
import { RunningFunction } from '../test/helpers/tidewatch-run.js'
import { waitFor } from '../test/helpers/wait.js'
import { fluentBitRecord } from './log-records.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const example = path.join(root, 'examples', 'logs-handler')

/** Polls often: the figures are latencies, so waiting adds at most a few milliseconds. */
async function until<T> (what: string, probe: () => Promise<T> | T): Promise<NonNullable<T>> {
  return await waitFor(probe, { what, timeoutMs: 60_000, intervalMs: 5 })
}

/** An Alertmanager stand-in that notes when each alert arrives (same clock as the producer). */
async function alertSink (): Promise<{ url: string, arrivals: number[], close: () => void }> {
  const arrivals: number[] = []
  const server = http.createServer((req, res) => {
    const at = performance.now()
    req.resume()
    req.on('end', () => { if (req.url === '/api/v2/alerts') arrivals.push(at); res.writeHead(200).end() })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}`, arrivals, close: () => server.close() }
}


function writeFunction (dir: string, body: string): string {
  const file = path.join(dir, 'function.yaml')
  fs.writeFileSync(file, body)
  return file
}

async function activation (spare: boolean, external = false, rebalanceDelayMs = AUTOSCALED_REBALANCE_DELAY_MS): Promise<number[]> {
  const sink = await alertSink()
  const dir = tempDir('tidewatch-bench-fn-')
  // External: a separate `tidewatch broker` process, reached over the network as a real Kafka
  // cluster is, with lag read through the Admin API (the path real Kafka takes).
  // Activation from zero joins an empty group, which waits the broker's initial rebalance delay:
  // measured with the embedded broker's (AUTOSCALED_REBALANCE_DELAY_MS) and with Kafka's default.
  const broker = external ? await BrokerProcess.start(tempDir('tidewatch-bench-broker-'), ['--partitions', '1', '--rebalance-delay-ms', String(rebalanceDelayMs)]) : null
  // The example's Function file with a short cooldown so that each round starts from zero again.
  const yaml = fs.readFileSync(path.join(example, 'function.yaml'), 'utf8')
    .replace(/cooldownPeriod: \d+/, 'cooldownPeriod: 1\n  pollingInterval: 1')
    .replace('handler: ./handler.ts', `handler: ${JSON.stringify(path.join(example, 'handler.ts'))}`)
  const args = broker !== null ? ['--brokers', broker.bootstrap] : ['--partitions', '1']
  const tw = await RunningFunction.start(writeFunction(dir, yaml), tempDir('tidewatch-bench-'), [...args, ...(spare ? [] : ['--no-spare'])], { ALERTMANAGER_URL: sink.url, ...(process.env.BENCH_TRACE !== undefined ? { TIDEWATCH_LOG_LEVEL: 'debug' } : {}) })
  const client = new KafkaClient({ settings: plaintextSettings([tw.bootstrap]), clientId: 'bench-producer' })
  const times: number[] = []
  try {
    // Connect and fetch metadata before the clock starts: a shipper is connected already.
    await client.produce([{ topic: 'bench-warmup', value: Buffer.from('x') }])
    const line = JSON.parse(fluentBitRecord(3)) as { message: string }
    if (!line.message.includes(' 404 ')) throw new Error('fluentBitRecord(3) is expected to be a 404 line')
    for (let round = 0; round < ROUNDS; round++) {
      await until('0 replicas' + (spare ? ' and a parked spare' : ''), async () => {
        const s = await tw.status()
        return (s.replicas.current === 0 && s.replicas.desired === 0 && s.replicas.stopping === 0 && (!spare || s.replicas.spare)) || undefined
      })
      const before = sink.arrivals.length
      const t0 = performance.now()
      await client.produce([{ topic: 'logs', value: Buffer.from(fluentBitRecord(3)) }])
      const t1 = await until('the alert', () => sink.arrivals[before])
      times.push(t1 - t0)
    }
  } finally {
    await client.close()
    await tw.proc.stop()
    await broker?.stop()
    sink.close()
    if (process.env.BENCH_TRACE !== undefined) fs.writeFileSync(`/tmp/bench-activation-${external ? 'external' : 'embedded'}.log`, tw.proc.stderr)
  }
  return times
}

const SLOW_HANDLER = `export default async function (ctx, data) {
  await new Promise(resolve => setTimeout(resolve, 2))
  await ctx.send(JSON.stringify(data), 'out')
}
`

async function surge (): Promise<{ decisionMs: number, readyMs: number, consumingMs: number, from: number, to: number }> {
  const dir = tempDir('tidewatch-bench-surge-')
  fs.writeFileSync(path.join(dir, 'handler.ts'), SLOW_HANDLER)
  // pollingInterval 30 (KEDA's default): the reaction must not come from polling.
  const file = writeFunction(dir, `name: surge
input: { topic: logs, startFrom: latest }
handler: ./handler.ts
outputs:
  out: { type: kafka, topic: out }
scale: { minReplicas: 1, maxReplicas: 4, lagThreshold: 100, pollingInterval: 30 }
`)
  const tw = await RunningFunction.start(file, tempDir('tidewatch-bench-'), ['--partitions', '4'])
  const client = new KafkaClient({ settings: plaintextSettings([tw.bootstrap]), clientId: 'bench-producer' })
  try {
    await until('1 ready replica', async () => (await tw.status()).replicas.ready === 1 || undefined)
    await client.produce([{ topic: 'bench-warmup', value: Buffer.from('x') }])
    const start = await tw.status()
    const committedAtStart = new Map(start.lag.partitions.map(p => [p.partition, p.committed]))
    const wall0 = Date.now()
    const t0 = performance.now()
    // 4,000 records over 4 partitions: lag 4000 / lagThreshold 100 wants 40, capped at 4.
    const records = Array.from({ length: 4000 }, (_, i) => ({ topic: 'logs', key: `k${i}`, value: Buffer.from(JSON.stringify({ i })) }))
    await client.produce(records)
    const event = await until('a scale-up event', async () => (await tw.events()).find(e => e.type === 'scale' && (e.to ?? 0) > 1 && Date.parse(e.time) >= wall0 - 5))
    const decisionMs = Date.parse(event.time) - wall0
    let last = ''
    const readyMs = await until('all replicas ready', async () => {
      const s = await tw.status()
      const now = `${s.replicas.current}/${s.replicas.ready}/${s.replicas.desired}`
      if (process.env.BENCH_TRACE !== undefined && now !== last) { last = now; console.error(`${fmt(performance.now() - t0)} current/ready/desired ${now}`) }
      return s.replicas.ready === s.replicas.desired && s.replicas.desired > 1 ? performance.now() - t0 : undefined
    })
    // Consuming: every partition's committed offset has moved since the surge.
    const consumingMs = await until('every partition consumed', async () => {
      const s = await tw.status()
      return s.lag.partitions.every(p => p.committed > (committedAtStart.get(p.partition) ?? -1)) ? performance.now() - t0 : undefined
    })
    return { decisionMs, readyMs, consumingMs, from: event.from ?? 1, to: event.to ?? 0 }
  } finally {
    await client.close()
    await tw.proc.stop()
  }
}

const fmt = (ms: number): string => ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const SEED_ACTIVATION_MS = 15_000 / 2 + 11_000 // average wait for a KEDA poll every 15 s, then pod ready

const withSpare = process.env.BENCH_ONLY_EXTERNAL !== undefined ? [] : await activation(true)
const cold = process.env.BENCH_ONLY_EXTERNAL !== undefined ? [] : await activation(false)
const external = await activation(true, true)
const externalKafkaDefault = await activation(true, true, 3000)
console.log(`\nActivation from 0 replicas: first 404 produced -> its alert at the Alertmanager endpoint (${ROUNDS} rounds)`)
console.log('| path | median | min | max | vs seed (KEDA poll avg 7.5 s + pod ready 11 s) |')
console.log('|---|---:|---:|---:|---:|')
for (const [name, xs] of [['parked spare (default)', withSpare], ['cold process start (--no-spare)', cold], [`external broker (tidewatch run --brokers, pollingInterval 1 s, initial rebalance delay ${AUTOSCALED_REBALANCE_DELAY_MS} ms)`, external], ['external broker, Kafka\'s default initial rebalance delay (3000 ms)', externalKafkaDefault]] as const) {
  if (xs.length === 0) continue
  console.log(`| ${name} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} | ${(SEED_ACTIVATION_MS / median(xs)).toFixed(0)}x faster |`)
}
const s = await surge()
console.log('\nSurge: 1 replica, 4 partitions, 4,000 records produced at once (pollingInterval 30 s)')
console.log('| step | after the surge | seed (KEDA) |')
console.log('|---|---:|---:|')
console.log(`| scale-up decided (${s.from} -> ${s.to}) | ${fmt(s.decisionMs)} | up to 15 s (polling) |`)
console.log(`| all replicas joined the group | ${fmt(s.readyMs)} | + ~11 s (pod ready) |`)
console.log(`| every partition being consumed | ${fmt(s.consumingMs)} | |`)
