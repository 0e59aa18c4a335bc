import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PartitionLog } from './partition-log.js'
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { buildBatch, decodeBatches } from '../../protocol/record-batch/index.js'

/** The values of every record in `buf` (whole batches), as text. */
const batchValues = (buf: Buffer): string[] => decodeBatches(buf).flatMap(b => b.records.map(r => r.value ?? ''))
import { silentLogger } from '../../shared/logger.js'
import { ManualClock } from '../../shared/clock.js'

function withLog (config: Partial<LogConfig>, fn: (open: () => PartitionLog, dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-log-'))
  const open = (): PartitionLog => PartitionLog.open(dir, { ...DEFAULT_LOG_CONFIG, ...config }, silentLogger(), new ManualClock())
  try { fn(open, dir) } finally { fs.rmSync(dir, { recursive: true, force: true }) }
}

const batchOf = (prefix: string, n: number, ts = 1000, opts = {}): Buffer =>
  buildBatch(Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}`, timestamp: ts + i })), opts)

function readAll (log: PartitionLog, from = log.logStartOffset): string[] {
  const out: string[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 20)
    assert.equal(r.errorCode, ErrorCode.NONE)
    const values = batchValues(r.records!)
    assert.ok(values.length > 0)
    // Whole batches come back; skip records before the requested offset like a client does.
    const first = Number(r.records!.readBigInt64BE(0))
    out.push(...values.slice(offset - first))
    offset = first + values.length
  }
  return out
}

test('appends get consecutive offsets and read back as sent, across segment rolls', () => {
  withLog({ segmentBytes: 2048 }, open => {
    const log = open()
    const sent: string[] = []
    for (let b = 0; b < 40; b++) {
      const r = log.append(batchOf(`b${b}-`, 5), 0)
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.equal(r.baseOffset, b * 5)
      sent.push(...Array.from({ length: 5 }, (_, i) => `b${b}-${i}`))
    }
    assert.equal(log.logEndOffset, 200)
    assert.ok(fs.readdirSync(log.dir).filter(f => f.endsWith('.log')).length >= 2, 'several segments')
    assert.deepEqual(readAll(log), sent)
    assert.deepEqual(readAll(log, 123), sent.slice(123), 'reading from the middle of a batch')
    log.close()
    const reopened = open()
    assert.equal(reopened.logEndOffset, 200)
    assert.deepEqual(readAll(reopened), sent)
    reopened.close()
  })
})

test('a batch larger than maxBytes is still returned whole (KIP-74); out-of-range offsets are refused', () => {
  withLog({}, open => {
    const log = open()
    log.append(batchOf('big', 100), 0)
    const r = log.read(0, 10)
    assert.equal(batchValues(r.records!).length, 100)
    assert.equal(log.read(100, 1000).records, null, 'at the end: empty')
    assert.equal(log.read(101, 1000).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
    log.close()
  })
})

test('corrupt batches are refused with CORRUPT_MESSAGE and nothing is stored; too large ones with MESSAGE_TOO_LARGE', () => {
  withLog({ maxMessageBytes: 4096 }, open => {
    const log = open()
    const bad = batchOf('x', 3)
    bad[bad.length - 1] ^= 0xff
    assert.equal(log.append(bad, 0).errorCode, ErrorCode.CORRUPT_MESSAGE)
    const wrongMagic = batchOf('x', 3)
    wrongMagic[16] = 1
    assert.equal(log.append(wrongMagic, 0).errorCode, ErrorCode.CORRUPT_MESSAGE)
    assert.equal(log.append(batchOf('x', 3).subarray(0, 40), 0).errorCode, ErrorCode.CORRUPT_MESSAGE)
    assert.equal(log.append(batchOf('y'.repeat(100), 100), 0).errorCode, ErrorCode.MESSAGE_TOO_LARGE)
    assert.equal(log.logEndOffset, 0)
    log.close()
  })
})

test('a torn tail is cut on open; earlier data is served and new appends continue at the right offset', () => {
  withLog({}, (open, dir) => {
    const log = open()
    log.append(batchOf('a', 10), 0)
    log.append(batchOf('b', 10), 0)
    log.close()
    const file = path.join(dir, fs.readdirSync(dir).find(f => f.endsWith('.log'))!)
    const valid = fs.statSync(file).size
    fs.appendFileSync(file, batchOf('torn', 10).subarray(0, 50))
    const reopened = open()
    assert.equal(fs.statSync(file).size, valid)
    assert.equal(reopened.logEndOffset, 20)
    assert.equal(reopened.append(batchOf('c', 1), 0).baseOffset, 20)
    assert.deepEqual(readAll(reopened).slice(-2), ['b9', 'c0'])
    reopened.close()
  })
})

test('missing index files are rebuilt', () => {
  withLog({ segmentBytes: 1024, indexIntervalBytes: 100 }, (open, dir) => {
    const log = open()
    for (let b = 0; b < 20; b++) log.append(batchOf(`b${b}-`, 3), 0)
    const before = readAll(log)
    log.close()
    for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.index') || f.endsWith('.timeindex'))) fs.rmSync(path.join(dir, f))
    const reopened = open()
    assert.deepEqual(readAll(reopened), before)
    assert.deepEqual(readAll(reopened, 31), before.slice(31))
    reopened.close()
  })
})

test('offsets by timestamp are exact for uncompressed batches', () => {
  withLog({ segmentBytes: 1024 }, open => {
    const log = open()
    for (let b = 0; b < 10; b++) log.append(batchOf(`t${b}-`, 10, 10_000 + b * 100), 0)
    assert.deepEqual(log.offsetForTimestamp(0), { offset: 0, timestamp: 10_000 })
    assert.deepEqual(log.offsetForTimestamp(10_305), { offset: 35, timestamp: 10_305 })
    assert.deepEqual(log.offsetForTimestamp(10_950), null)
    assert.equal(log.maxTimestampOffset()?.timestamp, 10_909)
    log.close()
  })
})

test('retention deletes old segments by time and by size, moving the log start offset', () => {
  withLog({ segmentBytes: 1024, retentionMs: 1000 }, open => {
    const log = open()
    for (let b = 0; b < 10; b++) log.append(batchOf(`r${b}-`, 10, 5000 + b * 1000), 0)
    const segments = (): number => fs.readdirSync(log.dir).filter(f => f.endsWith('.log')).length
    const before = segments()
    log.applyRetention(5000 + 10 * 1000)
    assert.ok(segments() < before)
    assert.ok(log.logStartOffset > 0)
    assert.equal(log.read(0, 100).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
    assert.equal(readAll(log).at(-1), 'r9-9', 'recent data kept')
    log.close()
  })
  withLog({ segmentBytes: 1024, retentionMs: -1, retentionBytes: 2048 }, open => {
    const log = open()
    for (let b = 0; b < 20; b++) log.append(batchOf(`s${b}-`, 10), 0)
    log.applyRetention(Date.now())
    assert.ok(log.sizeBytes <= 2048 + 1024)
    log.close()
  })
})

test('DeleteRecords raises the log start offset, and it survives a restart', () => {
  withLog({ segmentBytes: 1024 }, open => {
    const log = open()
    for (let b = 0; b < 10; b++) log.append(batchOf(`d${b}-`, 10), 0)
    assert.equal(log.deleteRecordsBefore(42), 42)
    assert.equal(log.read(41, 100).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE)
    assert.equal(readAll(log)[0], 'd4-2')
    log.close()
    assert.equal(open().logStartOffset, 42)
  })
})

test('an idempotent producer\'s retried batch is stored once and answered with its original offset', () => {
  withLog({}, open => {
    const log = open()
    const first = batchOf('p', 5, 1000, { producerId: 7, producerEpoch: 0, baseSequence: 0 })
    assert.equal(log.append(Buffer.from(first), 0).baseOffset, 0)
    const second = batchOf('q', 5, 1000, { producerId: 7, producerEpoch: 0, baseSequence: 5 })
    assert.equal(log.append(Buffer.from(second), 0).baseOffset, 5)
    const retry = log.append(Buffer.from(first), 0)
    assert.deepEqual([retry.errorCode, retry.baseOffset], [ErrorCode.NONE, 0])
    assert.equal(log.logEndOffset, 10)
    const gap = batchOf('g', 1, 1000, { producerId: 7, producerEpoch: 0, baseSequence: 42 })
    assert.equal(log.append(gap, 0).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    log.close()
    // Producer state is rebuilt from the log: the retry is still recognised after a restart.
    const reopened = open()
    assert.equal(reopened.append(Buffer.from(second), 0).baseOffset, 5)
    assert.equal(reopened.logEndOffset, 10)
    const bumped = batchOf('e', 1, 1000, { producerId: 7, producerEpoch: 1, baseSequence: 0 })
    assert.equal(reopened.append(bumped, 0).errorCode, ErrorCode.NONE)
    const old = batchOf('o', 1, 1000, { producerId: 7, producerEpoch: 0, baseSequence: 10 })
    assert.equal(reopened.append(old, 0).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
    reopened.close()
  })
})

test('segment.ms rolls the active segment once it is that old; segment.index.bytes once an index would outgrow it', () => {
  const segments = (dir: string): number => fs.readdirSync(dir).filter(f => f.endsWith('.log')).length
  withLog({ segmentMs: 60_000 }, (open, dir) => {
    const log = open()
    const created = 1_700_000_000_000 // the ManualClock's start: when the first segment was created
    log.append(batchOf('a', 1), created + 59_999)
    assert.equal(segments(dir), 1)
    log.append(batchOf('b', 1), created + 60_000)
    assert.equal(segments(dir), 2, 'rolled: the segment had reached segment.ms')
    log.append(batchOf('c', 1), created + 60_001)
    assert.equal(segments(dir), 2, 'the new segment is young')
    assert.deepEqual(readAll(log), ['a0', 'b0', 'c0'])
    log.close()
  })
  withLog({ indexIntervalBytes: 0, segmentIndexBytes: 24 }, (open, dir) => {
    const log = open()
    for (let i = 0; i < 7; i++) log.append(batchOf(`i${i}-`, 1), 0)
    // One 8-byte offset-index entry per batch (and 12-byte time entries as timestamps grow): a
    // 24-byte index holds two batches' entries before a new segment is needed.
    assert.ok(segments(dir) >= 3, `rolled on index size (${segments(dir)} segments)`)
    assert.equal(readAll(log).length, 7)
    log.close()
  })
})
