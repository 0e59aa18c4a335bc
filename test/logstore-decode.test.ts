// Decoding stored RecordBatches without a Kafka client: exact bytes for each codec and edge, then
// batches written by real producers (kafkajs gzip, @platformatic/kafka snappy and lz4) read back
// straight from the partition logs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { crc32c } from '@node-rs/crc32'
import { Kafka, logLevel, CompressionTypes } from 'kafkajs'
import { Producer, compressionsAlgorithms, stringSerializers } from '@platformatic/kafka'
import { buildBatch } from '../src/protocol/record-batch/index.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { decodeBatch, decodeBatches } from '../src/protocol/record-batch/index.js'
import { recordsForward, windowsBackward } from '../src/logstore/partition-reader.js'
import { EmbeddedStore } from '../src/logstore/embedded-store.js'
import type { BrokerCore } from '../src/broker/core.js'
import { run } from './helpers/processes.js'

/** Partition 0 of `topic` as the log store reads it from the embedded broker. */
async function partitionZero (core: BrokerCore, topic: string): Promise<Awaited<ReturnType<EmbeddedStore['topic']>> & object> {
  return (await new EmbeddedStore(core).topic(topic))!
}

async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

const HEADER = 61
const ATTRIBUTES = 21

/** Re-encodes an uncompressed test batch with `codec` applied to its records section. */
function compressBatch (plain: Buffer, codec: number, compress: (b: Buffer) => Buffer, extraAttributes = 0): Buffer {
  const records = compress(plain.subarray(HEADER))
  const out = Buffer.concat([plain.subarray(0, HEADER), records])
  out.writeInt32BE(out.length - 12, 8)
  out.writeInt16BE(codec | extraAttributes, ATTRIBUTES)
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), 17)
  return out
}

const sample = [
  { key: 'k1', value: '{"log":"GET / 200"}', timestamp: 1_700_000_000_000, headers: [['source', 'test']] as [string, string][] },
  { key: null, value: null, timestamp: 1_700_000_000_500 },
  { key: 'k3', value: 'plain text line with ünïcode', timestamp: 1_699_999_999_000 }
]

test('an uncompressed batch decodes to its records: offsets, timestamps (negative deltas too), keys, null values, headers', () => {
  const batch = decodeBatch(buildBatch(sample, { baseOffset: 40 }))
  assert.equal(batch.skipped, undefined)
  assert.equal(batch.baseOffset, 40)
  assert.equal(batch.lastOffset, 42)
  assert.deepEqual(batch.records, [
    { offset: 40, timestamp: 1_700_000_000_000, key: 'k1', value: '{"log":"GET / 200"}', headers: { source: 'test' } },
    { offset: 41, timestamp: 1_700_000_000_500, key: null, value: null, headers: {} },
    { offset: 42, timestamp: 1_699_999_999_000, key: 'k3', value: 'plain text line with ünïcode', headers: {} }
  ])
})

test('gzip, snappy (raw and xerial-framed) and lz4 batches decode to the same records', () => {
  const plain = buildBatch(sample, { baseOffset: 7 })
  const expected = decodeBatch(plain).records
  const xerial = (b: Buffer): Buffer => {
    const block = compressionsAlgorithms.snappy.compressSync(b)
    const head = Buffer.alloc(20)
    Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]).copy(head)
    head.writeInt32BE(1, 8)
    head.writeInt32BE(1, 12)
    head.writeInt32BE(block.length, 16)
    return Buffer.concat([head, block])
  }
  const cases: [string, number, (b: Buffer) => Buffer][] = [
    ['gzip', 1, b => zlib.gzipSync(b)],
    ['snappy', 2, b => compressionsAlgorithms.snappy.compressSync(b)],
    ['snappy (xerial)', 2, xerial],
    ['lz4', 3, b => compressionsAlgorithms.lz4.compressSync(b)]
  ]
  for (const [name, codec, compress] of cases) {
    const decoded = decodeBatch(compressBatch(plain, codec, compress))
    assert.equal(decoded.skipped, undefined, name)
    assert.deepEqual(decoded.records, expected, name)
  }
})

test('LogAppendTime batches give every record the batch max timestamp', () => {
  const plain = buildBatch(sample)
  const decoded = decodeBatch(compressBatch(plain, 0, b => b, 0x08))
  assert.deepEqual(decoded.records.map(r => r.timestamp), [1_700_000_000_500, 1_700_000_000_500, 1_700_000_000_500])
})

test('invalid zstd data, an unknown codec and corrupt records are reported as skipped, not thrown', () => {
  const plain = buildBatch(sample)
  const zstd = decodeBatch(compressBatch(plain, 4, b => b))
  assert.match(zstd.skipped ?? '', /cannot decompress zstd records/)
  assert.deepEqual(zstd.records, [])
  assert.match(decodeBatch(compressBatch(plain, 6, b => b)).skipped ?? '', /unknown compression codec 6/)
  assert.match(decodeBatch(compressBatch(plain, 1, b => b)).skipped ?? '', /cannot decompress/)
  const cut = Buffer.from(plain)
  cut[HEADER] = 0x7e // first record claims a length far beyond the batch
  const partial = decodeBatch(cut)
  assert.match(partial.skipped ?? '', /corrupt record data/)
  assert.equal(decodeBatches(Buffer.concat([plain, plain.subarray(0, 30)])).length, 1, 'a trailing partial batch is not decoded')
})

test('zstd batches produced by kcat (librdkafka) decode on every supported Node, node:zlib zstd or not', async () => {
  const broker = await startTempBroker()
  try {
    // Long enough that even a batch of one record compresses: librdkafka sends a batch that zstd
    // would make larger uncompressed, and under load linger.ms may close a batch after one line.
    const lines = ['one', 'two', 'three'].map(n => JSON.stringify({ log: `zstd ${n} ${'padding '.repeat(40)}` }))
    const res = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'zstd', '-p', '0', '-z', 'zstd', '-X', 'linger.ms=50'], { input: lines.join('\n') + '\n' })
    assert.equal(res.code, 0, res.stderr)
    const log = broker.core.logs.getTopic('zstd')!.partitions[0]
    const stored = log.read(0, 1 << 20).records!
    assert.equal(stored.readInt16BE(ATTRIBUTES) & 7, 4, 'kcat really wrote zstd')
    const [source] = await partitionZero(broker.core, 'zstd')
    assert.deepEqual((await collect(recordsForward(source, 0))).map(r => r.value), lines)
  } finally {
    await broker.close()
  }
})

test('batches produced by kafkajs (gzip) and @platformatic/kafka (snappy, lz4) read back from the partition log in offset order', async () => {
  const broker = await startTempBroker()
  try {
    const kafka = new Kafka({ clientId: 'logstore-decode', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'codecs', numPartitions: 1 }] })
    await admin.disconnect()
    const kp = kafka.producer()
    await kp.connect()
    await kp.send({ topic: 'codecs', compression: CompressionTypes.GZIP, messages: [0, 1, 2].map(i => ({ value: `gzip-${i}`, headers: { n: String(i) } })) })
    await kp.disconnect()
    for (const compression of ['snappy', 'lz4'] as const) {
      const p = new Producer({ clientId: 'logstore-decode', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, compression })
      await p.send({ messages: [0, 1, 2].map(i => ({ topic: 'codecs', partition: 0, key: `k${i}`, value: `${compression}-${i}` })) })
      await p.close()
    }
    const log = broker.core.logs.getTopic('codecs')!.partitions[0]
    const stored = log.read(0, 1 << 20).records!
    const codecs: number[] = []
    for (let pos = 0; pos < stored.length; pos += stored.readInt32BE(pos + 8) + 12) codecs.push(stored.readInt16BE(pos + ATTRIBUTES) & 7)
    assert.deepEqual(codecs, [1, 2, 3], 'the producers really compressed (gzip, snappy, lz4)')
    const [source] = await partitionZero(broker.core, 'codecs')
    const all = await collect(recordsForward(source, 0))
    assert.deepEqual(all.map(r => r.value), ['gzip-0', 'gzip-1', 'gzip-2', 'snappy-0', 'snappy-1', 'snappy-2', 'lz4-0', 'lz4-1', 'lz4-2'])
    assert.deepEqual(all.map(r => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert.deepEqual(all[1].headers, { n: '1' })
    assert.equal(all[4].key, 'k1')
    // Newest first, in small windows that straddle batch boundaries: every record exactly once.
    const backwards = (await collect(windowsBackward(source, 0, log.logEndOffset, { windowOffsets: 2 }))).flatMap(w => w.records.map(r => r.offset))
    assert.deepEqual(backwards, [8, 7, 6, 5, 4, 3, 2, 1, 0])
    assert.deepEqual((await collect(recordsForward(source, 4, 7))).map(r => r.offset), [4, 5, 6])
  } finally {
    await broker.close()
  }
})
