import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PartitionLog } from './partition-log.js'
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js'
import { TXN_INDEX_FILE } from './txn-index.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { buildBatch, decodeBatches } from '../../protocol/record-batch/index.js'
import { silentLogger } from '../../shared/logger.js'
import { ManualClock } from '../../shared/clock.js'

function withLog (config: Partial<LogConfig>, fn: (open: () => PartitionLog, dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-txn-'))
  const open = (): PartitionLog => PartitionLog.open(dir, { ...DEFAULT_LOG_CONFIG, ...config }, silentLogger(), new ManualClock())
  try { fn(open, dir) } finally { fs.rmSync(dir, { recursive: true, force: true }) }
}

const seq = new Map<number, number>()
/** A transactional batch of `producerId` (epoch 0), with its next sequence numbers. */
function txn (producerId: number, values: string[]): Buffer {
  const baseSequence = seq.get(producerId) ?? 0
  seq.set(producerId, baseSequence + values.length)
  return buildBatch(values.map(value => ({ value: value.padEnd(200, '.') })), { transactional: true, producerId, producerEpoch: 0, baseSequence })
}
const plain = (value: string): Buffer => buildBatch([{ value: value.padEnd(200, '.') }])

function append (log: PartitionLog, batch: Buffer, transactional: boolean): number {
  const r = log.append(batch, 1000, transactional)
  assert.equal(r.errorCode, ErrorCode.NONE)
  return r.baseOffset
}

test('open transactions hold the LSO at their first offset; markers end them; aborted ranges are listed for the fetched range only; a read below the LSO stops before it', () => {
  withLog({}, open => {
    const log = open()
    append(log, plain('p0'), false)
    const t1 = append(log, txn(7, ['c1']), true)
    const t2 = append(log, txn(8, ['a1', 'a2']), true)
    append(log, plain('p1'), false)
    assert.equal(log.lastStableOffset, t1)
    const below = log.read(0, 1 << 20, true, log.lastStableOffset)
    assert.deepEqual(decodeBatches(below.records!).map(b => b.baseOffset), [0])
    assert.equal(below.nextOffset, t1)
    assert.equal(log.appendMarker(7, 0, true, 1000), ErrorCode.NONE)
    assert.equal(log.lastStableOffset, t2, 'the commit ends the earlier transaction: the later one holds the LSO now')
    assert.equal(log.appendMarker(8, 0, false, 1000), ErrorCode.NONE)
    const abortMarker = log.logEndOffset - 1
    assert.equal(log.lastStableOffset, log.logEndOffset)
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), [{ producerId: 8, firstOffset: t2 }])
    assert.deepEqual(log.abortedTransactions(0, t2), [], 'a range that ends before the transaction began')
    assert.deepEqual(log.abortedTransactions(abortMarker + 1, log.logEndOffset), [], 'a range after its marker')
    // A marker for a producer with nothing open changes nothing.
    assert.equal(log.appendMarker(9, 0, false, 1000), ErrorCode.NONE)
    assert.equal(log.abortedTransactions(0, log.logEndOffset).length, 1)
    log.close()
  })
})

test('a transactional batch in a request without a transactional id, or a plain batch in one with it, is refused (INVALID_RECORD) and nothing is stored', () => {
  withLog({}, open => {
    const log = open()
    assert.equal(log.append(txn(3, ['x']), 1000, false).errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(log.append(plain('y'), 1000, true).errorCode, ErrorCode.INVALID_RECORD)
    assert.equal(log.logEndOffset, 0)
    assert.equal(log.lastStableOffset, 0)
    log.close()
  })
})

test('the aborted ranges and an open transaction survive reopening, from the snapshot written at each roll and from the last segment; DeleteRecords past an aborted range removes it with its segments, on disk too', () => {
  withLog({ segmentBytes: 1024 }, (open, dir) => {
    let log = open()
    const aborted: { producerId: number, firstOffset: number }[] = []
    for (let i = 0; i < 8; i++) {
      const first = append(log, txn(20 + i, [`t${i}a`, `t${i}b`]), true)
      append(log, plain(`p${i}`), false)
      const commit = i % 2 === 0
      assert.equal(log.appendMarker(20 + i, 0, commit, 1000), ErrorCode.NONE)
      if (!commit) aborted.push({ producerId: 20 + i, firstOffset: first })
    }
    const open1 = append(log, txn(99, ['still-open']), true)
    append(log, plain('after'), false)
    assert.ok(fs.readdirSync(dir).filter(f => f.endsWith('.log')).length > 3, 'several segments')
    assert.ok(fs.existsSync(path.join(dir, TXN_INDEX_FILE)))
    const end = log.logEndOffset
    log.close()

    log = open()
    assert.deepEqual(log.abortedTransactions(0, end), aborted)
    assert.equal(log.lastStableOffset, open1, 'the open transaction still holds the LSO')
    assert.ok(log.hasOpenTransaction(99))
    assert.equal(log.appendMarker(99, 0, true, 1000), ErrorCode.NONE)
    assert.equal(log.lastStableOffset, log.logEndOffset)

    const cut = aborted[2].firstOffset + 4 // past the third aborted range's marker
    log.deleteRecordsBefore(cut)
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), aborted.slice(3), 'the first three ranges went with their records')
    log.close()
    const onDisk = JSON.parse(fs.readFileSync(path.join(dir, TXN_INDEX_FILE), 'utf8')) as { aborted: [number, number, number][] }
    assert.deepEqual(onDisk.aborted.map(([producerId]) => producerId), aborted.slice(3).map(a => a.producerId))
    log = open()
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), aborted.slice(3))
    log.close()
  })
})

test('a log without a transaction index (written before transactions were served) is rebuilt from every segment\'s batches at open', () => {
  withLog({ segmentBytes: 1024 }, (open, dir) => {
    let log = open()
    const first = append(log, txn(5, ['a']), true)
    for (let i = 0; i < 10; i++) append(log, plain(`p${i}`), false)
    assert.equal(log.appendMarker(5, 0, false, 1000), ErrorCode.NONE)
    for (let i = 0; i < 10; i++) append(log, plain(`q${i}`), false)
    const end = log.logEndOffset
    log.close()
    fs.rmSync(path.join(dir, TXN_INDEX_FILE))
    log = open()
    assert.deepEqual(log.abortedTransactions(0, end), [{ producerId: 5, firstOffset: first }])
    log.close()
  })
})

test('compaction: a record of an aborted transaction, or of one still open, does not supersede the committed record of the same key', () => {
  withLog({ segmentBytes: 1024, cleanupCompact: true, minCompactionLagMs: 0 }, open => {
    const log = open()
    const keyed = (key: string, value: string, o: object): Buffer => buildBatch([{ key, value: value.padEnd(300, '.') }], o)
    append(log, keyed('k', 'committed', {}), false)
    append(log, keyed('j', 'committed', {}), false)
    append(log, keyed('k', 'aborted', { transactional: true, producerId: 40, producerEpoch: 0, baseSequence: 0 }), true)
    assert.equal(log.appendMarker(40, 0, false, 1000), ErrorCode.NONE)
    append(log, keyed('j', 'open', { transactional: true, producerId: 41, producerEpoch: 0, baseSequence: 0 }), true)
    for (let i = 0; i < 4; i++) append(log, keyed(`other${i}`, 'x', {}), false)
    log.compact(Date.now() + 60_000)
    const first = log.read(0, 1 << 20, true, 1)
    assert.deepEqual(decodeBatches(first.records!).flatMap(b => b.records.map(r => r.value!.toString().replace(/\.+$/, ''))), ['committed'], 'k\'s committed record is still there')
    const second = log.read(1, 1 << 20, true, 2)
    assert.deepEqual(decodeBatches(second.records!).flatMap(b => b.records.map(r => r.value!.toString().replace(/\.+$/, ''))), ['committed'], 'and j\'s')
    log.close()
  })
})
