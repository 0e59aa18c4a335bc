// npm run bench:rules — records/s of the rules engine's per-record stage (src/rules/record-stage.ts)
// for five rule kinds, next to baselines measured in the same run on the same records: the
// reference 404 function's per-record work in process (its Function file's prefilter, parseData,
// the handler), and JSON.parse of every record. Then the owner stage's apply + evaluate for the
// contributions. Not a test: it prints figures.
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ChunkReader } from '../src/kafka/batch-reader.js'
import type { KafkaRecord } from '../src/kafka/client.js'
import { buildBatch } from '../src/protocol/record-batch/index.js'
import { loadFunctionConfig } from '../src/functions/config/load.js'
import { createContext, Outbox, parseData, prefilter } from '../src/functions/context.js'
import { loadHandler } from '../src/functions/loader.js'
import { silentLogger } from '../src/shared/logger.js'
import { parseRuleFile } from '../src/rules/file.js'
import { OwnerStage } from '../src/rules/owner-stage.js'
import { RecordStage, type Contribution, type SourceRecord } from '../src/rules/record-stage.js'
import { RuleSet } from '../src/rules/rule-set.js'
import { decodePacked, encodePacked, encodeVersion1 } from '../src/rules/runtime/messages.js'
import { stream } from '../test/fixtures/rules/corpus.js'
import { RULES, ruleFile } from './rule-kinds.js'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000)
const ROUNDS = 5
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

const records: SourceRecord[] = stream(RECORDS).map((line, i) => ({ topic: 'logs', partition: i % 4, offset: Math.floor(i / 4), timestamp: 0, value: Buffer.from(line) }))
const mb = records.reduce((n, r) => n + (r.value as Buffer).length, 0) / 1e6

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

/**
 * Best of ROUNDS, in records per second of this process's CPU time (user + system), so that
 * other work on a shared machine slows a round less than it would on the wall clock; `run` goes
 * over every record once.
 */
async function measure (run: () => unknown): Promise<number> {
  let best = 0
  for (let i = 0; i < ROUNDS; i++) {
    const start = cpuMs()
    await run()
    best = Math.max(best, RECORDS / ((cpuMs() - start) / 1000))
  }
  return best
}

async function functionBaseline (): Promise<number> {
  const config = loadFunctionConfig(path.join(root, 'examples', 'logs-handler', 'function.yaml'), {})
  const handler = await loadHandler(config)
  const wanted = prefilter(config.input.prefilter)
  const log = silentLogger()
  return await measure(async () => {
    for (const r of records) {
      const value = r.value as Buffer
      if (!wanted(value)) continue
      const outbox = new Outbox(['notification-manager'])
      const ctx = createContext({ name: 'bench', record: { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: null, headers: {} }, env: {}, log, outbox })
      await handler.handle(ctx, parseData(value))
    }
  })
}

const row = (what: string, rps: number, base: number, extra = ''): string =>
  `| ${what} | ${Math.round(rps).toLocaleString('en-US')} | ${(rps / base).toFixed(2)} |${extra}`

console.log(`${RECORDS.toLocaleString('en-US')} Fluent Bit records (${mb.toFixed(1)} MB; shop cart/web/api and the WordPress pod, 1/4 each), Node ${process.version}, best of ${ROUNDS}, per CPU second, load average ${os.loadavg().map(l => l.toFixed(1)).join(' ')}\n`)
const fn404 = await functionBaseline()
const parseAll = await measure(() => { for (const r of records) JSON.parse((r.value as Buffer).toString('utf8')) })
console.log('| per-record stage | records/s | vs 404 function | contributions |')
console.log('|---|---:|---:|---:|')
console.log(row('baseline: the 404 function in process (prefilter " 404 ", handler)', fn404, fn404, ' |'))
console.log(row('baseline: JSON.parse of every record', parseAll, fn404, ' |'))
let all: Contribution[] = []
for (const [name, expr] of [...RULES, ['all five together', ''] as [string, string]]) {
  const file = parseRuleFile('bench.yaml', ruleFile(expr === '' ? RULES.map(r => r[1]) : [expr]))
  const stage = new RecordStage(file.rules)
  let out: Contribution[] = []
  const rps = await measure(() => { out = []; for (const r of records) for (const c of stage.process(r)) out.push(c) })
  console.log(row(name, rps, fn404, ` ${out.length.toLocaleString('en-US')} |`))
  if (expr === '') all = out
}

// The owner stage: the five rules' contributions applied and evaluated every 1,000 records.
const file = parseRuleFile('bench.yaml', ruleFile(RULES.map(r => r[1])))
const perEval = 1000
const ownerRps = await measure(() => {
  const owner = new OwnerStage(new RuleSet(file.rules))
  for (let i = 0; i < all.length; i += perEval) {
    const batch = all.slice(i, i + perEval)
    owner.apply(batch)
    owner.evaluate(batch[batch.length - 1].ts)
  }
}) * all.length / RECORDS
console.log(`\nowner stage (apply + evaluate every ${perEval} contributions): ${Math.round(ownerRps).toLocaleString('en-US')} contributions/s`)

// The whole path in process, per input batch of BATCH records: record stage, contributions
// packed as the internal topic carries them (version 1: a JSON tuple per contribution; version 2:
// aggregated per series and source partition), read back, applied by the owner and evaluated.
const BATCH = 10_000
async function wholePath (rulesFile: ReturnType<typeof parseRuleFile>, version: 1 | 2): Promise<number> {
  const stage = new RecordStage(rulesFile.rules)
  const set = new RuleSet(rulesFile.rules)
  return await measure(() => {
    const owner = new OwnerStage(set)
    for (let i = 0; i < records.length; i += BATCH) {
      const cs: Contribution[] = []
      for (let j = i; j < Math.min(records.length, i + BATCH); j++) for (const c of stage.process(records[j])) cs.push(c)
      const values = version === 1 ? [encodeVersion1('logs', cs, [])] : encodePacked('logs', cs, []).map(m => m.value)
      let last = -Infinity
      for (const v of values) {
        const p = decodePacked(v)
        owner.apply(p.contributions)
        owner.applyAggregates(p.aggregates)
        for (const a of p.aggregates) last = Math.max(last, a.ts[a.ts.length - 1])
        for (const c of p.contributions) last = Math.max(last, c.ts)
      }
      if (Number.isFinite(last)) owner.evaluate(last)
    }
  })
}
console.log(`\nwhole path in process (record stage, packing, unpacking, owner apply, evaluation per batch of ${BATCH.toLocaleString('en-US')} records)\n`)
console.log('| rules | version 1 (tuple per contribution) records/s | vs 404 | version 2 (aggregates) records/s | vs 404 | v2 / v1 |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const [name, expr] of [...RULES, ['all five together', ''] as [string, string]]) {
  const f = parseRuleFile('bench.yaml', ruleFile(expr === '' ? RULES.map(r => r[1]) : [expr]))
  const v1 = await wholePath(f, 1)
  const v2 = await wholePath(f, 2)
  console.log(`| ${name} | ${Math.round(v1).toLocaleString('en-US')} | ${(v1 / fn404).toFixed(2)} | ${Math.round(v2).toLocaleString('en-US')} | ${(v2 / fn404).toFixed(2)} | ${(v2 / v1).toFixed(2)} |`)
}

// The same, from the bytes as a consumer fetches them: the records in RecordBatches of 500 (the
// size this bench's producer writes), in 1 MiB chunks (a Fetch's share of one partition), read
// by the consumer's reader — with the function's prefilter needles for the function, with the
// rule set's value filter (RecordStage.valueFilter) for the rules — so records a prefilter
// rejects never become objects, as in a replica. The function then runs its handler on each
// record left, the rules the whole path above.
const chunks: Buffer[] = []
{
  let chunk: Buffer[] = []
  let bytes = 0
  for (let i = 0; i < records.length; i += 500) {
    const b = buildBatch(records.slice(i, i + 500).map(r => ({ value: r.value as Buffer, timestamp: 1_700_000_000_000 + i })), { baseOffset: i })
    if (bytes + b.length > 1024 * 1024 && chunk.length > 0) { chunks.push(Buffer.concat(chunk)); chunk = []; bytes = 0 }
    chunk.push(b)
    bytes += b.length
  }
  if (chunk.length > 0) chunks.push(Buffer.concat(chunk))
}
const fromChunks = (needles: Buffer[] | null, filter: ReturnType<RecordStage['valueFilter']>, each: (records: KafkaRecord[]) => void): void => {
  for (const c of chunks) {
    const reader = new ChunkReader('logs', 0, 0, c, needles, null, filter)
    while (!reader.done) each(reader.read(BATCH).records)
  }
}
async function functionFromBytes (): Promise<number> {
  const config = loadFunctionConfig(path.join(root, 'examples', 'logs-handler', 'function.yaml'), {})
  const handler = await loadHandler(config)
  const needles = config.input.prefilter.map(n => Buffer.from(n))
  const log = silentLogger()
  return await measure(async () => {
    const batches: KafkaRecord[][] = []
    fromChunks(needles, null, rs => batches.push(rs))
    for (const batch of batches) {
      for (const r of batch) {
        const outbox = new Outbox(['notification-manager'])
        const ctx = createContext({ name: 'bench', record: { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: null, headers: {} }, env: {}, log, outbox })
        await handler.handle(ctx, parseData(r.value))
      }
    }
  })
}
async function rulesFromBytes (rulesFile: ReturnType<typeof parseRuleFile>): Promise<number> {
  const stage = new RecordStage(rulesFile.rules)
  const set = new RuleSet(rulesFile.rules)
  const filter = stage.valueFilter()
  return await measure(() => {
    const owner = new OwnerStage(set)
    fromChunks(null, filter, batch => {
      const cs: Contribution[] = []
      for (const r of batch) for (const c of stage.process(r)) cs.push(c)
      let last = -Infinity
      for (const m of encodePacked('logs', cs, [])) {
        const p = decodePacked(m.value)
        owner.applyAggregates(p.aggregates)
        owner.apply(p.contributions)
        for (const a of p.aggregates) last = Math.max(last, a.ts[a.ts.length - 1])
        for (const c of p.contributions) last = Math.max(last, c.ts)
      }
      if (Number.isFinite(last)) owner.evaluate(last)
    })
  })
}
const fnBytes = await functionFromBytes()
console.log(`\nfrom the bytes through the consumer's reader (batches of 500 records, 1 MiB chunks), then the whole path; per CPU second, best of ${ROUNDS}\n`)
console.log('| workload | records/s | vs 404 function |')
console.log('|---|---:|---:|')
console.log(row('baseline: the 404 function (reader with its needles, handler)', fnBytes, fnBytes))
for (const [name, expr] of [...RULES, ['all five together', ''] as [string, string]]) {
  console.log(row(name, await rulesFromBytes(parseRuleFile('bench.yaml', ruleFile(expr === '' ? RULES.map(r => r[1]) : [expr]))), fnBytes))
}

// Then the same rules through the real runtime (broker, replica processes, internal topics).
if (process.env.BENCH_RUNTIME !== '0') await (await import('./rules-runtime.js')).benchRuntime()
