// Batches a replica's Kafka client cannot decode, end to end under `tidewatch run`: zstd batches
// from kcat (Node 20's zlib has no zstd), and deliberately corrupt batches — placed in the log
// while the broker is stopped, since it refuses them on produce — which must go to the
// dead-letter topic with the reason while the records around them still alert.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { appendToStoppedLog } from './helpers/log-files.js'
import { buildBatch, forEachBatch, readBatchInfo, updateCrc, ATTRIBUTES, HEADER_SIZE } from '../src/protocol/record-batch/index.js'
import { Alertmanager } from './helpers/alertmanager.js'
import { CLI, run, tempDir } from './helpers/processes.js'
import { RunningFunction } from './helpers/tidewatch-run.js'
import { waitFor } from './helpers/wait.js'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'logs-handler')
const the404 = fs.readFileSync(path.join(example, 'sample.log'), 'utf8').split('\n')[0]
const lineFor = (p: string): string => the404.replace('/notfound', p)

/** The logs-handler example, with its handler found from a copy of its Function file. */
function writeFunction (dir: string): string {
  const file = path.join(dir, 'function.yaml')
  fs.writeFileSync(file, fs.readFileSync(path.join(example, 'function.yaml'), 'utf8').replace('handler: ./handler.ts', `handler: ${path.join(example, 'handler.ts')}`))
  return file
}

async function kcatProduce (bootstrap: string, lines: string[], args: string[]): Promise<void> {
  const r = await run('kcat', ['-b', bootstrap, '-P', '-t', 'logs', ...args], { input: lines.join('\n') + '\n' })
  assert.equal(r.code, 0, r.stderr)
}

async function alertPaths (am: Alertmanager): Promise<Set<string>> {
  return new Set((await am.alerts()).map(a => a.labels.path))
}

/** Codecs of the batches stored for one partition of `logs` by the embedded broker. */
function storedCodecs (dataDir: string, partition: number): number[] {
  const dir = path.join(dataDir, 'broker', 'topics', 'logs', String(partition))
  const codecs: number[] = []
  for (const f of fs.readdirSync(dir).filter(n => n.endsWith('.log'))) forEachBatch(fs.readFileSync(path.join(dir, f)), b => codecs.push(readBatchInfo(b, 0).compression))
  return codecs
}

test('404s produced by kcat with -z zstd reach the function and every one alerts (zstd is decoded on Node 20 too)', async () => {
  const dir = tempDir()
  const am = await Alertmanager.start()
  const tw = await RunningFunction.start(writeFunction(dir), path.join(dir, 'data'), [], { ALERTMANAGER_URL: am.url })
  try {
    const paths = Array.from({ length: 40 }, (_, i) => `/zstd-${i}`)
    // One partition and similar lines, so librdkafka's batch compresses (it sends small ones raw).
    await kcatProduce(tw.bootstrap, paths.map(lineFor), ['-p', '0', '-z', 'zstd'])
    assert.ok(storedCodecs(path.join(dir, 'data'), 0).includes(4), 'kcat wrote a zstd batch')
    await waitFor(async () => (await alertPaths(am)).size === paths.length, { what: 'an alert for every zstd record', timeoutMs: 60_000 })
    assert.deepEqual(await alertPaths(am), new Set(paths))
    await waitFor(async () => (await tw.status()).lag.total === 0, { what: 'lag to drain', timeoutMs: 30_000 })
    const status = await tw.status()
    assert.equal(status.deadLetters, 0)
    assert.equal(status.lastError, null)
  } finally {
    await tw.proc.stop('SIGTERM')
    await am.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

/** A gzip batch of 404 lines whose compressed bytes are damaged, its CRC fixed to match. */
function corruptGzipBatch (paths: string[]): Buffer {
  const batch = buildBatch(paths.map(p => ({ value: lineFor(p) })), { compression: 1 })
  for (let i = HEADER_SIZE + 20; i < batch.length - 8; i += 7) batch[i] ^= 0x5a
  updateCrc(batch, 0, batch.length)
  return batch
}

/** A well-formed batch claiming codec 7, which Kafka does not define. */
function unknownCodecBatch (paths: string[]): Buffer {
  const batch = buildBatch(paths.map(p => ({ value: lineFor(p) })))
  batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES) | 0x07, ATTRIBUTES)
  updateCrc(batch, 0, batch.length)
  return batch
}

interface DeadLetter { headers: Record<string, string>, value: Buffer }

/** The dead-letter topic read with kcat: headers from -J, each value's exact bytes from -f %s. */
function readDeadLetters (bootstrap: string): DeadLetter[] {
  const json = spawnSync('kcat', ['-b', bootstrap, '-C', '-t', 'logs-handler.dlq', '-e', '-q', '-J'], { encoding: 'utf8' })
  const entries = json.stdout.trim().split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { offset: number, headers: string[] })
  return entries.map(e => {
    const raw = spawnSync('kcat', ['-b', bootstrap, '-C', '-t', 'logs-handler.dlq', '-p', '0', '-o', String(e.offset), '-c', '1', '-e', '-q', '-f', '%s'])
    const headers = Object.fromEntries(Array.from({ length: e.headers.length / 2 }, (_, i) => [e.headers[2 * i], e.headers[2 * i + 1]]))
    return { headers, value: raw.stdout }
  })
}

test('a corrupt gzip batch and a batch of unknown codec become dead letters with their reason; the good records around them alert, status shows them and lag drains to 0', async () => {
  const dir = tempDir()
  const am = await Alertmanager.start()
  const file = writeFunction(dir)
  const args = ['--replicas', '1', '--partitions', '1']
  const good = (from: number): string[] => Array.from({ length: 5 }, (_, i) => `/good-${from + i}`)
  const first = await RunningFunction.start(file, path.join(dir, 'data'), args, { ALERTMANAGER_URL: am.url })
  try {
    await waitFor(async () => (await first.status()).replicas.ready === 1, { what: 'the replica to join', timeoutMs: 60_000 })
    await kcatProduce(first.bootstrap, good(0).map(lineFor), ['-p', '0'])
    await waitFor(async () => (await alertPaths(am)).size === 5, { what: 'alerts for the first 5 records', timeoutMs: 60_000 })
  } finally {
    assert.equal(await first.proc.stop('SIGTERM'), 0)
  }
  // While it is stopped, its log gets two batches no client can read, with good ones around them.
  const log = path.join(dir, 'data', 'broker')
  const gzip = corruptGzipBatch(['/lost-gzip-1', '/lost-gzip-2'])
  const unknown = unknownCodecBatch(['/lost-codec-1'])
  assert.equal(appendToStoppedLog(log, 'logs', 0, gzip), 5)
  appendToStoppedLog(log, 'logs', 0, buildBatch(good(5).map(p => ({ value: lineFor(p) }))))
  assert.equal(appendToStoppedLog(log, 'logs', 0, unknown), 12)
  appendToStoppedLog(log, 'logs', 0, buildBatch(good(10).map(p => ({ value: lineFor(p) }))))
  const tw = await RunningFunction.start(file, path.join(dir, 'data'), args, { ALERTMANAGER_URL: am.url })
  try {
    const expected = new Set([...good(0), ...good(5), ...good(10)])
    await waitFor(async () => (await alertPaths(am)).size === expected.size, { what: 'alerts for the 15 good records', timeoutMs: 90_000 })
    assert.deepEqual(await alertPaths(am), expected, 'nothing of the bad batches alerted')

    const dead = await waitFor(() => { const d = readDeadLetters(tw.bootstrap); return d.length === 2 ? d : null }, { what: 'two dead letters', timeoutMs: 30_000 })
    const [first, second] = dead
    assert.match(first.headers['tidewatch.error'], /cannot decompress gzip records/)
    assert.match(first.headers['tidewatch.source'], /^logs\/0\/5-6$/)
    assert.equal(first.headers['tidewatch.kind'], 'undecodable-batch')
    assert.ok(first.value.subarray(ATTRIBUTES).equals(gzip.subarray(ATTRIBUTES)), 'the dead letter is the batch as it was produced')
    assert.match(second.headers['tidewatch.error'], /unknown compression codec 7/)
    assert.match(second.headers['tidewatch.source'], /^logs\/0\/12-12$/)
    assert.ok(second.value.subarray(ATTRIBUTES).equals(unknown.subarray(ATTRIBUTES)))

    // Replicas report their counters every second, and lag is read every second: wait for both.
    const status = await waitFor(async () => {
      const s = await tw.status()
      return s.lag.total === 0 && s.undecodableBatches === 2 && s.deadLetters === 2 ? s : null
    }, { what: 'lag to drain to 0 and status to count both dead batches', timeoutMs: 30_000 })
    assert.match(status.lastError?.message ?? '', /undecodable batch logs\/0\/12-12: unknown compression codec 7/)
    assert.equal(status.replicas.ready, 1)
    assert.deepEqual((await tw.events()).filter(e => e.type === 'replica-exit'), [], 'the replica carried on; it did not have to be restarted')
    const table = await run(process.execPath, [CLI, 'status', '--url', tw.api])
    assert.equal(table.code, 0, table.stderr)
    const header = table.stdout.split('\n')[0].split(/\s{2,}/)
    const row = table.stdout.split('\n')[1].split(/\s{2,}/)
    assert.equal(row[header.indexOf('DLQ')], '2', table.stdout)
    assert.equal(row[header.indexOf('LAG')], '0', table.stdout)
  } finally {
    await tw.proc.stop('SIGTERM')
    await am.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
