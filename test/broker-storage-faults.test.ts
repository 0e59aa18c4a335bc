// Failures a real device here cannot produce on demand: fsync failing (EIO, or ENOSPC on file
// systems that allocate at write-back), and an index write failing after the log write went
// through. These tests make fs calls fail (a fake, as their names say) and check what the
// partition does: never an acknowledgement for data not fully written or not covered by the
// fsync asked for, nothing half-written left behind, never a silent loss of the error.
// test/broker-disk-full.test.ts fills a real disk.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { PartitionLog } from '../src/broker/log/partition-log.js'
import { DEFAULT_LOG_CONFIG } from '../src/broker/log/log-config.js'
import { ErrorCode } from '../src/protocol/error-codes.js'
import { buildBatch, decodeBatches } from '../src/protocol/record-batch/index.js'
import { ManualClock } from '../src/shared/clock.js'
import { silentLogger } from '../src/shared/logger.js'
import { tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

const batch = (value: string): Buffer => buildBatch([{ value, timestamp: 1_700_000_000_000 }])
const eio = (): NodeJS.ErrnoException => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })

function values (log: PartitionLog): string[] {
  const r = log.read(log.logStartOffset, 1 << 20)
  return r.records === null ? [] : decodeBatches(r.records).flatMap(b => b.records.map(x => x.value ?? ''))
}

test('fake fdatasync failure with flush.messages=1: the produce gets KAFKA_STORAGE_ERROR, the batch is cut away and the log continues at the same end offset', () => {
  const dir = tempDir()
  const real = fs.fdatasyncSync
  try {
    const log = PartitionLog.open(path.join(dir, 'p'), { ...DEFAULT_LOG_CONFIG, flushMessages: 1 }, silentLogger(), new ManualClock())
    assert.equal(log.append(batch('a'), 0).errorCode, ErrorCode.NONE)
    fs.fdatasyncSync = () => { throw eio() }
    const failed = log.append(batch('b'), 0)
    assert.equal(failed.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
    assert.equal(log.logEndOffset, 1, 'the unsynced batch is not part of the log')
    assert.deepEqual(values(log), ['a'])
    fs.fdatasyncSync = real
    const next = log.append(batch('c'), 0)
    assert.equal(next.errorCode, ErrorCode.NONE)
    assert.equal(next.baseOffset, 1)
    log.close()
    const reopened = PartitionLog.open(path.join(dir, 'p'), DEFAULT_LOG_CONFIG, silentLogger(), new ManualClock())
    assert.deepEqual(values(reopened), ['a', 'c'])
    reopened.close()
  } finally {
    fs.fdatasyncSync = real
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('fake ENOSPC on the index write after the log write succeeded: the log is cut back, the produce refused, the next append lands where it should', () => {
  const dir = tempDir()
  const real = fs.writeSync
  try {
    const log = PartitionLog.open(path.join(dir, 'p'), DEFAULT_LOG_CONFIG, silentLogger(), new ManualClock())
    let calls = 0
    // The first append of a segment writes the .log, then its first .index entry: fail the second.
    fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' })
      return (real as (...a: unknown[]) => number)(...args)
    }) as typeof fs.writeSync
    assert.equal(log.append(batch('lost'), 0).errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
    fs.writeSync = real
    assert.equal(log.logEndOffset, 0)
    assert.equal(fs.statSync(path.join(dir, 'p', '00000000000000000000.log')).size, 0, 'the written batch was truncated away')
    assert.equal(log.append(batch('kept'), 0).baseOffset, 0)
    log.close()
    const reopened = PartitionLog.open(path.join(dir, 'p'), DEFAULT_LOG_CONFIG, silentLogger(), new ManualClock())
    assert.deepEqual(values(reopened), ['kept'])
    reopened.close()
  } finally {
    fs.writeSync = real
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('fake fdatasync failure in the periodic flush: logged as an error and retried until it succeeds', async () => {
  const dir = tempDir()
  const real = fs.fdatasync
  const lines: { level: number, msg: string }[] = []
  const logger = pino({ level: 'info' }, new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } }))
  let failing = true
  let synced = 0
  fs.fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    if (failing) { process.nextTick(cb, eio()); return }
    synced++
    real(fd, cb)
  }) as typeof fs.fdatasync
  try {
    const clock = new ManualClock()
    const log = PartitionLog.open(path.join(dir, 'p'), { ...DEFAULT_LOG_CONFIG, flushMs: 1000 }, logger, clock)
    assert.equal(log.append(batch('a'), 0).errorCode, ErrorCode.NONE)
    clock.advance(1000)
    await waitFor(() => lines.some(l => l.level === 50 && /fsync failed/.test(l.msg)), { what: 'the failed fsync to be logged as an error' })
    failing = false
    clock.advance(1000)
    await waitFor(() => synced > 0, { what: 'the next interval to retry the fsync' })
    log.close()
  } finally {
    fs.fdatasync = real
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
