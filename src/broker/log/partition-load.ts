// Opening one partition's directory: its segments (the last one scanned batch by batch and cut
// at a torn tail, see partition-log.ts), the idempotent-producer state rebuilt from that scan,
// the transaction index (its snapshot, then the batches after it replayed), and the log start
// offset.
import fs from 'node:fs'
import path from 'node:path'
import type { Logger } from '../../shared/logger.js'
import type { Clock } from '../../shared/clock.js'
import { readBatchInfo, batchSizeAt } from '../../protocol/record-batch/index.js'
import { Segment } from './segment.js'
import type { FileCache } from './file-cache.js'
import { ProducerState } from './producer-state.js'
import { TxnIndex } from './txn-index.js'
import type { LogConfig } from './log-config.js'

export const START_OFFSET_FILE = 'log-start-offset'
/** Where compaction writes a segment's replacement before renaming it in. */
export const CLEANING_DIR = '.cleaning'

export interface LoadedPartition { segments: Segment[], producers: ProducerState, txns: TxnIndex, logStartOffset: number }

export function loadPartition (dir: string, config: LogConfig, logger: Logger, clock: Clock, files: FileCache): LoadedPartition {
  fs.mkdirSync(dir, { recursive: true })
  // A compaction interrupted before its renames: the old segment is still whole.
  fs.rmSync(path.join(dir, CLEANING_DIR), { recursive: true, force: true })
  const bases = fs.readdirSync(dir)
    .filter(f => /^\d{20}\.log$/.test(f))
    .map(f => Number.parseInt(f.slice(0, 20), 10))
    .sort((a, b) => a - b)
  const producers = new ProducerState()
  const txns = TxnIndex.load(dir)
  const segments: Segment[] = []
  for (let i = 0; i < bases.length; i++) {
    const last = i === bases.length - 1
    const { segment, truncatedBytes } = Segment.open(dir, bases[i], config.indexIntervalBytes, files, {
      scan: last,
      knownNextOffset: last ? undefined : bases[i + 1],
      onBatch: last
        ? (b, bytes) => {
            producers.record(b, b.baseOffset)
            if (b.baseOffset >= txns.through) txns.apply(b, bytes)
          }
        : undefined
    })
    if (truncatedBytes > 0) logger.warn({ dir, segment: bases[i], truncatedBytes }, 'recovered partition: dropped a torn tail after the last valid batch')
    // A sealed segment past the snapshot: no txn-index yet (a log from before transactions).
    if (!last && bases[i + 1] > txns.through) replayBatches(segment.readAll(), txns)
    segments.push(segment)
  }
  if (segments.length === 0) segments.push(Segment.create(dir, 0, config.indexIntervalBytes, files, clock.now()))
  let start = segments[0].baseOffset
  try {
    start = Math.max(start, Number.parseInt(fs.readFileSync(path.join(dir, START_OFFSET_FILE), 'utf8'), 10) || 0)
  } catch {}
  const end = segments[segments.length - 1].nextOffset
  txns.truncateTo(end)
  return { segments, producers, txns, logStartOffset: Math.min(start, end) }
}

/** Replays a sealed segment's batches into the transaction index (a log without a snapshot). */
function replayBatches (buf: Buffer, txns: TxnIndex): void {
  let at = 0
  for (let size = batchSizeAt(buf, 0); size > 0; size = batchSizeAt(buf, at)) {
    const info = readBatchInfo(buf, at)
    if (info.baseOffset >= txns.through) txns.apply(info, buf.subarray(at, at + size))
    at += size
  }
}
