// npm run bench:functions — records/s of one replica process running the reference 404 function,
// next to the seed's Python consumer loop (confluent-kafka, the same 404 rule) and kcat | grep on
// the same topics, in the same run, for uncompressed, lz4 and zstd topics; with a CPU profile
// summary of the replica for each. Not a test: it prints figures.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrokerProcess, tempDir } from '../test/helpers/processes.js'
import { fluentBitRecord } from './log-records.js'
import { kcatGrep, pythonLoop, replicaProcesses, type Measured } from './functions-consumers.js'
import { probeMemory, produceTopic, storedBatches } from './functions-topics.js'
import { formatSummary } from './cpu-profile.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 500_000)
const CODECS = (process.env.BENCH_CODECS ?? 'none,lz4,zstd').split(',')
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US')
const mib = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`
const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`

async function main (): Promise<void> {
  const work = tempDir('tidewatch-bench-fn-')
  const dataDir = path.join(work, 'data')
  const broker = await BrokerProcess.start(dataDir)
  try {
    const input = path.join(work, 'records.jsonl')
    fs.writeFileSync(input, Array.from({ length: RECORDS }, (_, i) => fluentBitRecord(i)).join('\n') + '\n')
    console.log(`${RECORDS} records per topic (Fluent Bit kubernetes envelope, avg 436 B, 10% 404s from wordpress in demo-project), 10 partitions`)
    for (const codec of CODECS) {
      await produceTopic(broker.bootstrap, `bench-${codec}`, input, codec)
      console.log(`- bench-${codec}: ${storedBatches(dataDir, `bench-${codec}`)}`)
    }

    const rows: string[] = []
    const notes: string[] = []
    const row = (codec: string, what: string, m: Measured, py: number, kc: number, extra = ''): void => {
      const rate = m.records / m.seconds
      rows.push(`| ${codec} | ${what} | ${fmt(rate)} | ${m.matched} | ${(m.cpuSeconds / m.seconds).toFixed(2)} | ${(rate / py).toFixed(2)} | ${(rate / kc).toFixed(2)} | ${extra} |`)
    }
    for (const codec of CODECS) {
      const topic = `bench-${codec}`
      const py = await pythonLoop(broker.bootstrap, topic, RECORDS)
      console.error(`${codec}: python loop ${py.seconds.toFixed(2)} s`)
      const kc = await kcatGrep(broker.bootstrap, topic, RECORDS)
      console.error(`${codec}: kcat | grep ${kc.seconds.toFixed(2)} s`)
      const tw = await replicaProcesses(root, broker.bootstrap, topic, RECORDS)
      console.error(`${codec}: replica ${tw.seconds.toFixed(2)} s`)
      const pyRate = RECORDS / py.seconds
      const kcRate = RECORDS / kc.seconds
      row(codec, "seed's Python loop (confluent-kafka 1.7, json.loads + 404 rule)", py, pyRate, kcRate)
      row(codec, 'kcat -C \\| grep -c " 404 " (librdkafka 2.0.2)', kc, pyRate, kcRate)
      row(codec, 'Tidewatch replica process (examples/logs-handler)', tw, pyRate, kcRate, `${mib(tw.rssAtFirstCommit)} → ${mib(tw.peakRss)}`)
      notes.push(`- ${codec}, replica: ${formatSummary(tw.profile)}`)
      if (codec === 'none' && process.env.BENCH_TWO !== '0') {
        const two = await replicaProcesses(root, broker.bootstrap, topic, RECORDS, 2)
        row(codec, 'Tidewatch, 2 replica processes (as the autoscaler runs them under a backlog)', two, pyRate, kcRate, `${mib(two.rssAtFirstCommit)} → ${mib(two.peakRss)} (both)`)
        notes.push(`- ${codec}, 2 replicas (first): ${formatSummary(two.profile)}`)
      }
      const m = await probeMemory(broker.bootstrap, topic, RECORDS)
      notes.push(`- ${codec}, memory: one batch in flight holds ${kib(m.meanBatchBytes)} on average (${kib(m.maxBatchBytes)} at most) of fetched batches and their decompressed records for ${m.meanRecords.toFixed(0)} matching records; fetched ahead of it: ${mib(m.peakBufferedBytes)} at most`)
    }
    console.log('\n| topic | consumer | records/s | matched 404s | cores busy | vs Python | vs kcat\\|grep | replica RSS (first commit → peak) |')
    console.log('|---|---|---:|---:|---:|---:|---:|---|')
    for (const r of rows) console.log(r)
    console.log('\nCPU profile of the replica over the measured window (self time), and the consumer\'s memory:')
    for (const n of notes) console.log(n)
  } finally {
    await broker.stop('SIGTERM')
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch(err => { console.error(err); process.exit(1) })
