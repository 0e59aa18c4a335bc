/** Per-partition storage settings; topic configs override the broker's defaults. */
export interface LogConfig {
  segmentBytes: number
  indexIntervalBytes: number
  retentionMs: number
  retentionBytes: number
  maxMessageBytes: number
  flushMessages: number
  flushMs: number
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 128 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1_048_588,
  flushMessages: Infinity,
  flushMs: 1000
}

interface ConfigDef {
  key: keyof LogConfig | null
  /** Parses a value; returns an error message for a bad one. */
  parse: (value: string) => number | string | { error: string }
  format: (c: LogConfig) => string
}

const long = (min: number) => (value: string): number | { error: string } => {
  if (!/^-?\d+$/.test(value.trim())) return { error: `expected a whole number, got '${value}'` }
  const n = Number.parseInt(value, 10)
  return n < min ? { error: `must be at least ${min}` } : n
}
const oneOf = (...allowed: string[]) => (value: string): string | { error: string } =>
  allowed.includes(value) ? value : { error: `only ${allowed.map(a => `'${a}'`).join(' or ')} is supported` }
const num = (n: number): string => Number.isFinite(n) ? String(n) : '9223372036854775807'

/** The topic configs this broker understands, by their Kafka names. */
export const TOPIC_CONFIGS: Record<string, ConfigDef> = {
  'segment.bytes': { key: 'segmentBytes', parse: long(1024), format: c => num(c.segmentBytes) },
  'retention.ms': { key: 'retentionMs', parse: long(-1), format: c => num(c.retentionMs) },
  'retention.bytes': { key: 'retentionBytes', parse: long(-1), format: c => num(c.retentionBytes) },
  'max.message.bytes': { key: 'maxMessageBytes', parse: long(0), format: c => num(c.maxMessageBytes) },
  'flush.messages': { key: 'flushMessages', parse: long(1), format: c => num(c.flushMessages) },
  'flush.ms': { key: 'flushMs', parse: long(0), format: c => num(c.flushMs) },
  'index.interval.bytes': { key: 'indexIntervalBytes', parse: long(0), format: c => num(c.indexIntervalBytes) },
  'cleanup.policy': { key: null, parse: oneOf('delete'), format: () => 'delete' },
  'message.timestamp.type': { key: null, parse: oneOf('CreateTime'), format: () => 'CreateTime' }
}

/** Validates topic configs; returns the effective LogConfig or a message naming the bad config. */
export function resolveTopicConfig (defaults: LogConfig, configs: Record<string, string>): LogConfig | { error: string } {
  const out = { ...defaults }
  for (const [name, value] of Object.entries(configs)) {
    const def = TOPIC_CONFIGS[name]
    if (def === undefined) return { error: `unknown topic config '${name}' (supported: ${Object.keys(TOPIC_CONFIGS).join(', ')})` }
    const parsed = def.parse(value)
    if (typeof parsed === 'object') return { error: `topic config '${name}': ${parsed.error}` }
    if (def.key !== null && typeof parsed === 'number') out[def.key] = parsed
  }
  return out
}

export function describeTopicConfig (effective: LogConfig, explicit: Record<string, string>): { name: string, value: string, isDefault: boolean }[] {
  return Object.entries(TOPIC_CONFIGS).map(([name, def]) => ({ name, value: def.format(effective), isDefault: !(name in explicit) }))
}
