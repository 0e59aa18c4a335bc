import type { Logger } from '../shared/logger.js'
import type { Clock } from '../shared/clock.js'

/**
 * Everything the embedded broker can be told. Defaults are chosen for one machine: listen on
 * loopback only, auto-create topics with 10 partitions (the reference scenario's `logs` topic),
 * and make every acknowledged write survive a crash of the broker process.
 */
export interface BrokerOptions {
  /** Interface to listen on. Default 127.0.0.1; use 0.0.0.0 only on a trusted network. */
  host?: string
  /** TCP port; 0 picks a free one. Default 9092. */
  port?: number
  /** Host name given to clients in Metadata. Default: `host`, or 127.0.0.1 when listening on 0.0.0.0. */
  advertisedHost?: string
  /** Where partitions, offsets and topic configs live. Required. */
  dataDir: string
  /** Create unknown topics on Metadata/Produce when the client allows it. Default true. */
  autoCreateTopics?: boolean
  /** Partitions of auto-created topics and of CreateTopics with -1. Default 10. */
  defaultPartitions?: number
  /** Largest request frame accepted; larger frames close the connection. Default 100 MiB (Kafka's socket.request.max.bytes). */
  requestMaxBytes?: number
  /** Largest record batch accepted (topic config `max.message.bytes` overrides). Default 1048588. */
  maxMessageBytes?: number
  /** Segment file size before a new one is rolled. Default 128 MiB. */
  segmentBytes?: number
  /** Delete segments older than this. Default 7 days; -1 keeps forever. */
  retentionMs?: number
  /** Delete oldest segments while a partition is larger than this. Default -1 (no limit). */
  retentionBytes?: number
  /**
   * fsync after this many records. Default: never by count. Every acknowledged write is already
   * in the operating system's page cache, so it survives the broker being killed; fsync adds
   * protection against power loss / kernel crash. 1 means fsync before every acknowledgement.
   */
  flushMessages?: number
  /** fsync at least this often (ms). Default 1000. */
  flushMs?: number
  /** How often retention runs. Default 60 s. */
  retentionCheckIntervalMs?: number
  /** Delay before the first rebalance of an empty group completes (Kafka: group.initial.rebalance.delay.ms). Default 0. */
  initialRebalanceDelayMs?: number
  /** When set, clients must authenticate with SASL/PLAIN as one of these users. */
  saslPlainUsers?: Record<string, string>
  logger?: Logger
  clock?: Clock
}

export type ResolvedBrokerOptions = Required<Omit<BrokerOptions, 'saslPlainUsers' | 'logger' | 'clock' | 'advertisedHost'>> & {
  advertisedHost: string
  saslPlainUsers: Record<string, string> | null
}

export function resolveBrokerOptions (o: BrokerOptions): ResolvedBrokerOptions {
  const host = o.host ?? '127.0.0.1'
  return {
    host,
    port: o.port ?? 9092,
    advertisedHost: o.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host),
    dataDir: o.dataDir,
    autoCreateTopics: o.autoCreateTopics ?? true,
    defaultPartitions: o.defaultPartitions ?? 10,
    requestMaxBytes: o.requestMaxBytes ?? 104_857_600,
    maxMessageBytes: o.maxMessageBytes ?? 1_048_588,
    segmentBytes: o.segmentBytes ?? 128 * 1024 * 1024,
    retentionMs: o.retentionMs ?? 7 * 24 * 3600 * 1000,
    retentionBytes: o.retentionBytes ?? -1,
    flushMessages: o.flushMessages ?? Infinity,
    flushMs: o.flushMs ?? 1000,
    retentionCheckIntervalMs: o.retentionCheckIntervalMs ?? 60_000,
    initialRebalanceDelayMs: o.initialRebalanceDelayMs ?? 0,
    saslPlainUsers: o.saslPlainUsers ?? null
  }
}
