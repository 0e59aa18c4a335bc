// Retention (cleanup.policy=delete), decided on the segments' summaries alone: sealed segments
// go oldest first, those whose newest record is older than retention.ms, then as many more as
// keep the partition over retention.bytes. The active (last) segment always stays, as in Kafka,
// so a partition never loses its log end.

export interface SegmentSummary {
  /** The segment's newest record time (its file time when it has none), epoch ms. */
  retentionTimestamp: () => number
  size: number
}

export interface RetentionDecision {
  /** How many segments to delete from the oldest. */
  drop: number
  reason: 'retention.ms' | 'retention.bytes' | 'retention.ms and retention.bytes' | null
}

export function retentionDecision (segments: readonly SegmentSummary[], c: { retentionMs: number, retentionBytes: number }, now: number): RetentionDecision {
  let drop = 0
  let byTime = 0
  if (c.retentionMs >= 0) {
    while (drop < segments.length - 1 && segments[drop].retentionTimestamp() < now - c.retentionMs) drop++
    byTime = drop
  }
  if (c.retentionBytes >= 0) {
    let excess = segments.reduce((n, s) => n + s.size, 0) - c.retentionBytes
    for (let i = 0; i < drop; i++) excess -= segments[i].size
    while (drop < segments.length - 1 && excess >= segments[drop].size) {
      excess -= segments[drop].size
      drop++
    }
  }
  const reason = drop === 0 ? null : byTime === drop ? 'retention.ms' : byTime === 0 ? 'retention.bytes' : 'retention.ms and retention.bytes'
  return { drop, reason }
}
