// npm run bench:broker — produce and consume throughput against the embedded broker (run as its
// own process, as users run it), with kcat and with @platformatic/kafka, next to a plain
// sequential file write of the same bytes measured in the same run. Not a test: it prints
// figures; nothing here asserts on timing.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { BrokerProcess, tempDir } from '../test/helpers/processes.js'
import { fluentBitRecord } from './log-records.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000)

interface Row { what: string, records: number, bytes: number, seconds: number }
const rows: Row[] = []

function time<T> (fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint()
  return fn().then(v => [v, Number(process.hrtime.bigint() - start) / 1e9])
}

function runKcat (args: string[], stdoutFile?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = stdoutFile !== undefined ? fs.openSync(stdoutFile, 'w') : 'ignore'
    const child = spawn('kcat', args, { stdio: ['ignore', out, 'pipe'] })
    let err = ''
    child.stderr!.on('data', d => { err += d })
    child.on('close', code => code === 0 ? resolve() : reject(new Error(`kcat ${args.join(' ')}: ${err}`)))
  })
}

async function main (): Promise<void> {
  const lines = Array.from({ length: RECORDS }, (_, i) => fluentBitRecord(i))
  const payload = lines.join('\n') + '\n'
  const bytes = Buffer.byteLength(payload) - RECORDS
  const work = tempDir('tidewatch-bench-')
  const input = path.join(work, 'records.jsonl')
  fs.writeFileSync(input, payload)
  console.log(`${RECORDS} records, ${(bytes / 1e6).toFixed(1)} MB of values (avg ${Math.round(bytes / RECORDS)} B), ${os.cpus().length} cores, Node ${process.version}`)

  // The physical reference: the same bytes written sequentially, then fsynced.
  const [, fileSeconds] = await time(async () => {
    const fd = fs.openSync(path.join(work, 'reference.bin'), 'w')
    const buf = Buffer.from(payload)
    for (let at = 0; at < buf.length; at += 1 << 20) fs.writeSync(fd, buf, at, Math.min(1 << 20, buf.length - at))
    fs.fsyncSync(fd)
    fs.closeSync(fd)
  })
  rows.push({ what: 'plain file write + fsync (reference)', records: RECORDS, bytes, seconds: fileSeconds })

  const dataDir = path.join(work, 'data')
  const broker = await BrokerProcess.start(dataDir)
  try {
    const b = broker.bootstrap
    const [, kp] = await time(() => runKcat(['-b', b, '-P', '-t', 'bench-kcat', '-l', input, '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000']))
    rows.push({ what: 'kcat produce (acks=all, no compression)', records: RECORDS, bytes, seconds: kp })
    const [, kc] = await time(() => runKcat(['-b', b, '-C', '-t', 'bench-kcat', '-c', String(RECORDS), '-q', '-o', 'beginning'], '/dev/null'))
    rows.push({ what: 'kcat consume', records: RECORDS, bytes, seconds: kc })

    const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [b], serializers: stringSerializers, autocreateTopics: true })
    const [, pp] = await time(async () => {
      const chunk = 2000
      const inflight: Promise<unknown>[] = []
      for (let i = 0; i < RECORDS; i += chunk) {
        inflight.push(producer.send({ messages: lines.slice(i, i + chunk).map(value => ({ topic: 'bench-plt', value })) }))
        if (inflight.length >= 4) await inflight.shift()
      }
      await Promise.all(inflight)
    })
    await producer.close()
    rows.push({ what: '@platformatic/kafka produce (acks=1, batches of 2000)', records: RECORDS, bytes, seconds: pp })

    const consumer = new Consumer({ groupId: 'bench', clientId: 'bench', bootstrapBrokers: [b], deserializers: stringDeserializers, maxWaitTime: 100 })
    const [, pc] = await time(async () => {
      const stream = await consumer.consume({ topics: ['bench-plt'], mode: 'earliest', autocommit: false } as any)
      let n = 0
      await new Promise<void>(resolve => {
        stream.on('data', () => { if (++n === RECORDS) resolve() })
      })
      await stream.close()
    })
    await consumer.close(true)
    rows.push({ what: '@platformatic/kafka consume (group, from earliest)', records: RECORDS, bytes, seconds: pc })
  } finally {
    await broker.stop('SIGTERM')
  }
  const du = spawnSync('du', ['-sb', dataDir]).stdout.toString().split('\t')[0]
  fs.rmSync(work, { recursive: true, force: true })

  console.log('\n| what | records/s | MB/s | vs file write |')
  console.log('|---|---:|---:|---:|')
  const ref = bytes / fileSeconds
  for (const r of rows) {
    const mbps = r.bytes / r.seconds
    console.log(`| ${r.what} | ${Math.round(r.records / r.seconds).toLocaleString('en-US')} | ${(mbps / 1e6).toFixed(1)} | ${(mbps / ref).toFixed(2)} |`)
  }
  console.log(`\nbroker data dir after the run: ${(Number(du) / 1e6).toFixed(1)} MB`)
}

main().catch(err => { console.error(err); process.exit(1) })
