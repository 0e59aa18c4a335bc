// Every topic config of Apache Kafka 3.8, by its Kafka name: how a value is parsed, where it
// goes in LogConfig, and how its effective value is reported. A config either changes this
// broker's behaviour (it has an `apply`), or is accepted and reported with nothing to do on a
// single node without replicas or tiered storage (`noEffect` says why, for the docs). A value
// that cannot be honoured is refused by its parser, naming the config.
import { canCompressZstd } from '../../protocol/record-batch/index.js'
import type { LogConfig } from './log-config.js'

/** Kafka's ConfigEntry types (DescribeConfigs v3+). */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 } as const

type Parsed = number | string | boolean | string[]
export interface ConfigDef {
  type: number
  /** The value, or why it is refused. */
  parse: (value: string) => Parsed | { error: string }
  /** Puts a parsed value into the config; absent for accepted-only configs. */
  apply?: (c: LogConfig, v: any) => void
  /** The effective value as Kafka spells it. */
  format: (c: LogConfig) => string
  /** Why the config is accepted but changes nothing here. */
  noEffect?: string
}

export const LONG_MAX = '9223372036854775807'
const INT_MAX = 2147483647
const num = (n: number): string => Number.isFinite(n) ? String(n) : LONG_MAX
const fail = (error: string): { error: string } => ({ error })

function integer (min: number, max: number, value: string): number | { error: string } {
  const t = value.trim()
  if (!/^-?\d+$/.test(t)) return fail(`expected a whole number, got '${value}'`)
  const big = BigInt(t)
  if (big < BigInt(min)) return fail(`must be at least ${min}`)
  if (big > BigInt(max === Infinity ? LONG_MAX : max)) return fail(`must be at most ${max === Infinity ? LONG_MAX : max}`)
  // Beyond 2^53 only Long.MAX_VALUE ("no limit") is meaningful for these configs.
  return big >= 2n ** 53n ? Infinity : Number(big)
}
const long = (min: number) => (v: string) => integer(min, Infinity, v)
const int = (min: number, max = INT_MAX) => (v: string) => integer(min, max, v)
const bool = (v: string): boolean | { error: string } => /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === 'true' : fail(`expected true or false, got '${v}'`)
const oneOf = (...allowed: string[]) => (v: string): string | { error: string } =>
  allowed.includes(v) ? v : fail(`expected one of ${allowed.join(', ')}, got '${v}'`)
const anyString = (v: string): string => v

const CODECS: Record<string, number | 'producer'> = { producer: 'producer', uncompressed: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
const CODEC_NAMES = ['uncompressed', 'gzip', 'snappy', 'lz4', 'zstd']

function compressionType (v: string): number | string | { error: string } {
  const codec = CODECS[v]
  if (codec === undefined) return fail(`expected one of ${Object.keys(CODECS).join(', ')}, got '${v}'`)
  if (codec === 4 && !canCompressZstd) return fail(`zstd cannot be honoured: this broker runs Node.js ${process.version}, which cannot compress zstd (22.15+ can); use lz4, gzip, snappy or producer`)
  return codec
}

function cleanupPolicy (v: string): string[] | { error: string } {
  const parts = v.split(',').map(s => s.trim()).filter(s => s !== '')
  if (parts.length === 0 || parts.some(p => p !== 'delete' && p !== 'compact')) return fail(`expected delete, compact or both (comma-separated), got '${v}'`)
  return [...new Set(parts)]
}

function throttledReplicas (v: string): string | { error: string } {
  const t = v.trim()
  return t === '' || t === '*' || /^\d+:\d+(,\d+:\d+)*$/.test(t.replace(/\s/g, '')) ? t : fail(`expected '', '*' or partition:broker pairs, got '${v}'`)
}

function ratio (v: string): number | { error: string } {
  const n = Number(v)
  return v.trim() !== '' && Number.isFinite(n) && n >= 0 && n <= 1 ? n : fail(`expected a number from 0 to 1, got '${v}'`)
}

const NO_REPLICAS = 'one node, no replicas'
const NO_TIERED = 'no tiered storage'

export const TOPIC_CONFIGS: Record<string, ConfigDef> = {
  'cleanup.policy': { type: ConfigType.LIST, parse: cleanupPolicy, apply: (c, v: string[]) => { c.cleanupDelete = v.includes('delete'); c.cleanupCompact = v.includes('compact') }, format: c => [c.cleanupCompact ? 'compact' : '', c.cleanupDelete ? 'delete' : ''].filter(Boolean).join(',') },
  'compression.type': { type: ConfigType.STRING, parse: compressionType, apply: (c, v) => { c.compression = v }, format: c => c.compression === 'producer' ? 'producer' : CODEC_NAMES[c.compression] },
  'compression.gzip.level': { type: ConfigType.INT, parse: v => { const n = int(-1, 9)(v); return n === 0 ? fail('must be -1 or 1-9') : n }, apply: (c, v) => { c.gzipLevel = v }, format: c => String(c.gzipLevel) },
  'compression.lz4.level': { type: ConfigType.INT, parse: int(1, 17), format: () => '9', noEffect: 'the lz4 codec used here has one level' },
  'compression.zstd.level': { type: ConfigType.INT, parse: int(-131072, 22), format: () => '3', noEffect: 'zstd is compressed at its default level' },
  'delete.retention.ms': { type: ConfigType.LONG, parse: long(0), apply: (c, v) => { c.deleteRetentionMs = v }, format: c => num(c.deleteRetentionMs) },
  'file.delete.delay.ms': { type: ConfigType.LONG, parse: long(0), format: () => '60000', noEffect: 'files are removed at once: no reader holds them across requests' },
  'flush.messages': { type: ConfigType.LONG, parse: long(1), apply: (c, v) => { c.flushMessages = v }, format: c => num(c.flushMessages) },
  'flush.ms': { type: ConfigType.LONG, parse: long(0), apply: (c, v) => { c.flushMs = v }, format: c => num(c.flushMs) },
  'follower.replication.throttled.replicas': { type: ConfigType.LIST, parse: throttledReplicas, format: () => '', noEffect: NO_REPLICAS },
  'index.interval.bytes': { type: ConfigType.INT, parse: int(0), apply: (c, v) => { c.indexIntervalBytes = v }, format: c => num(c.indexIntervalBytes) },
  'leader.replication.throttled.replicas': { type: ConfigType.LIST, parse: throttledReplicas, format: () => '', noEffect: NO_REPLICAS },
  'local.retention.bytes': { type: ConfigType.LONG, parse: long(-2), format: () => '-2', noEffect: NO_TIERED },
  'local.retention.ms': { type: ConfigType.LONG, parse: long(-2), format: () => '-2', noEffect: NO_TIERED },
  'max.compaction.lag.ms': { type: ConfigType.LONG, parse: long(1), apply: (c, v) => { c.maxCompactionLagMs = v }, format: c => num(c.maxCompactionLagMs) },
  'max.message.bytes': { type: ConfigType.INT, parse: int(0), apply: (c, v) => { c.maxMessageBytes = v }, format: c => num(c.maxMessageBytes) },
  'message.downconversion.enable': { type: ConfigType.BOOLEAN, parse: bool, format: () => 'true', noEffect: 'only RecordBatch (magic 2) is stored and served, so nothing is ever down-converted' },
  'message.format.version': { type: ConfigType.STRING, parse: v => /^\d+\.\d+(\.\d+){0,2}(-IV\d+)?$/.test(v) ? v : fail(`expected a Kafka version such as 3.0-IV1 or 0.10.0.0, got '${v}'`), format: () => '3.0-IV1', noEffect: 'deprecated in Kafka 3.0; batches are stored as produced (magic 2)' },
  'message.timestamp.after.max.ms': { type: ConfigType.LONG, parse: long(0), apply: (c, v) => { c.timestampAfterMaxMs = v }, format: c => num(c.timestampAfterMaxMs) },
  'message.timestamp.before.max.ms': { type: ConfigType.LONG, parse: long(0), apply: (c, v) => { c.timestampBeforeMaxMs = v }, format: c => num(c.timestampBeforeMaxMs) },
  'message.timestamp.difference.max.ms': { type: ConfigType.LONG, parse: long(0), apply: (c, v) => { c.timestampDifferenceMaxMs = v }, format: c => num(c.timestampDifferenceMaxMs) },
  'message.timestamp.type': { type: ConfigType.STRING, parse: oneOf('CreateTime', 'LogAppendTime'), apply: (c, v) => { c.logAppendTime = v === 'LogAppendTime' }, format: c => c.logAppendTime ? 'LogAppendTime' : 'CreateTime' },
  'min.cleanable.dirty.ratio': { type: ConfigType.DOUBLE, parse: ratio, apply: (c, v) => { c.minCleanableDirtyRatio = v }, format: c => String(c.minCleanableDirtyRatio) },
  'min.compaction.lag.ms': { type: ConfigType.LONG, parse: long(0), apply: (c, v) => { c.minCompactionLagMs = v }, format: c => num(c.minCompactionLagMs) },
  'min.insync.replicas': { type: ConfigType.INT, parse: int(1), apply: (c, v) => { c.minInsyncReplicas = v }, format: c => String(c.minInsyncReplicas) },
  preallocate: { type: ConfigType.BOOLEAN, parse: bool, format: () => 'false', noEffect: 'segments grow as written' },
  'remote.storage.enable': { type: ConfigType.BOOLEAN, parse: v => { const b = bool(v); return b === true ? fail('true cannot be honoured: this broker has no tiered storage') : b }, format: () => 'false' },
  'retention.bytes': { type: ConfigType.LONG, parse: long(-1), apply: (c, v) => { c.retentionBytes = v }, format: c => num(c.retentionBytes) },
  'retention.ms': { type: ConfigType.LONG, parse: long(-1), apply: (c, v) => { c.retentionMs = v }, format: c => num(c.retentionMs) },
  'segment.bytes': { type: ConfigType.INT, parse: int(14), apply: (c, v) => { c.segmentBytes = v }, format: c => num(c.segmentBytes) },
  'segment.index.bytes': { type: ConfigType.INT, parse: int(4), apply: (c, v) => { c.segmentIndexBytes = v }, format: c => num(c.segmentIndexBytes) },
  'segment.jitter.ms': { type: ConfigType.LONG, parse: long(0), format: () => '0', noEffect: 'a maximum random jitter; segments roll with none' },
  'segment.ms': { type: ConfigType.LONG, parse: long(1), apply: (c, v) => { c.segmentMs = v }, format: c => num(c.segmentMs) },
  'unclean.leader.election.enable': { type: ConfigType.BOOLEAN, parse: bool, format: () => 'false', noEffect: NO_REPLICAS }
}
