// Reading zstd records sections with each decoder zstd.ts chooses from: the WebAssembly decoder
// (zstddec, on Node without node:zlib zstd), fzstd and node:zlib, on frames real tools wrote —
// kcat (librdkafka: no content size in the frame) and the zstd command line (with and without a
// content size and checksum, several frames, a skippable frame) — and on data that must fail:
// the WebAssembly decoder declines it at once, and decompressRecords throws a CompressionError.
// The WebAssembly decoder hands out views of its memory: records a reader keeps survive the
// next decompression.
// (node:zlib reads only a section's first frame and ignores what follows it; no Kafka client
// writes more than one frame per batch, so those cases are checked on the other two decoders.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { decompress as fzstd } from 'fzstd'
import { buildBatch, CompressionError, decompressRecords, encodeRecords, isTransient, readBatchInfo, updateCrc, walkRecords, ATTRIBUTES, BATCH_LENGTH, HEADER_SIZE, LOG_OVERHEAD } from '../src/protocol/record-batch/index.js'
import { readChunk } from '../src/kafka/batch-reader.js'
import { decodeZstdWasm, loadZstdWasm, zstdDecodedBound, MAX_BOUND } from '../src/protocol/record-batch/zstd.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { run, tempDir } from './helpers/processes.js'

const nodeZstd = (zlib as typeof zlib & { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync
const line = (i: number): string => JSON.stringify({ log: `10.0.0.${i % 255} - - "GET /page-${i % 500} HTTP/1.1" ${i % 10 === 3 ? 404 : 200} ${1000 + i}`, kubernetes: { pod_name: `web-${i % 7}`, namespace_name: 'demo' } })

/** `input` through the zstd command line with `args` (stdin to stdout). */
async function zstdCli (input: Buffer, args: string[] = []): Promise<Buffer> {
  const dir = tempDir('tidewatch-zstd-')
  try {
    const file = path.join(dir, 'in')
    fs.writeFileSync(file, input)
    // From a file, zstd writes the content size into the frame; from stdin it cannot.
    const res = await run('sh', ['-c', args.includes('--stdin') ? `zstd -q -c ${args.filter(a => a !== '--stdin').join(' ')} < ${file} > ${file}.zst` : `zstd -q -c ${args.join(' ')} ${file} > ${file}.zst`])
    assert.equal(res.code, 0, res.stderr)
    return fs.readFileSync(`${file}.zst`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Every decoder available on this Node gives `expected` for `frame`; the WebAssembly one did decode it. */
function assertDecodes (frame: Buffer, expected: Buffer, what: string, oneFrame = true): void {
  const view = decodeZstdWasm(frame)
  assert.ok(view !== null, `${what}: the WebAssembly decoder declined it`)
  assert.ok(isTransient(view), `${what}: a view of the decoder's memory`)
  assert.ok(view.equals(expected), `${what}: WebAssembly output differs`)
  assert.ok(Buffer.from(fzstd(frame)).equals(expected), `${what}: fzstd output differs`)
  if (nodeZstd !== undefined && oneFrame) assert.ok(nodeZstd(frame).equals(expected), `${what}: node:zlib output differs`)
  if (nodeZstd === undefined || oneFrame) assert.ok(decompressRecords(4, frame).equals(expected), `${what}: decompressRecords output differs`)
  assert.ok(zstdDecodedBound(frame) >= expected.length, `${what}: bound below the decoded size`)
}

test('zstd batches written by kcat (librdkafka, frames without a content size) decode the same with the WebAssembly decoder, fzstd and node:zlib', async () => {
  assert.equal(await loadZstdWasm(), true)
  const broker = await startTempBroker()
  try {
    const lines = Array.from({ length: 20_000 }, (_, i) => line(i))
    const res = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'zstd', '-p', '0', '-z', 'zstd'], { input: lines.join('\n') + '\n' })
    assert.equal(res.code, 0, res.stderr)
    const log = broker.core.logs.getTopic('zstd')!.partitions[0]
    const stored = log.read(0, 64 << 20).records!
    const values: string[] = []
    let frames = 0
    for (let pos = 0; pos < stored.length; pos += stored.readInt32BE(pos + 8) + 12) {
      const info = readBatchInfo(stored, pos)
      if (info.compression === 0) {
        // librdkafka sends a batch uncompressed when zstd would make it larger, which a batch
        // closed after a line or two (a loaded machine) can be: its records still count.
        const plain = stored.subarray(pos + HEADER_SIZE, pos + info.size)
        walkRecords(plain, info.recordsCount, r => { values.push(plain.toString('utf8', r.valueStart, r.valueEnd)) })
        continue
      }
      assert.equal(info.compression, 4, 'kcat wrote zstd or nothing')
      const frame = stored.subarray(pos + HEADER_SIZE, pos + info.size)
      assert.equal(frame[4] >> 6, 0, 'no Frame_Content_Size in the frame')
      const view = decodeZstdWasm(frame)
      assert.ok(view !== null, 'the WebAssembly decoder declined a kcat batch')
      const section = Buffer.from(view)
      assertDecodes(frame, section, `kcat batch ${frames++}`)
      walkRecords(section, info.recordsCount, r => { values.push(section.toString('utf8', r.valueStart, r.valueEnd)) })
    }
    assert.ok(frames > 1, `several zstd batches (${frames})`)
    assert.deepEqual(values, lines)
  } finally {
    await broker.close()
  }
})

test('zstd frames from the zstd command line (content size or not, checksum or not, levels, small blocks, several frames and a skippable frame) decode with the WebAssembly decoder', async () => {
  assert.equal(await loadZstdWasm(), true)
  const { section } = encodeRecords(Array.from({ length: 3000 }, (_, i) => ({ value: Buffer.from(line(i)), timestamp: 1_700_000_000_000 + i })), 0)
  for (const args of [[], ['--stdin'], ['--stdin', '--no-check'], ['-19'], ['-1', '--stdin'], ['--stdin', '-B4096'], ['--no-content-size']]) {
    assertDecodes(await zstdCli(section, args), section, `zstd ${args.join(' ')}`)
  }
  const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3])
  const frames = Buffer.concat([await zstdCli(section.subarray(0, 100_000), ['--stdin']), skippable, await zstdCli(section.subarray(100_000))])
  assertDecodes(frames, section, 'two frames and a skippable frame', false)
  assertDecodes(await zstdCli(Buffer.from('one record')), Buffer.from('one record'), 'a single-segment frame')
})

test('corrupt and truncated zstd data: the WebAssembly decoder declines it at once and decompressRecords throws a CompressionError naming zstd', async () => {
  assert.equal(await loadZstdWasm(), true)
  const { section } = encodeRecords(Array.from({ length: 2000 }, (_, i) => ({ value: Buffer.from(line(i)), timestamp: 0 })), 0)
  const good = await zstdCli(section, ['--stdin'])
  const flipped = Buffer.from(good)
  for (let i = 100; i < 200; i++) flipped[i] ^= 0x5a
  const cases: [string, Buffer][] = [
    ['bytes flipped inside a block', flipped],
    ['truncated', good.subarray(0, good.length - 10)],
    ['not zstd at all', Buffer.from('{"log":"plain text, not a zstd frame"}')]
  ]
  for (const [what, data] of cases) {
    assert.equal(decodeZstdWasm(data), null, what)
    assert.throws(() => decompressRecords(4, data), (err: Error) => err instanceof CompressionError && /cannot decompress zstd records/.test(err.message), what)
  }
  const trailing = Buffer.concat([good, Buffer.from('garbage!')])
  assert.equal(decodeZstdWasm(trailing), null, 'a frame followed by garbage')
  assert.throws(() => fzstd(trailing), 'a frame followed by garbage')
})

test('a zstd section whose decoded size may exceed MAX_BOUND is decoded by the fallback (fzstd, or node:zlib in its own chunks), not in WebAssembly memory', async () => {
  assert.equal(await loadZstdWasm(), true)
  const big = Buffer.alloc(MAX_BOUND + 1024 * 1024, 'x')
  const frame = await zstdCli(big, ['--stdin'])
  assert.ok(zstdDecodedBound(frame) > MAX_BOUND)
  assert.equal(decodeZstdWasm(frame), null)
  assert.ok(decompressRecords(4, frame).equals(big))
})

/** A RecordBatch of `values` whose records section is a zstd frame from the zstd command line (Node 20 cannot write zstd). */
async function zstdBatch (values: string[], baseOffset: number): Promise<Buffer> {
  const plain = buildBatch(values.map(value => ({ key: `k-${value}`, value })), { baseOffset })
  const frame = await zstdCli(plain.subarray(HEADER_SIZE), ['--stdin'])
  const batch = Buffer.concat([plain.subarray(0, HEADER_SIZE), frame])
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH)
  batch.writeInt16BE(plain.readInt16BE(ATTRIBUTES) | 4, ATTRIBUTES)
  updateCrc(batch, 0, batch.length)
  return batch
}

test('records read from zstd batches keep their bytes after later batches are decompressed (the WebAssembly decoder hands out views of its memory), whether a few or most of a batch are kept', async () => {
  assert.equal(await loadZstdWasm(), true)
  const values = (tag: string): string[] => Array.from({ length: 400 }, (_, i) => `${tag}-${i}-${i % 20 === 0 ? 'keep' : 'pass'}-${'y'.repeat(i % 60)}`)
  const tags = ['a', 'b', 'c', 'd']
  const batches = await Promise.all(tags.map(async (tag, i) => await zstdBatch(values(tag), i * 400)))
  for (const b of batches) assert.equal(readBatchInfo(b, 0).compression, 4)
  // Few kept (a needle in 1 of 20): copied one by one. All kept: the section copied once.
  const few = batches.map(b => readChunk('t', 0, 0, b, [Buffer.from('keep')]))
  const all = batches.map(b => readChunk('t', 0, 0, b))
  // Decompressing more batches reuses the decoder's output area: nothing read above may change.
  for (const b of batches) readChunk('t', 0, 0, b)
  tags.forEach((tag, i) => {
    const expected = values(tag)
    assert.equal(few[i].unreadable, null)
    assert.deepEqual(few[i].records.map(r => r.value?.toString()), expected.filter(v => v.includes('keep')), `batch ${tag}`)
    assert.deepEqual(few[i].records.map(r => r.key?.toString()), expected.filter(v => v.includes('keep')).map(v => `k-${v}`))
    assert.deepEqual(all[i].records.map(r => r.value?.toString()), expected)
    assert.deepEqual(all[i].records.map(r => r.key?.toString()), expected.map(v => `k-${v}`))
    for (const r of all[i].records) assert.equal(isTransient(r.value!), false, 'a kept record is not a view')
  })
  // decompressRecords always hands back bytes of its own, which the next call leaves alone.
  const owned = decompressRecords(4, batches[0].subarray(HEADER_SIZE))
  assert.equal(isTransient(owned), false)
  const copy = Buffer.from(owned)
  decodeZstdWasm(batches[1].subarray(HEADER_SIZE))
  assert.ok(owned.equals(copy))
})
