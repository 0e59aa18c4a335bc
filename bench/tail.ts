// npm run bench:tail — `tidewatch tail` shipping a CRI container log of ~400-byte lines to the
// broker (run as its own process), next to `kcat -P` producing the same file's lines in the
// same run (lz4 and acks=all for both). Not a test: it prints figures; nothing here asserts.
// Per core = bytes (or lines) over the CPU seconds the shipper itself used (user + system).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { BrokerProcess, CLI, LineProcess, tempDir } from '../test/helpers/processes.js'
import { containerLogName } from '../test/helpers/tail.js'

const LINES = Number(process.env.BENCH_LINES ?? 400_000)
// BENCH_CPU_PROF=DIR: the tail agent runs under `node --cpu-prof`, its profiles written to DIR.
const PROF_DIR = process.env.BENCH_CPU_PROF
const TICK = 100 // USER_HZ on Linux

interface Row { what: string, seconds: number, cpu: number, brokerCpu?: number }

function criLines (n: number): string {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const ns = String(i % 1e9).padStart(9, '0')
    const path = `/api/v1/orders/${(i * 7919) % 100000}/items?page=${i % 50}&sort=created_at&filter=status%3Dopen`
    const msg = `10.${i % 250}.${(i >> 8) % 250}.${i % 13} - - [01/May/2024:12:00:00 +0000] "GET ${path} HTTP/1.1" ${i % 10 === 0 ? 404 : 200} ${1000 + (i % 9000)} "https://shop.example.com/catalog/page-${i % 300}" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36" rt=0.${String(i % 1000).padStart(3, '0')} uid=${(i * 31) % 99991} trace=${((i * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(4)} pod=shop-7d9f8`
    out.push(`2024-05-01T12:00:00.${ns}Z stdout F ${msg}\n`)
  }
  return out.join('')
}

function cpuSeconds (pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICK // utime, stime
}

/** kcat -P under bash, whose `times` reports the child's CPU time. */
function kcatProduce (bootstrap: string, file: string): Promise<Row> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn('bash', ['-c', `kcat -P -b ${bootstrap} -t bench-kcat -z lz4 -X acks=all -X linger.ms=20 -X batch.size=1048576 -l ${file} && times`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', d => { out += d })
    child.stderr.on('data', d => { err += d })
    child.on('close', code => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      if (code !== 0) { reject(new Error(`kcat: ${err}`)); return }
      const children = out.trim().split('\n').at(-1)!.split(/\s+/).map(t => { const m = /(\d+)m([\d.]+)s/.exec(t)!; return Number(m[1]) * 60 + Number(m[2]) })
      resolve({ what: 'kcat -P (librdkafka, lz4, acks=all)', seconds, cpu: children[0] + children[1] })
    })
  })
}

/**
 * Whether the agent's checkpoint (the newer valid of its two files) has a file read to `bytes`:
 * every line acknowledged. Watched from outside, so waiting costs the agent nothing (scraping its
 * /metrics every 100 ms cost it ~5% of its CPU seconds).
 */
function checkpointedTo (dir: string, bytes: number): boolean {
  let newest: { seq: number, files: { offset: number }[] } | null = null
  for (const name of ['checkpoints-a.json', 'checkpoints-b.json']) {
    try {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'))
      if (newest === null || doc.seq > newest.seq) newest = doc
    } catch {} // not written yet, or caught mid-write: the other one, or the next look
  }
  return newest?.files.some(f => f.offset === bytes) ?? false
}

async function acked (metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text()
  return Number(/^tidewatch_tail_records_acked_total (\d+)/m.exec(text)?.[1] ?? 0)
}

async function tailRun (broker: BrokerProcess, work: string, source: string, compression: string): Promise<Row> {
  const bootstrap = broker.bootstrap
  const dir = path.join(work, `logs-${compression}`)
  fs.mkdirSync(dir)
  const checkpoints = path.join(work, `cp-${compression}`)
  const agent = new LineProcess(process.execPath, [...(PROF_DIR !== undefined ? ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] : []), CLI, 'tail', '--brokers', bootstrap, '--topic', `bench-tail-${compression}`, '--checkpoints', checkpoints, '--compression', compression, '--port', '0', path.join(dir, '*.log')], { TIDEWATCH_LOG_LEVEL: 'warn' })
  try {
    while (!agent.lines.some(l => l.includes('metrics on '))) {
      if (agent.child.exitCode !== null) throw new Error(agent.stderr)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const metricsUrl = agent.lines.find(l => l.includes('metrics on '))!.split('metrics on ')[1]
    const cpuBefore = cpuSeconds(agent.child.pid!)
    const brokerBefore = cpuSeconds(broker.child.pid!)
    const start = process.hrtime.bigint()
    // Placed at once (a hard link), as a runtime's file appears; found at the next scan (≤ 0.5 s, counted).
    fs.linkSync(source, path.join(dir, path.basename(source)))
    const bytes = fs.statSync(source).size
    while (!checkpointedTo(checkpoints, bytes)) await new Promise(resolve => setTimeout(resolve, 10))
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const row = { what: `tidewatch tail (${compression}, acks=all, checkpointed)`, seconds, cpu: cpuSeconds(agent.child.pid!) - cpuBefore, brokerCpu: cpuSeconds(broker.child.pid!) - brokerBefore }
    const n = await acked(metricsUrl)
    if (n < LINES) throw new Error(`checkpointed to the end with ${n} of ${LINES} records acknowledged`)
    return row
  } finally {
    await agent.stop('SIGTERM')
  }
}

async function main (): Promise<void> {
  const work = tempDir('tidewatch-bench-tail-')
  const file = path.join(work, containerLogName('shop-7d9f8-abcde', 'bench', 'nginx'))
  fs.writeFileSync(file, criLines(LINES))
  const bytes = fs.statSync(file).size
  console.log(`${LINES} CRI lines, ${(bytes / 1e6).toFixed(1)} MB (avg ${Math.round(bytes / LINES)} B), ${os.cpus().length} cores, Node ${process.version}`)
  const broker = await BrokerProcess.start(path.join(work, 'broker'))
  const rows: Row[] = []
  try {
    const brokerBefore = cpuSeconds(broker.child.pid!)
    const kcat = await kcatProduce(broker.bootstrap, file)
    rows.push({ ...kcat, brokerCpu: cpuSeconds(broker.child.pid!) - brokerBefore })
    rows.push(await tailRun(broker, work, file, 'lz4'))
    rows.push(await tailRun(broker, work, file, 'none'))
  } finally {
    await broker.stop('SIGTERM')
  }
  const kcat = rows[0]
  console.log('\n| what | lines/s | MB/s | CPU s | lines/s per core | MB/s per core | vs kcat -P (wall) | vs kcat -P (per core) | broker CPU s |')
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    const mbs = bytes / 1e6 / r.seconds
    console.log(`| ${r.what} | ${Math.round(LINES / r.seconds).toLocaleString('en-US')} | ${mbs.toFixed(1)} | ${r.cpu.toFixed(2)} | ${Math.round(LINES / r.cpu).toLocaleString('en-US')} | ${(bytes / 1e6 / r.cpu).toFixed(1)} | ${(kcat.seconds / r.seconds).toFixed(2)} | ${(kcat.cpu / r.cpu).toFixed(2)} | ${r.brokerCpu?.toFixed(2) ?? ''} |`)
  }
  console.log('\nPublished anchors (vendor benchmarks, other hardware): single-line file collection Fluent Bit 36 MB/s, Vector 38 MB/s, Filebeat 9 MB/s, LoongCollector 546 MB/s (LoongCollector benchmark, 32 vCPU); file → TCP Vector 76.7 MiB/s, Fluent Bit 35 MiB/s (vector-test-harness, 2019).')
  fs.rmSync(work, { recursive: true, force: true })
}

main().catch(err => { console.error(err); process.exit(1) })
