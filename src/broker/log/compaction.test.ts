import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PartitionLog } from './partition-log.js'
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { buildBatch, decodeBatches, type BatchRecord } from '../../protocol/record-batch/index.js'
import { silentLogger } from '../../shared/logger.js'
import { ManualClock } from '../../shared/clock.js'

// Every append rolls a segment (segment.bytes 1), so each batch is a segment of its own and all
// but the last are sealed, i.e. compactable.
const COMPACTED: LogConfig = { ...DEFAULT_LOG_CONFIG, cleanupCompact: true, cleanupDelete: false, segmentBytes: 1, deleteRetentionMs: 60_000, minCompactionLagMs: 0 }

function withLog (fn: (open: () => PartitionLog, dir: string) => void, config: Partial<LogConfig> = {}): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-compact-'))
  const open = (): PartitionLog => PartitionLog.open(dir, { ...COMPACTED, ...config }, silentLogger(), new ManualClock())
  try { fn(open, dir) } finally { fs.rmSync(dir, { recursive: true, force: true }) }
}

/** Every record from the log start as `offset key=value` (tombstones as `key=∅`). */
function contents (log: PartitionLog): string[] {
  const out: string[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 20)
    assert.equal(r.errorCode, ErrorCode.NONE)
    if (r.records === null) break
    const batches = decodeBatches(r.records)
    for (const b of batches) for (const rec of b.records) if (rec.offset >= offset) out.push(`${rec.offset} ${rec.key}=${rec.value ?? '∅'}`)
    offset = batches[batches.length - 1].lastOffset + 1
  }
  return out
}

const T = 1_000_000
const batch = (records: BatchRecord[], compression = 0): Buffer => buildBatch(records.map((r, i) => ({ timestamp: T + i, ...r })), { compression })

test('compaction keeps each key\'s latest record at its offset, drops superseded records and expired tombstones, never touches the active segment, and survives a reopen', () => {
  withLog((open, dir) => {
    const log = open()
    const appends = [
      batch([{ key: 'k1', value: 'a' }]), // 0
      batch([{ key: 'k2', value: 'b' }]), // 1
      batch([{ key: 'k1', value: 'c' }]), // 2
      batch([{ key: 'k2', value: null }]), // 3: tombstone
      batch([{ key: 'k3', value: 'd' }, { key: 'k3', value: 'e' }, { key: 'k5', value: 'g' }], 1), // 4-6, gzip
      batch([{ key: 'k4', value: 'f' }]), // 7: active segment
      batch([{ key: 'k4', value: 'h' }]) // 8: active segment (the one before rolled)
    ]
    for (const b of appends) assert.equal(log.append(b, T).errorCode, ErrorCode.NONE)
    assert.equal(log.compact(T + 1000).removedRecords, 4)
    const kept = ['2 k1=c', '3 k2=∅', '5 k3=e', '6 k5=g', '8 k4=h']
    assert.deepEqual(contents(log), kept, 'latest per key at its own offset; the tombstone is young')
    assert.equal(log.logStartOffset, 0, 'the log start offset stays (the first segment is kept, empty)')
    assert.equal(log.logEndOffset, 9)
    // Nothing appended and nothing to expire yet: compaction has nothing to do.
    assert.equal(log.compact(T + 2000).removedRecords, 0)
    // Past delete.retention.ms the tombstone goes (its emptied segment with it).
    assert.equal(log.compact(T + 120_000).removedRecords, 1)
    assert.deepEqual(contents(log), kept.filter(k => !k.includes('k2')))
    log.close()
    fs.mkdirSync(path.join(dir, '.cleaning'))
    const reopened = open()
    assert.deepEqual(contents(reopened), ['2 k1=c', '5 k3=e', '6 k5=g', '8 k4=h'], 'the compacted files are what a restart reads')
    assert.equal(fs.existsSync(path.join(dir, '.cleaning')), false, 'an interrupted compaction\'s leftovers are removed')
    assert.equal(reopened.append(batch([{ key: 'k1', value: 'i' }]), T).baseOffset, 9, 'appends continue after the last offset')
    reopened.close()
  })
})

test('records younger than min.compaction.lag.ms are kept even when superseded', () => {
  withLog(open => {
    const log = open()
    for (const v of ['a', 'b', 'c']) log.append(batch([{ key: 'k', value: v }]), T)
    assert.equal(log.compact(T + 10).removedRecords, 0)
    assert.deepEqual(contents(log), ['0 k=a', '1 k=b', '2 k=c'])
    log.close()
  }, { minCompactionLagMs: 60_000 })
})

test('a compacted topic refuses keyless records with INVALID_RECORD, naming each by its index in the batch', () => {
  withLog(open => {
    const log = open()
    const r = log.append(batch([{ key: null, value: 'x' }, { key: 'k', value: 'y' }, { key: null, value: 'z' }]), T)
    assert.equal(r.errorCode, ErrorCode.INVALID_RECORD)
    assert.deepEqual(r.recordErrors?.map(e => e.batchIndex), [0, 2])
    assert.equal(log.logEndOffset, 0, 'nothing of the batch is stored')
    log.close()
  })
})
