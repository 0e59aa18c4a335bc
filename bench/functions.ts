// npm run bench:functions — records/s of one replica running the reference 404 handler, next to
// the seed's Python consumer loop (confluent-kafka, the same 404 rule) on the same topic, in the
// same run. Not a test: it prints figures.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
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
import sys, json, re, time
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'python-bench', 'auto.offset.reset': 'earliest'})
c.subscribe([sys.argv[2]])
want = int(sys.argv[3])
pod = re.compile(r'(wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5})')
req = re.compile(r'([A-Z]+) (/\\S*) HTTP')
n = 0; matched = 0; start = None
while n < want:
    msg = c.poll(1.0)
    if msg is None or msg.error(): continue
    if start is None: start = time.time()
    n += 1
    content = msg.value().decode('utf-8')
    record = json.loads(content)
    if ' 404 ' in content and 'namespace_name":"demo-project' in content:
        p = pod.search(content)
        m = req.search(content)
        if p and m: matched += 1
end = time.time()
c.close()
print(json.dumps({'records': n, 'matched': matched, 'seconds': end - start}))
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
    const pyResult = JSON.parse(py.stdout) as { records: number, matched: number, seconds: number }
    console.error(`python loop done: ${pyResult.records} records in ${pyResult.seconds.toFixed(2)} s`)
    const tw = await tidewatchReplica(broker.bootstrap, 'bench-logs')

    const pyRate = RECORDS / pyResult.seconds
    const twRate = RECORDS / tw.seconds
    console.log('\n| consumer | records/s | matched 404s |')
    console.log('|---|---:|---:|')
    console.log(`| seed's Python loop (confluent-kafka 1.7, json.loads + 404 rule) | ${Math.round(pyRate).toLocaleString('en-US')} | ${pyResult.matched} |`)
    console.log(`| Tidewatch replica (examples/logs-handler, one process) | ${Math.round(twRate).toLocaleString('en-US')} | ${tw.matched} |`)
    console.log(`\nratio Tidewatch / Python: ${(twRate / pyRate).toFixed(2)}`)
  } finally {
    await broker.stop('SIGTERM')
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch(err => { console.error(err); process.exit(1) })
