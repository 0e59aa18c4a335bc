import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SegmentIndex } from './segment-index.js'

/** An index built entry by entry, and its two files' bytes as Segment writes them. */
function built (base: number): { idx: SegmentIndex, index: Buffer, time: Buffer } {
  const idx = new SegmentIndex(base)
  const index: Buffer[] = []
  const time: Buffer[] = []
  for (const [offset, position, ts] of [[base, 0, 1_700_000_000_000], [base + 40, 4096, 1_700_000_000_500], [base + 95, 8300, 5_000_000_000_000]]) {
    index.push(idx.offsetEntry(offset, position)); idx.addOffset(offset, position)
    time.push(idx.timeEntry(ts, offset)); idx.addTime(ts, offset)
  }
  return { idx, index: Buffer.concat(index), time: Buffer.concat(time) }
}

test('index files read back to the same entries (timestamps beyond 32 bits, offsets relative to the segment base), and lookups answer from them', () => {
  const { idx, index, time } = built(1_000_000)
  const back = SegmentIndex.decode(1_000_000, index, time, 10_000)!
  assert.deepEqual([back.offsets, back.positions, back.stamps, back.timeOffsets], [idx.offsets, idx.positions, idx.stamps, idx.timeOffsets])
  assert.deepEqual(back.lastTime(), [5_000_000_000_000, 1_000_095])
  assert.equal(back.positionAtOrBefore(1_000_039), 0)
  assert.equal(back.positionAtOrBefore(1_000_040), 4096)
  assert.equal(back.positionAtOrBefore(2_000_000), 8300)
  assert.equal(back.timeHint(1_700_000_000_400), 1_000_000)
  assert.equal(back.timeHint(1_700_000_000_600), 1_000_040)
  assert.equal(back.bytes, 36)
  back.truncate(1, 2)
  assert.deepEqual([back.offsetEntries, back.timeEntries, back.positionAtOrBefore(2_000_000)], [1, 2, 0])
})

test('index files that cannot be trusted after a crash are refused, so the log is scanned instead: partial entries, no entry for a non-empty log, a position past the log', () => {
  const { index, time } = built(0)
  assert.equal(SegmentIndex.decode(0, index.subarray(0, 12), time, 10_000), null, 'a torn offset entry')
  assert.equal(SegmentIndex.decode(0, index, time.subarray(0, 30), 10_000), null, 'a torn time entry')
  assert.equal(SegmentIndex.decode(0, Buffer.alloc(0), Buffer.alloc(0), 10_000), null, 'a log with no index entry')
  assert.equal(SegmentIndex.decode(0, index, time, 8300), null, 'an entry at the log\'s end (the log was cut)')
  assert.notEqual(SegmentIndex.decode(0, Buffer.alloc(0), Buffer.alloc(0), 0), null, 'an empty log needs none')
})
