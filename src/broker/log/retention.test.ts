import { test } from 'node:test'
import assert from 'node:assert/strict'
import { retentionDecision } from './retention.js'

const seg = (newest: number, size: number): { retentionTimestamp: () => number, size: number } => ({ retentionTimestamp: () => newest, size })

test('retention drops the oldest segments past retention.ms, then more while over retention.bytes, never the active one, and says which limit did it', () => {
  const now = 10_000
  const segments = [seg(1_000, 100), seg(2_000, 100), seg(8_000, 100), seg(9_000, 100), seg(9_500, 50)]
  assert.deepEqual(retentionDecision(segments, { retentionMs: -1, retentionBytes: -1 }, now), { drop: 0, reason: null })
  assert.deepEqual(retentionDecision(segments, { retentionMs: 5_000, retentionBytes: -1 }, now), { drop: 2, reason: 'retention.ms' })
  // 450 bytes against 250: dropping the two oldest gets to 250, so a third would go too far.
  assert.deepEqual(retentionDecision(segments, { retentionMs: -1, retentionBytes: 250 }, now), { drop: 2, reason: 'retention.bytes' })
  assert.deepEqual(retentionDecision(segments, { retentionMs: 5_000, retentionBytes: 100 }, now), { drop: 3, reason: 'retention.ms and retention.bytes' })
  // Everything expired, or a limit of 0 bytes: the active segment stays.
  assert.deepEqual(retentionDecision(segments, { retentionMs: 0, retentionBytes: 0 }, 1_000_000), { drop: 4, reason: 'retention.ms' })
  assert.deepEqual(retentionDecision([seg(0, 10)], { retentionMs: 0, retentionBytes: 0 }, now), { drop: 0, reason: null })
})
