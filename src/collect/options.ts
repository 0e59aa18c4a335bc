// The agent's settings and their defaults (the README's "Collection and ingest" has the table;
// the CLI flags and the project file's `tail:` block set the same names).
import type { FormatOption } from './formats.js'

export type TailCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

export interface TailOptions {
  patterns: string[]
  /** Directory of checkpoints.json. */
  checkpoints: string
  topic: string
  format: FormatOption
  /** none | java | python | go | a start-of-record RE2 regex. */
  multiline: string
  /** Longest entry; longer ones are cut into parts marked `split`. */
  maxLineBytes: number
  /** Most bytes read but not yet acknowledged; reading pauses above it. */
  bufferBytes: number
  /**
   * A batch is sent before it would hold more than this many bytes… (1,000,000 like librdkafka's
   * batch.size: below Kafka's default max.message.bytes of 1 MiB + 12, whatever the codec).
   */
  batchBytes: number
  /** …or once its first record waited this long. */
  lingerMs: number
  /** An open multiline record is sent after this long without a new line. */
  flushMs: number
  /** A rotated or deleted file is still read for this long after its last byte. */
  rotateWaitMs: number
  /** How often the patterns are expanded again (new files are picked up within it). */
  scanMs: number
  /** How often a file at its end is looked at again. */
  pollMs: number
  /** Most bytes read from one file in one pass. */
  chunkBytes: number
  /** Files found at start without a checkpoint: from their beginning, or from their end. */
  readFrom: 'head' | 'tail'
  /** `kubernetes.host`; default $NODE_NAME, else the hostname. */
  host?: string
  compression: TailCompression
}

export const DEFAULT_TAIL_OPTIONS: Omit<TailOptions, 'patterns' | 'checkpoints'> = {
  topic: 'logs',
  format: 'auto',
  multiline: 'none',
  maxLineBytes: 1024 * 1024,
  bufferBytes: 16 * 1024 * 1024,
  batchBytes: 1_000_000,
  lingerMs: 20,
  flushMs: 1000,
  rotateWaitMs: 5000,
  scanMs: 500,
  pollMs: 100,
  chunkBytes: 256 * 1024,
  readFrom: 'head',
  compression: 'lz4'
}
