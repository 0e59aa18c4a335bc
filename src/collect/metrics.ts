// The agent's Prometheus metrics, read from its counters and file table at scrape time.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import type { TailAgent } from './agent.js'

export function tailMetrics (agent: TailAgent): Registry {
  const register = new Registry()
  collectDefaultMetrics({ register, prefix: 'tidewatch_tail_' })
  const gauge = (name: string, help: string, value: () => number): void => {
    new Gauge({ name, help, registers: [register], collect () { this.set(value()) } })
  }
  const c = agent.counters
  const s = agent.shipper.stats
  gauge('tidewatch_tail_lines_read_total', 'Physical lines read from files', () => c.lines)
  gauge('tidewatch_tail_entries_total', 'Log entries made (after joining partial and multiline lines)', () => c.entries)
  gauge('tidewatch_tail_records_acked_total', 'Records the broker acknowledged (acks=all)', () => s.recordsAcked)
  gauge('tidewatch_tail_records_refused_total', 'Records the broker refused for good (larger than the topic\'s max.message.bytes): logged, not stored', () => s.recordsRefused)
  gauge('tidewatch_tail_bytes_acked_total', 'Record bytes the broker acknowledged', () => s.bytesAcked)
  gauge('tidewatch_tail_batches_acked_total', 'Batches the broker acknowledged', () => s.batchesAcked)
  gauge('tidewatch_tail_send_failures_total', 'Produce attempts that failed (each is retried)', () => s.sendFailures)
  gauge('tidewatch_tail_invalid_utf8_lines_total', 'Lines that were not valid UTF-8 (kept with replacement characters)', () => c.invalidUtf8)
  gauge('tidewatch_tail_split_parts_total', 'Parts of entries cut at the maximum line size', () => c.splitParts)
  gauge('tidewatch_tail_rotations_total', 'Files rotated away or deleted while tailed', () => c.rotations)
  gauge('tidewatch_tail_truncations_total', 'Files truncated while tailed (copytruncate)', () => c.truncations)
  gauge('tidewatch_tail_buffered_bytes', 'Bytes read but not yet acknowledged', () => agent.shipper.bufferedBytes)
  gauge('tidewatch_tail_files', 'Files being tailed', () => agent.files().length)
  new Gauge({
    name: 'tidewatch_tail_file_lag_bytes',
    help: 'Bytes of a file not yet acknowledged (size - checkpointed offset)',
    labelNames: ['path'],
    registers: [register],
    collect () {
      this.reset()
      for (const f of agent.files()) this.set({ path: f.path }, f.lag)
    }
  })
  return register
}

/** The progress lines shown on a terminal: files, lines/s, lag per file. */
export function progressLines (agent: TailAgent, linesPerSecond: number, maxFiles = 10): string[] {
  const files = agent.files()
  const s = agent.shipper.stats
  const failing = s.failingSince !== null ? `, broker unreachable for ${Math.round((Date.now() - s.failingSince) / 1000)} s (${s.lastError ?? ''})` : ''
  const head = `tidewatch tail: ${files.length} file(s), ${Math.round(linesPerSecond)} lines/s, ${s.recordsAcked} records acknowledged, ${agent.shipper.bufferedBytes} bytes waiting${failing}`
  // The files furthest behind first; the rest are summed up.
  const shown = [...files].sort((a, b) => b.lag - a.lag).slice(0, maxFiles)
  const more = files.length > shown.length ? [`  … and ${files.length - shown.length} more file(s)`] : []
  return [head, ...shown.map(f => `  lag ${String(f.lag).padStart(10)} B  ${f.path}${f.orphaned ? ' (rotated)' : ''}`), ...more]
}
