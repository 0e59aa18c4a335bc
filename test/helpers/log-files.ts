// Writing a batch straight into a stopped broker's partition log, behind the broker's back. The
// broker validates every produced batch (it decompresses and walks the records, as Kafka does),
// so a corrupt batch cannot be produced to it; consumers still meet such batches — data a
// broker without that check stored, a damaged disk whose bytes still match their CRC (the CRC
// is computed by the producer), a codec the consumer cannot read. On start the broker checks
// only length and CRC-32C of the last segment, so a batch placed here is served as it is.
import fs from 'node:fs'
import path from 'node:path'
import { forEachBatch, readBatchInfo, writeBaseOffset } from '../../src/protocol/record-batch/index.js'

/**
 * Appends `batch` to the partition's last segment, at the next offset (or `skip` offsets later:
 * a gap, as compaction leaves between batches); returns its base offset.
 */
export function appendToStoppedLog (brokerDataDir: string, topic: string, partition: number, batch: Buffer, skip = 0): number {
  const dir = path.join(brokerDataDir, 'topics', topic, String(partition))
  const segments = fs.readdirSync(dir).filter(f => /^\d{20}\.log$/.test(f)).sort()
  if (segments.length === 0) throw new Error(`no segment in ${dir}: produce something first`)
  const last = path.join(dir, segments[segments.length - 1])
  let next = Number.parseInt(path.basename(last).slice(0, 20), 10)
  forEachBatch(fs.readFileSync(last), b => { const i = readBatchInfo(b, 0); next = i.baseOffset + i.lastOffsetDelta + 1 })
  next += skip
  const copy = Buffer.from(batch)
  writeBaseOffset(copy, 0, next)
  fs.appendFileSync(last, copy)
  return next
}
