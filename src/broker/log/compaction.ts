// Log compaction (cleanup.policy=compact): which records of a sealed segment survive, and the
// batches that hold them. As Kafka's cleaner: a record is dropped when a later record in the
// partition has the same key; a tombstone (null value) that is the latest of its key is dropped
// once it is older than delete.retention.ms; nothing younger than min.compaction.lag.ms is
// dropped. Offsets never change: a rewritten batch keeps its base offset, its header and its
// lastOffsetDelta (consumers see gaps, as from Kafka), and holds the surviving records' own
// bytes, recompressed with the batch's codec (zstd on Node.js before 22.15: stored uncompressed).
import {
  readBatchInfo, decompressRecords, compressRecords, canCompressZstd, walkRecords, updateCrc,
  ATTRIBUTES, BATCH_LENGTH, COMPRESSION_MASK, CONTROL_FLAG, HEADER_SIZE, LOG_OVERHEAD, RECORDS_COUNT, type BatchInfo
} from '../../protocol/record-batch/index.js'

export interface CompactionRules {
  now: number
  deleteRetentionMs: number
  minCompactionLagMs: number
}

/** Keys are compared as bytes; latin1 maps each byte to one character. */
const keyOf = (section: Buffer, start: number, end: number): string | null => start < 0 ? null : section.toString('latin1', start, end)

/** Calls `visit` for each batch in `buf` (whole batches back to back). */
function eachBatch (buf: Buffer, visit: (b: BatchInfo, bytes: Buffer) => void): void {
  let at = 0
  while (at + LOG_OVERHEAD <= buf.length) {
    const size = buf.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD
    if (size < HEADER_SIZE || at + size > buf.length) return
    visit(readBatchInfo(buf, at), buf.subarray(at, at + size))
    at += size
  }
}

/** The records section of a data batch, or null (control batch, unreadable). */
function recordsOf (b: BatchInfo, bytes: Buffer): Buffer | null {
  if ((b.attributes & CONTROL_FLAG) !== 0) return null
  try {
    return decompressRecords(b.compression, bytes.subarray(HEADER_SIZE))
  } catch {
    return null
  }
}

/**
 * Records, for every key in `buf`, the offset of its latest record into `latest`. `uncommitted`:
 * batches of aborted or still open transactions, which must not supersede committed records.
 */
export function collectLatest (buf: Buffer, latest: Map<string, number>, uncommitted: (b: BatchInfo) => boolean = () => false): void {
  eachBatch(buf, (b, bytes) => {
    const section = recordsOf(b, bytes)
    if (section === null || uncommitted(b)) return
    try {
      walkRecords(section, b.recordsCount, r => {
        const key = keyOf(section, r.keyStart, r.keyEnd)
        if (key !== null) latest.set(key, b.baseOffset + r.offsetDelta)
      })
    } catch {}
  })
}

export interface Compacted {
  /** The surviving batches back to back, and their header info (positions within `buf`). */
  buf: Buffer
  batches: BatchInfo[]
  removed: number
  /** Tombstones kept (not yet past delete.retention.ms): the segment is worth another look later. */
  tombstonesKept: number
}

/** The compacted form of one sealed segment's batches. */
export function compactBatches (buf: Buffer, latest: Map<string, number>, rules: CompactionRules): Compacted {
  const parts: Buffer[] = []
  const batches: BatchInfo[] = []
  let removed = 0
  let tombstonesKept = 0
  let size = 0
  const keep = (bytes: Buffer): void => {
    batches.push(readBatchInfo(bytes, 0))
    batches[batches.length - 1].position = size
    parts.push(bytes)
    size += bytes.length
  }
  eachBatch(buf, (b, bytes) => {
    const section = recordsOf(b, bytes)
    if (section === null) return keep(bytes)
    const kept: Buffer[] = []
    let tombstones = 0
    try {
      walkRecords(section, b.recordsCount, r => {
        const offset = b.baseOffset + r.offsetDelta
        const ts = b.baseTimestamp + r.timestampDelta
        const key = keyOf(section, r.keyStart, r.keyEnd)
        const young = ts > rules.now - rules.minCompactionLagMs
        const superseded = key !== null && (latest.get(key) ?? offset) > offset
        const expiredTombstone = key !== null && r.valueStart < 0 && ts < rules.now - rules.deleteRetentionMs
        if (!young && (superseded || expiredTombstone)) return
        if (r.valueStart < 0) tombstones++
        kept.push(section.subarray(r.start, r.end))
      })
    } catch {
      return keep(bytes)
    }
    tombstonesKept += tombstones
    removed += b.recordsCount - kept.length
    if (kept.length === b.recordsCount) return keep(bytes)
    if (kept.length === 0) return
    // Node.js before 22.15 cannot compress zstd: such a batch is stored uncompressed (each batch
    // names its own codec, so readers are none the wiser).
    const codec = b.compression === 4 && !canCompressZstd ? 0 : b.compression
    const payload = compressRecords(codec, Buffer.concat(kept))
    const batch = Buffer.concat([bytes.subarray(0, HEADER_SIZE), payload])
    batch.writeInt16BE((b.attributes & ~COMPRESSION_MASK) | codec, ATTRIBUTES)
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH)
    batch.writeInt32BE(kept.length, RECORDS_COUNT)
    updateCrc(batch, 0, batch.length)
    keep(batch)
  })
  return { buf: Buffer.concat(parts, size), batches, removed, tombstonesKept }
}
