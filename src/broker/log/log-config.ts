import { TOPIC_CONFIGS } from './topic-config-defs.js'

/** Per-partition storage settings; topic configs (Kafka names, topic-config-defs.ts) override the broker's defaults. */
export interface LogConfig {
  segmentBytes: number
  /** Roll the active segment once its first record is this old (Kafka's segment.ms). */
  segmentMs: number
  /** Roll once a segment's offset or time index would exceed this many bytes. */
  segmentIndexBytes: number
  indexIntervalBytes: number
  retentionMs: number
  retentionBytes: number
  maxMessageBytes: number
  flushMessages: number
  flushMs: number
  cleanupDelete: boolean
  cleanupCompact: boolean
  /** Codec batches are stored with (recompressed when they differ), or as the producer sent them. */
  compression: number | 'producer'
  gzipLevel: number
  /** message.timestamp.type=LogAppendTime: batches are stamped with the broker's time on append. */
  logAppendTime: boolean
  timestampBeforeMaxMs: number
  timestampAfterMaxMs: number
  timestampDifferenceMaxMs: number
  /** Above 1, acks=all produce fails with NOT_ENOUGH_REPLICAS: there is one replica. */
  minInsyncReplicas: number
  deleteRetentionMs: number
  minCompactionLagMs: number
  maxCompactionLagMs: number
  minCleanableDirtyRatio: number
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 128 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1_048_588,
  flushMessages: Infinity,
  flushMs: 1000,
  cleanupDelete: true,
  cleanupCompact: false,
  compression: 'producer',
  gzipLevel: -1,
  logAppendTime: false,
  timestampBeforeMaxMs: Infinity,
  timestampAfterMaxMs: Infinity,
  timestampDifferenceMaxMs: Infinity,
  minInsyncReplicas: 1,
  deleteRetentionMs: 86_400_000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Infinity,
  minCleanableDirtyRatio: 0.5
}

/** Validates topic configs; returns the effective LogConfig or a message naming the bad config. */
export function resolveTopicConfig (defaults: LogConfig, configs: Record<string, string>): LogConfig | { error: string } {
  const out = { ...defaults }
  for (const [name, value] of Object.entries(configs)) {
    const def = Object.hasOwn(TOPIC_CONFIGS, name) ? TOPIC_CONFIGS[name] : undefined
    if (def === undefined) return { error: `unknown topic config '${name}' (Kafka's topic configs are: ${Object.keys(TOPIC_CONFIGS).join(', ')})` }
    const parsed = def.parse(value)
    if (typeof parsed === 'object' && !Array.isArray(parsed)) return { error: `topic config ${name}=${value}: ${parsed.error}` }
    def.apply?.(out, parsed)
  }
  return out
}

export interface ConfigEntry { name: string, value: string, isDefault: boolean, type: number }

/** Every topic config with its effective value, as DescribeConfigs reports it. */
export function describeTopicConfig (effective: LogConfig, explicit: Record<string, string>): ConfigEntry[] {
  return Object.entries(TOPIC_CONFIGS).map(([name, def]) => ({
    name,
    // An accepted-only config reports what it was set to; the others their effective value.
    value: def.apply === undefined && name in explicit ? explicit[name] : def.format(effective),
    isDefault: !(name in explicit),
    type: def.type
  }))
}

/** The timestamp window records must fall in (CreateTime topics), or null when unlimited. */
export function timestampWindow (c: LogConfig): { beforeMs: number, afterMs: number } | null {
  // Kafka 3.6+: the deprecated difference bound applies where before/after are not set.
  const beforeMs = Number.isFinite(c.timestampBeforeMaxMs) ? c.timestampBeforeMaxMs : c.timestampDifferenceMaxMs
  const afterMs = Number.isFinite(c.timestampAfterMaxMs) ? c.timestampAfterMaxMs : c.timestampDifferenceMaxMs
  return Number.isFinite(beforeMs) || Number.isFinite(afterMs) ? { beforeMs, afterMs } : null
}
