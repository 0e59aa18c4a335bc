// npm run bench:rules, second part: the rules runtime as it runs — a broker process and
// `tidewatch run RULES.yaml --brokers` with its replica processes (both stages each, internal
// topics, acks=all, commits), on a 4-partition topic:
//   1. records/s per replica: a new group reads a backlog of the corpus from the start, with
//      1 and then 2 replicas; timed from 10% of it committed to 90% (committed offsets polled
//      every 50 ms): each of the five rule kinds alone, then all five together.
//      In the same run and measured the same way, before and after them: the reference 404
//      function (examples/logs-handler, `tidewatch run function.yaml --brokers`), the
//      throughput the rules are compared with.
//   2. line→alert latency at 20,000 lines/s: corpus traffic at that rate, and every 200 ms a
//      line whose own series crosses its rule's threshold; latency is from the produce call of
//      that line to its alert's POST arriving at an Alertmanager-shaped receiver (where the
//      notifier would take it). p50/p99.
// Not a test: it prints figures.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { BrokerProcess, CLI, LineProcess, tempDir } from '../test/helpers/processes.js'
import { waitFor } from '../test/helpers/wait.js'
import { WebhookSink } from '../test/helpers/webhook-sink.js'
import { stream } from '../test/fixtures/rules/corpus.js'
import { RULES, ruleFile } from './rule-kinds.js'

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 400_000)
const RATE = Number(process.env.BENCH_RATE ?? 20_000)
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 40)
const TRIGGER_EVERY_MS = 200
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const TRIGGER_RULE = `      - alert: Trigger
        expr: 'sum by (trigger) (count_over_time({topic="logs"} |= "latency-trigger" | logfmt [1m])) > 0'
`

async function produce (kafka: KafkaClient, values: string[], offset = 0): Promise<void> {
  for (let i = 0; i < values.length; i += 2000) {
    await kafka.produce(values.slice(i, i + 2000).map((value, j) => ({ topic: 'logs', partition: (offset + i + j) % 4, value })))
  }
}

async function startRun (file: string, bootstrap: string, dir: string, name: string, replicas: number, alertmanager: string): Promise<LineProcess> {
  // A Function file names its group and start in the file; a rule file takes them as flags.
  const ruleFlags = file.endsWith('function.yaml') ? [] : ['--name', name, '--start-from', 'earliest']
  const proc = new LineProcess(process.execPath, [CLI, 'run', file, '--brokers', bootstrap, '--replicas', String(replicas), '--no-spare', ...ruleFlags, '--port', '0', '--data-dir', path.join(dir, name)], { ALERTMANAGER_URL: alertmanager })
  await waitFor(() => { if (proc.child.exitCode !== null) throw new Error(proc.stderr); return proc.lines.some(l => l.startsWith('  API ')) }, { what: 'tidewatch run', timeoutMs: 60_000 })
  return proc
}

async function throughput (kafka: KafkaClient, file: string, bootstrap: string, dir: string, replicas: number, sink: string, name: string): Promise<number> {
  const proc = await startRun(file, bootstrap, dir, name, replicas, sink)
  try {
    const total = async (): Promise<number> => [...(await kafka.committedOffsets(name, 'logs')).values()].reduce((n, o) => n + Math.max(0, o), 0)
    const ends = (await kafka.endOffsets('logs')).reduce((n, o) => n + o, 0)
    // Timed from 10% of the backlog committed to 90%: joining the group (and, with two
    // replicas, the rebalance when the second joins) and the last partial batches stay out.
    const passed = async (share: number): Promise<{ n: number, at: number }> => {
      let n = 0
      await waitFor(async () => (n = await total()) >= share * ends, { what: `${share * 100}% of the backlog committed`, timeoutMs: 600_000, intervalMs: 50 })
      return { n, at: performance.now() }
    }
    const from = await passed(0.1)
    const to = await passed(0.9)
    return (to.n - from.n) / ((to.at - from.at) / 1000)
  } finally {
    await proc.stop('SIGINT')
  }
}

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]
}

async function latency (kafka: KafkaClient, file: string, bootstrap: string, dir: string, sink: WebhookSink): Promise<{ p50: number, p99: number, max: number, n: number, achieved: number }> {
  const proc = await startRun(file, bootstrap, dir, 'bench-latency', 2, sink.url)
  const sent = new Map<string, number>()
  let produced = 0
  try {
    // It reads the backlog first: measure only once it has caught up.
    const ends = (await kafka.endOffsets('logs')).reduce((n, o) => n + o, 0)
    await waitFor(async () => [...(await kafka.committedOffsets('bench-latency', 'logs')).values()].reduce((n, o) => n + Math.max(0, o), 0) >= ends, { what: 'the latency workload caught up', timeoutMs: 300_000, intervalMs: 200 })
    const started = performance.now()
    let trigger = 0
    let nextTrigger = started
    for (let tick = 0; performance.now() - started < LATENCY_SECONDS * 1000; tick++) {
      // Paced per 50 ms tick: RATE/20 lines, spread over the partitions.
      const due = started + tick * 50
      const wait = due - performance.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      const now = Date.now()
      await produce(kafka, stream(RATE / 20, i => now + i / 100), produced)
      produced += RATE / 20
      if (performance.now() >= nextTrigger) {
        nextTrigger += TRIGGER_EVERY_MS
        const id = String(++trigger)
        sent.set(id, Date.now())
        await kafka.produce([{ topic: 'logs', partition: trigger % 4, value: `latency-trigger trigger=${id}` }])
      }
    }
    const seconds = (performance.now() - started) / 1000
    await waitFor(() => received().size >= sent.size, { what: 'every trigger alerted', timeoutMs: 60_000 })
    const got = received()
    const lat = [...sent].flatMap(([id, at]) => got.has(id) ? [got.get(id)! - at] : []).sort((a, b) => a - b)
    return { p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), max: lat[lat.length - 1], n: lat.length, achieved: produced / seconds }
  } finally {
    await proc.stop('SIGINT')
  }
  function received (): Map<string, number> {
    const out = new Map<string, number>()
    for (const r of sink.at('/api/v2/alerts')) {
      for (const a of r.body as { labels: Record<string, string> }[]) {
        const id = a.labels.trigger
        if (id !== undefined && !out.has(id)) out.set(id, r.receivedAt)
      }
    }
    return out
  }
}

export async function benchRuntime (): Promise<void> {
  const dir = tempDir('tidewatch-bench-rules-')
  const file = path.join(dir, 'rules.yaml')
  fs.writeFileSync(file, ruleFile(RULES.map(r => r[1]), TRIGGER_RULE))
  const broker = await BrokerProcess.start(path.join(dir, 'broker'), ['--partitions', '4'])
  const kafka = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'bench-rules' })
  const sink = await WebhookSink.start()
  try {
    const now = Date.now()
    await produce(kafka, stream(BACKLOG, i => now + i / 100))
    console.log(`\nthrough the runtime (broker process, tidewatch run FILE --brokers, 4 partitions, ${BACKLOG.toLocaleString('en-US')} records of backlog), Node ${process.version}\n`)
    // The reference 404 function, as bench:functions runs it (its prefilter, its handler, a
    // log output so that delivery does not count), in a group of its own; first and last, since
    // this shared machine's speed drifts during a run.
    const fnFile = (group: string): string => {
      const f = path.join(dir, group, 'function.yaml')
      fs.mkdirSync(path.dirname(f), { recursive: true })
      fs.writeFileSync(f, `name: ${group}
input: { topic: logs, consumerGroup: ${group}, startFrom: earliest, prefilter: [" 404 "] }
handler: ${JSON.stringify(path.join(ROOT, 'examples', 'logs-handler', 'handler.ts'))}
outputs:
  notification-manager: { type: log }
`)
      return f
    }
    const kind = (i: number): string => {
      const f = path.join(dir, `rules-${i}.yaml`)
      fs.writeFileSync(f, ruleFile([RULES[i][1]]))
      return f
    }
    const runs: [string, string, number, string][] = [
      ['baseline: the 404 function (examples/logs-handler), before', fnFile('bench-fn-before'), 1, 'bench-fn-before'],
      ...RULES.map(([what], i): [string, string, number, string] => [what, kind(i), 1, `bench-kind-${i}`]),
      ['the five kinds + trigger', file, 1, 'bench-all-1'],
      ['the five kinds + trigger', file, 2, 'bench-all-2'],
      ['baseline: the 404 function (examples/logs-handler), after', fnFile('bench-fn-after'), 1, 'bench-fn-after']
    ]
    const measured: [string, number, number][] = []
    for (const [what, f, n, name] of runs) measured.push([what, n, await throughput(kafka, f, broker.bootstrap, dir, n, sink.url, name)])
    const fn404 = (measured[0][2] + measured[measured.length - 1][2]) / 2
    const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
    console.log('| workload | replicas | records/s | records/s per replica | per replica vs 404 function (mean of before and after) |')
    console.log('|---|---:|---:|---:|---:|')
    for (const [what, n, rps] of measured) console.log(`| ${what.replace(/\|/g, '\\|')} | ${n} | ${fmt(rps)} | ${fmt(rps / n)} | ${(rps / n / fn404).toFixed(2)} |`)
    const l = await latency(kafka, file, broker.bootstrap, dir, sink)
    console.log(`\nline→alert at ${Math.round(l.achieved).toLocaleString('en-US')} lines/s (asked ${RATE.toLocaleString('en-US')}), 2 replicas, ${l.n} alerts: p50 ${Math.round(l.p50)} ms, p99 ${Math.round(l.p99)} ms, max ${Math.round(l.max)} ms`)
  } finally {
    await sink.stop()
    await kafka.close()
    await broker.stop('SIGTERM')
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1]?.endsWith('rules-runtime.js')) await benchRuntime()
