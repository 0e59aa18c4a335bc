// npm run bench:rules, second part: the rules runtime as it runs — a broker process and
// `tidewatch run RULES.yaml --brokers` with its replica processes (both stages each, internal
// topics, acks=all, commits), on a 4-partition topic:
//   1. records/s per replica: a new group reads a backlog of the corpus from the start, with
//      1 and then 2 replicas; timed from 10% of it committed to 90% (committed offsets polled
//      every 50 ms): each of the five rule kinds alone, then all five together.
//      In the same run and measured the same way, before and after them: the reference 404
//      function (examples/logs-handler, `tidewatch run function.yaml --brokers`), the
//      throughput the rules are compared with. Also per CPU second of the replica processes
//      (from /proc, over the same window), which other work on a shared machine disturbs less.
//   2. line→alert latency at 20,000 lines/s: corpus traffic at that rate, and every 200 ms a
//      line whose own series crosses its rule's threshold; latency is from the produce call of
//      that line to its alert's POST arriving at an Alertmanager-shaped receiver (where the
//      notifier would take it). p50/p99.
// Not a test: it prints figures. Knobs: BENCH_BACKLOG, BENCH_RATE, BENCH_LATENCY_SECONDS;
// BENCH_ONLY=fn,0,…,4,all1,all2,latency runs only those workloads (the rule kinds by index in
// rule-kinds.ts); BENCH_ROUNDS=N runs the list N times over, alternating, and reports each row's
// median (and the per-CPU range); BENCH_PROFILE_DIR=DIR runs the replicas under --cpu-prof, keeps the profiles
// there and prints where each replica's time went over the measured window.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { formatSummary, summarizeProfile } from './cpu-profile.js'
import { childPids, cpuSeconds } from './proc.js'
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
const ONLY = process.env.BENCH_ONLY === undefined ? null : new Set(process.env.BENCH_ONLY.split(','))
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const TRIGGER_RULE = `      - alert: Trigger
        expr: 'sum by (trigger) (count_over_time({topic="logs"} |= "latency-trigger" | logfmt [1m])) > 0'
`

async function produce (kafka: KafkaClient, values: string[], offset = 0): Promise<void> {
  for (let i = 0; i < values.length; i += 2000) {
    await kafka.produce(values.slice(i, i + 2000).map((value, j) => ({ topic: 'logs', partition: (offset + i + j) % 4, value })))
  }
}

async function startRun (file: string, bootstrap: string, dir: string, name: string, replicas: number, alertmanager: string, profileDir?: string): Promise<LineProcess> {
  // A Function file names its group and start in the file; a rule file takes them as flags.
  const ruleFlags = file.endsWith('function.yaml') ? [] : ['--name', name, '--start-from', 'earliest']
  // The replicas inherit the environment; Node 20 takes no --cpu-prof in NODE_OPTIONS, so a
  // preloaded module profiles each replica and writes its profile on exit.
  const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cpu-prof-preload.js')
  const profiling = profileDir === undefined ? {} : { NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`, BENCH_CPU_PROF_DIR: profileDir }
  const proc = new LineProcess(process.execPath, [CLI, 'run', file, '--brokers', bootstrap, '--replicas', String(replicas), '--no-spare', ...ruleFlags, '--port', '0', '--data-dir', path.join(dir, name)], { ALERTMANAGER_URL: alertmanager, ...profiling })
  await waitFor(() => { if (proc.child.exitCode !== null) throw new Error(proc.stderr); return proc.lines.some(l => l.startsWith('  API ')) }, { what: 'tidewatch run', timeoutMs: 60_000 })
  return proc
}

interface Throughput {
  /** Records/s of all replicas, on the wall clock. */
  rps: number
  /** Records per CPU second of the replica processes (together). */
  perCpu: number
  profile?: string
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

async function throughput (kafka: KafkaClient, file: string, bootstrap: string, dir: string, replicas: number, sink: string, name: string): Promise<Throughput> {
  const profileDir = PROFILE_DIR === undefined ? undefined : path.join(PROFILE_DIR, name)
  const proc = await startRun(file, bootstrap, dir, name, replicas, sink, profileDir)
  let result: Throughput
  let window = { fromUs: 0, toUs: 0 }
  let pids: number[] = []
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
    await waitFor(() => (pids = childPids(proc.child.pid!, 'replica')).length >= replicas, { what: 'the replica processes', timeoutMs: 60_000 })
    const cpu = (): number => pids.reduce((t, pid) => t + cpuSeconds(pid), 0)
    const from = await passed(0.1)
    const cpu0 = cpu()
    window.fromUs = nowUs()
    const to = await passed(0.9)
    window.toUs = nowUs()
    const used = cpu() - cpu0
    result = { rps: (to.n - from.n) / ((to.at - from.at) / 1000), perCpu: (to.n - from.n) / used }
  } finally {
    await proc.stop('SIGINT')
  }
  if (profileDir !== undefined) {
    // The first replica's profile (file names carry the pid), over the measured window.
    fs.writeFileSync(path.join(profileDir, 'window.json'), JSON.stringify({ ...window, pids }))
    const mine = fs.readdirSync(profileDir).filter(f => f.includes(`.${pids[0]}.`))
    if (mine.length > 0) result.profile = formatSummary(summarizeProfile(path.join(profileDir, mine[0]), window))
  }
  return result
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
    // Each round its own groups (a new group reads the backlog from the start).
    const runs = (round: number): [string, string, number, string, string][] => {
      const r = round === 0 ? '' : `-r${round}`
      return [
        ['baseline: the 404 function (examples/logs-handler), before', fnFile(`bench-fn-before${r}`), 1, `bench-fn-before${r}`, 'fn'],
        ...RULES.map(([what], i): [string, string, number, string, string] => [what, kind(i), 1, `bench-kind-${i}${r}`, String(i)]),
        ['the five kinds + trigger', file, 1, `bench-all-1${r}`, 'all1'],
        ['the five kinds + trigger', file, 2, `bench-all-2${r}`, 'all2'],
        ['baseline: the 404 function (examples/logs-handler), after', fnFile(`bench-fn-after${r}`), 1, `bench-fn-after${r}`, 'fn']
      ]
    }
    // Per row of the list: what it is, replicas, whether it is the function, and each round's figures.
    const rows: { what: string, n: number, fn: boolean, got: Throughput[] }[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const list = runs(round).filter(([, , , , key]) => ONLY === null || ONLY.has(key))
      for (const [i, [what, f, n, name, key]] of list.entries()) {
        rows[i] ??= { what, n, fn: key === 'fn', got: [] }
        rows[i].got.push(await throughput(kafka, f, broker.bootstrap, dir, n, sink.url, name))
      }
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b)
      return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
    }
    const fns = rows.filter(r => r.fn).flatMap(r => r.got)
    const fn404 = median(fns.map(t => t.rps))
    const fn404Cpu = median(fns.map(t => t.perCpu))
    const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
    console.log(`load average at the end: ${os.loadavg().map(l => l.toFixed(1)).join(' ')}${ROUNDS > 1 ? `; medians of ${ROUNDS} rounds` : ''}\n`)
    console.log('| workload | replicas | records/s | records/s per replica | vs 404 function | records per replica CPU-second | vs 404 function |')
    console.log('|---|---:|---:|---:|---:|---:|---:|')
    for (const r of rows) {
      const rps = median(r.got.map(t => t.rps))
      const cpu = r.got.map(t => t.perCpu)
      const range = r.got.length > 1 ? ` (${fmt(Math.min(...cpu))}–${fmt(Math.max(...cpu))})` : ''
      console.log(`| ${r.what.replace(/\|/g, '\\|')} | ${r.n} | ${fmt(rps)} | ${fmt(rps / r.n)} | ${(rps / r.n / fn404).toFixed(2)} | ${fmt(median(cpu))}${range} | ${(median(cpu) / fn404Cpu).toFixed(2)} |`)
    }
    console.log(`\n(ratios against the median of the 404 function's runs${ROUNDS > 1 ? ', before and after, all rounds' : ' before and after'}; per CPU second: records over the CPU time of all replica processes)`)
    const measured = rows.flatMap(r => r.got.map(t => [r.what, r.n, t] as const))
    for (const [what, n, t] of measured) if (t.profile !== undefined) console.log(`\nprofile, ${what} (${n} replica${n > 1 ? 's' : ''}, the first): ${t.profile}`)
    if (ONLY !== null && !ONLY.has('latency')) return
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
