// npm run bench:decoders — how fast each decoder the consumer can use reads one typical
// RecordBatch records section (2,000 Fluent-Bit-shaped records, ~900 KB, as the
// bench:functions topics store them): decoded MB per CPU second, on this Node. zstd frames are
// written as librdkafka writes them (level 3, no content size, no checksum: the zstd command
// line from stdin with --no-check), lz4 and snappy as @platformatic/kafka's producer does.
// Not a test: it prints figures.
import zlib from 'node:zlib'
import { execFileSync } from 'node:child_process'
import { decompress as fzstd } from 'fzstd'
import { ZSTDDecoder } from 'zstddec'
import { compressionsAlgorithms } from '@platformatic/kafka'
import { encodeRecords } from '../src/protocol/record-batch/index.js'
import { decodeZstdWasm, loadZstdWasm, zstdDecodedBound } from '../src/protocol/record-batch/zstd.js'
import { lz4DecompressView, snappyDecompressView } from '../src/protocol/record-batch/wasm-codecs.js'
import { fluentBitRecord } from './log-records.js'

const RECORDS = 2000
const ROUNDS = 5
const ROUND_MS = 600

/** CPU microseconds per call of `fn` (the median of ROUNDS rounds), after a warm-up. */
function cpuPerCall (fn: () => unknown): number {
  const started = performance.now()
  while (performance.now() - started < 200) fn()
  const rounds: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    let n = 0
    while (performance.now() - t0 < ROUND_MS) { fn(); n++ }
    const cpu = process.cpuUsage(cpu0)
    rounds.push((cpu.user + cpu.system) / n)
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]
}

async function main (): Promise<void> {
  // One partition's share of the topic (bench:functions spreads records over 10 partitions).
  const records = Array.from({ length: RECORDS }, (_, k) => ({ value: Buffer.from(fluentBitRecord(k * 10 + (k % 10))), timestamp: 1732252800000 + k }))
  const { section } = encodeRecords(records, 0)
  const zstdFrame = execFileSync('zstd', ['-q', '-c', '--no-check', '-3'], { input: section })
  const lz4Frame = compressionsAlgorithms.lz4.compressSync(section) as Buffer
  const snappyBlock = compressionsAlgorithms.snappy.compressSync(section) as Buffer
  const gzipped = zlib.gzipSync(section)
  await loadZstdWasm()
  const zstddec = new ZSTDDecoder()
  await zstddec.init()
  const nodeZstd = (zlib as typeof zlib & { zstdDecompressSync?: (b: Buffer, o?: zlib.ZlibOptions) => Buffer }).zstdDecompressSync
  const bound = zstdDecodedBound(zstdFrame)
  const rows: [string, number, () => Uint8Array | null][] = [
    ['zstd: node:zlib (Node 22.15+), 16 KiB output chunks', zstdFrame.length, () => nodeZstd === undefined ? null : nodeZstd(zstdFrame)],
    ['zstd: node:zlib, one output chunk of the frames\' bound', zstdFrame.length, () => nodeZstd === undefined ? null : nodeZstd(zstdFrame, { chunkSize: bound })],
    ['zstd: zstddec\'s decode() (WebAssembly libzstd; areas malloc\'d per call, output copied)', zstdFrame.length, () => zstddec.decode(zstdFrame, bound)],
    ['zstd: the same module, areas kept, output read in place (zstd.ts; what the consumer uses)', zstdFrame.length, () => decodeZstdWasm(zstdFrame)],
    ['zstd: fzstd (JavaScript)', zstdFrame.length, () => fzstd(zstdFrame)],
    ['lz4 frame: @platformatic/wasm-utils\' functions (WebAssembly lz4_flex; output copied to a new Buffer)', lz4Frame.length, () => compressionsAlgorithms.lz4.decompressSync(lz4Frame) as Buffer],
    ['lz4 frame: the same module, output read in place (wasm-codecs.ts; what the consumer uses)', lz4Frame.length, () => lz4DecompressView(lz4Frame)],
    ['snappy: @platformatic/wasm-utils\' functions (WebAssembly; output copied)', snappyBlock.length, () => compressionsAlgorithms.snappy.decompressSync(snappyBlock) as Buffer],
    ['snappy: the same module, output read in place (wasm-codecs.ts)', snappyBlock.length, () => snappyDecompressView(snappyBlock)],
    ['gzip: node:zlib', gzipped.length, () => zlib.gunzipSync(gzipped)],
    ['(a copy of the section: Buffer.from)', section.length, () => Buffer.from(section)]
  ]
  console.log(`${process.version}: a records section of ${RECORDS} records, ${(section.length / 1000).toFixed(0)} KB\n`)
  console.log('| decoder | compressed | µs CPU per section | MB/s per CPU second |')
  console.log('|---|---:|---:|---:|')
  for (const [name, compressed, decode] of rows) {
    const out = decode()
    if (out === null) { console.log(`| ${name} | — | not on this Node | |`); continue }
    if (!Buffer.from(out.buffer, out.byteOffset, out.byteLength).equals(section)) throw new Error(`${name}: wrong output`)
    const us = cpuPerCall(decode)
    console.log(`| ${name} | ${(compressed / 1000).toFixed(1)} KB | ${us.toFixed(0)} | ${(section.length / us).toFixed(0)} |`)
  }
}

main().catch(err => { console.error(err); process.exit(1) })
