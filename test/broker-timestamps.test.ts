// Batches whose header says MaxTimestamp -1 (sarama 1.22 sends them so) or anything else that
// disagrees with their records: the broker recomputes the max timestamp from the records, as
// Kafka's LogValidator does, so ListOffsets by time finds them and retention keeps them for
// retention.ms. Raw Produce requests, so the header is exactly what a bad producer sends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTempBroker } from './helpers/temp-broker.js'
import { RawClient } from './helpers/raw-client.js'
import { buildBatch, batchProblem, readBatchInfo, updateCrc, HEADER_SIZE } from '../src/protocol/record-batch/index.js'
import { ErrorCode } from '../src/protocol/error-codes.js'
import { waitFor } from './helpers/wait.js'

const TOPIC = 'ts'
const HOUR = 3600_000
const PAD = 'p'.repeat(700)

async function produce (c: RawClient, records: Buffer): Promise<{ errorCode: number, baseOffset: number }> {
  const res = await c.request(0, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] })
  return res.responses[0].partitionResponses[0]
}

async function listOffset (c: RawClient, timestamp: number): Promise<{ offset: number, timestamp: number }> {
  const res = await c.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })
  return res.topics[0].partitions[0]
}

test('batches with MaxTimestamp -1 (uncompressed, gzip, lz4) are found by time and kept by retention; their headers are corrected', async () => {
  const broker = await startTempBroker({ retentionCheckIntervalMs: 50 })
  const c = await RawClient.connect(broker.port)
  try {
    const created = await c.request(19, 5, {
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: String(HOUR) }, { name: 'segment.bytes', value: '1024' }] }],
      timeoutMs: 1000,
      validateOnly: false
    })
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE)
    const now = Date.now()
    // An honest old batch first: retention deleting it shows a retention pass ran.
    assert.equal((await produce(c, buildBatch([{ value: `old-${PAD}`, timestamp: now - 2 * HOUR }]))).errorCode, ErrorCode.NONE)
    const fresh: { codec: number, ts: number }[] = []
    for (const codec of [0, 1, 3, 0, 1, 3]) {
      const ts = now + fresh.length * 10
      const batch = buildBatch([0, 1, 2].map(i => ({ value: `fresh-${codec}-${i}-${PAD}`, timestamp: ts + i })), { compression: codec, maxTimestampOverride: -1 })
      assert.equal(readBatchInfo(batch, 0).maxTimestamp, -1)
      const r = await produce(c, batch)
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.equal(r.baseOffset, 1 + fresh.length * 3)
      fresh.push({ codec, ts })
    }

    // ListOffsets by time: the first fresh batch, then each later one.
    assert.equal((await listOffset(c, now - HOUR)).offset, 1)
    for (let i = 0; i < fresh.length; i++) {
      const found = await listOffset(c, fresh[i].ts)
      assert.equal(found.offset, 1 + i * 3, `batch ${i} (codec ${fresh[i].codec}) is found by its time`)
    }
    assert.equal((await listOffset(c, -3)).offset, 1 + (fresh.length - 1) * 3, 'max timestamp offset')

    // Retention drops the old segment and keeps every fresh one.
    await waitFor(async () => (await listOffset(c, -2)).offset === 1, { what: 'retention to delete the old segment' })
    const log = broker.core.logs.getTopic(TOPIC)!.partitions[0]
    assert.equal(log.logStartOffset, 1)
    assert.equal(log.logEndOffset, 1 + fresh.length * 3)

    // Stored headers carry the real max timestamp and a valid CRC.
    let offset = 1
    for (let i = 0; i < fresh.length; i++) {
      const stored = log.read(offset, 1).records!
      assert.equal(batchProblem(stored, 0), null)
      const info = readBatchInfo(stored, 0)
      assert.equal(info.maxTimestamp, fresh[i].ts + 2)
      offset += 3
    }
  } finally {
    c.close()
    await broker.close()
  }
})

test('a batch whose records cannot be decoded is refused with CORRUPT_MESSAGE; a record count that disagrees with the header with INVALID_RECORD', async () => {
  const broker = await startTempBroker()
  const c = await RawClient.connect(broker.port)
  try {
    // Damaged compressed data under a valid CRC: only decompressing it shows the problem.
    const gzip = buildBatch([{ value: 'a'.repeat(200) }, { value: 'b'.repeat(200) }], { compression: 1 })
    gzip.fill(0x55, HEADER_SIZE + 10, HEADER_SIZE + 30)
    updateCrc(gzip, 0, gzip.length)
    assert.equal((await produce(c, gzip)).errorCode, ErrorCode.CORRUPT_MESSAGE)
    // A record running past the end of an uncompressed batch.
    const plain = buildBatch([{ value: 'x'.repeat(50) }])
    plain.writeUInt8(0x7e, HEADER_SIZE) // record length varint: 63, longer than the batch
    updateCrc(plain, 0, plain.length)
    assert.equal((await produce(c, plain)).errorCode, ErrorCode.CORRUPT_MESSAGE)
    // Two records but a header saying one.
    const miscounted = buildBatch([{ value: 'x' }, { value: 'y' }])
    miscounted.writeInt32BE(0, 23) // lastOffsetDelta
    updateCrc(miscounted, 0, miscounted.length)
    assert.equal((await produce(c, miscounted)).errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(broker.core.logs.getTopic(TOPIC)!.partitions.reduce((n, p) => n + p.logEndOffset, 0), 0, 'nothing was stored')
    assert.equal((await produce(c, buildBatch([{ value: 'fine' }]))).errorCode, ErrorCode.NONE)
  } finally {
    c.close()
    await broker.close()
  }
})
