// npm run bench:functions — records/s of one replica running the reference 404 handler, next to
// the seed's Python consumer loop (confluent-kafka, the same 404 rule) on the same topic, in the
// same run. Not a test: it prints figures.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawn } from 'node:child_process'
import { KafkaClient } from '../src/kafka/client.js'
import { loadFunctionConfig, type FunctionConfig } from '../src/functions/config/load.js'
import { Replica } from '../src/functions/replica.js'
import { silentLogger } from '../src/shared/logger.js'
import { BrokerProcess, PYTHON, run, tempDir } from '../test/helpers/processes.js'
import { fluentBitRecord } from './log-records.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

// The seed's loop (poll, json.loads, a rule on the record), with the reference 404 rule:
// status substring, namespace, pod-name regex, then method/path extraction.
const PYTHON_LOOP = `
import sys, json, re, time, resource
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'python-bench', 'auto.offset.reset': 'earliest'})
c.subscribe([sys.argv[2]])
want = int(sys.argv[3])
pod = re.compile(r'(wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5})')
req = re.compile(r'([A-Z]+) (/\\S*) HTTP')
n = 0; matched = 0; start = None; cpu0 = 0
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
while n < want:
    msg = c.poll(1.0)
    if msg is None or msg.error(): continue
    if start is None: start = time.time(); cpu0 = cpu()
    n += 1
    content = msg.value().decode('utf-8')
    record = json.loads(content)
    if ' 404 ' in content and 'namespace_name":"demo-project' in content:
        p = pod.search(content)
        m = req.search(content)
        if p and m: matched += 1
end = time.time()
used = cpu() - cpu0
c.close()
print(json.dumps({'records': n, 'matched': matched, 'seconds': end - start, 'cpuSeconds': used}))
`

async function tidewatchReplica (bootstrap: string, topic: string): Promise<{ seconds: number, matched: number }> {
  const base = loadFunctionConfig(path.join(root, 'examples', 'logs-handler', 'function.yaml'), {})
  let matched = 0
  const config: FunctionConfig = {
    ...base,
    input: { ...base.input, topic, consumerGroup: 'tidewatch-bench', startFrom: 'earliest' },
    outputs: new Map([['notification-manager', { name: 'notification-manager', type: 'log' }]])
  }
  const kafka = new KafkaClient({ bootstrap: [bootstrap], clientId: 'bench' })
  const replica = new Replica({ config, kafka, logger: silentLogger(), write: () => { matched++ } })
  await replica.start()
  const running = replica.run()
  let start = 0
  let lastReport = performance.now()
  while (replica.stats.records < RECORDS) {
    if (start === 0 && replica.stats.records > 0) start = performance.now()
    if (performance.now() - lastReport > 5000) { console.error(`replica: ${replica.stats.records} records so far`); lastReport = performance.now() }
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  const seconds = (performance.now() - start) / 1000
  replica.stop()
  await running
  await kafka.close()
  return { seconds, matched }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds (pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * N real replica processes (`tidewatch replica`), as the autoscaler runs them under a backlog,
 * sharing the work by partition. Timed from the first commit to the last, so process start and
 * joining the group are not counted (as for the in-process replica and the Python loop).
 */
async function tidewatchProcesses (bootstrap: string, topic: string, n: number): Promise<{ seconds: number, matched: number, cpuSeconds: number }> {
  const dir = tempDir('tidewatch-bench-procs-')
  const group = `tidewatch-bench-${n}-procs`
  const file = path.join(dir, 'function.yaml')
  fs.writeFileSync(file, `name: bench-procs
input: { topic: ${topic}, consumerGroup: ${group}, startFrom: earliest, prefilter: [" 404 "] }
handler: ${JSON.stringify(path.join(root, 'examples', 'logs-handler', 'handler.ts'))}
outputs:
  notification-manager: { type: log }
`)
  let matched = 0
  const children = Array.from({ length: n }, () => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'cli.js'), 'replica', file, '--brokers', bootstrap], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TIDEWATCH_LOG_LEVEL: 'warn' } })
    child.stdout!.on('data', (d: Buffer) => { for (const b of d) if (b === 10) matched++ })
    return child
  })
  const kafka = new KafkaClient({ bootstrap: [bootstrap], clientId: 'bench-watch' })
  const committed = async (): Promise<number> => ((await kafka.groupOffsets(group, topic)) ?? []).reduce((sum, p) => sum + Math.max(0, p.committed), 0)
  try {
    let first = 0
    let start = 0
    let cpu0 = 0
    for (;;) {
      const c = await committed()
      if (start === 0 && c > 0) { start = performance.now(); first = c; cpu0 = children.reduce((t, ch) => t + cpuSeconds(ch.pid!), 0) }
      if (c >= RECORDS) break
      await new Promise(resolve => setTimeout(resolve, 10))
    }
    const seconds = (performance.now() - start) / 1000 * RECORDS / (RECORDS - first)
    const cpu = children.reduce((t, ch) => t + cpuSeconds(ch.pid!), 0) - cpu0
    return { seconds, matched, cpuSeconds: cpu * RECORDS / (RECORDS - first) }
  } finally {
    for (const ch of children) ch.kill('SIGTERM')
    await Promise.all(children.map(async ch => await new Promise(resolve => ch.once('exit', resolve))))
    await kafka.close()
  }
}

async function main (): Promise<void> {
  const work = tempDir('tidewatch-bench-fn-')
  const broker = await BrokerProcess.start(path.join(work, 'data'))
  try {
    const input = path.join(work, 'records.jsonl')
    fs.writeFileSync(input, Array.from({ length: RECORDS }, (_, i) => fluentBitRecord(i)).join('\n') + '\n')
    const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'bench-logs', '-l', input], { timeoutMs: 300_000 })
    if (produced.code !== 0) throw new Error(produced.stderr)
    console.log(`${RECORDS} records (Fluent Bit kubernetes envelope, 10% 404s from wordpress in demo-project) on a 10-partition topic`)

    const py = await run(PYTHON, ['-c', PYTHON_LOOP, broker.bootstrap, 'bench-logs', String(RECORDS)], { timeoutMs: 300_000 })
    if (py.code !== 0) throw new Error(py.stderr)
    const pyResult = JSON.parse(py.stdout) as { records: number, matched: number, seconds: number, cpuSeconds: number }
    console.error(`python loop done: ${pyResult.records} records in ${pyResult.seconds.toFixed(2)} s`)
    const tw = await tidewatchReplica(broker.bootstrap, 'bench-logs')
    const two = await tidewatchProcesses(broker.bootstrap, 'bench-logs', 2)

    const pyRate = RECORDS / pyResult.seconds
    const twRate = RECORDS / tw.seconds
    const twoRate = RECORDS / two.seconds
    const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
    console.log('\n| consumer | records/s | matched 404s | cores busy | vs Python |')
    console.log('|---|---:|---:|---:|---:|')
    console.log(`| seed's Python loop (confluent-kafka 1.7, json.loads + 404 rule) | ${fmt(pyRate)} | ${pyResult.matched} | ${(pyResult.cpuSeconds / pyResult.seconds).toFixed(2)} | 1.00 |`)
    console.log(`| Tidewatch replica (examples/logs-handler, one process) | ${fmt(twRate)} | ${tw.matched} | ≤ 1 | ${(twRate / pyRate).toFixed(2)} |`)
    console.log(`| Tidewatch, 2 replica processes (as the autoscaler runs them under a backlog) | ${fmt(twoRate)} | ${two.matched} | ${(two.cpuSeconds / two.seconds).toFixed(2)} | ${(twoRate / pyRate).toFixed(2)} |`)
  } finally {
    await broker.stop('SIGTERM')
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch(err => { console.error(err); process.exit(1) })
