import { isLoopback } from '../shared/net.js'
import type { Logger } from '../shared/logger.js'
import type { Clock } from '../shared/clock.js'
import { MIN_OPEN_FILES } from './log/file-cache.js'
import { defaultMechanisms, type SaslUser } from './sasl/credentials.js'
import { saslProblem, type SaslConfig } from './sasl/authenticator.js'

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
  /** How often compacted topics are cleaned (Kafka: log.cleaner.backoff.ms). Default 15000. */
  cleanerIntervalMs?: number
  /**
   * Delay before the first rebalance of an empty group completes, extended while members keep
   * joining (Kafka: group.initial.rebalance.delay.ms). Default 3000, Kafka's: consumers started
   * together then share one generation instead of a revoke and reassign per newcomer, which
   * clients and their test suites written against Kafka assume. tidewatch up and run use
   * AUTOSCALED_REBALANCE_DELAY_MS instead.
   */
  initialRebalanceDelayMs?: number
  /**
   * When set, clients must authenticate with SASL as one of these users, or with an OAUTHBEARER
   * token `oauthbearer` accepts, by one of these mechanisms (default: PLAIN, SCRAM-SHA-256 and
   * SCRAM-SHA-512 when there are users, OAUTHBEARER with `oauthbearer`). A user's password
   * serves every password mechanism; stored SCRAM credentials (RFC 5803) only their own.
   */
  sasl?: Partial<SaslConfig> & { users: SaslUser[] }
  /** Shorthand for `sasl` with users given as passwords and PLAIN only. */
  saslPlainUsers?: Record<string, string>
  /**
   * Serve TLS instead of plaintext on the listener (PEM contents). With `ca`, every client must
   * present a certificate signed by it (mutual TLS).
   */
  tls?: { cert: string | Buffer, key: string | Buffer, ca?: string | Buffer }
  /**
   * Also listen on 127.0.0.1 (a free port) in plaintext, for the processes on this machine that
   * started the broker (tidewatch up's replicas, demo traffic and tail, which then need no
   * certificates or users of their own): it takes only RunningBroker.internalCredential, a
   * SCRAM-SHA-256 user made at random for the run. Only meaningful with `tls` or `sasl`.
   * Default false.
   */
  internalListener?: boolean
  /**
   * Largest frame a connection may send before it has authenticated (with SASL on); larger ones
   * close it. Default 524288 (Kafka's sasl.server.max.receive.size).
   */
  saslMaxReceiveBytes?: number
  /**
   * How long a SASL session lasts (Kafka's connections.max.reauth.ms): told to the client in
   * SaslAuthenticate; past it, a connection that has not authenticated again is closed at its
   * next request. Default 0: sessions do not expire.
   */
  saslSessionLifetimeMs?: number
  /**
   * Bytes of requests received but not yet answered, across all connections (Kafka's
   * queued.max.request.bytes). A connection whose next request does not fit waits, unread,
   * until others are answered. Default 256 MiB; must be at least requestMaxBytes.
   */
  queuedMaxRequestBytes?: number
  /**
   * While connections wait for that budget, a connection whose request has been arriving for
   * longer than this is closed, so slow senders cannot hold it forever. Default 30000 (a
   * client's own request timeout is 30 s: it has given up on that request by then).
   */
  requestReceiveTimeoutMs?: number
  /** Segment file descriptors kept open at once; others are reopened on use. Default 1000. */
  maxOpenFiles?: number
  /** Partitions one topic may have. Default 10000 (INVALID_PARTITIONS above). */
  maxPartitionsPerTopic?: number
  /** Partitions one CreateTopics request may create in all. Default 10000 (POLICY_VIOLATION above). */
  maxPartitionsPerRequest?: number
  /** Partitions of all topics on this broker. Default 20000 (POLICY_VIOLATION above). */
  maxPartitions?: number
  logger?: Logger
  clock?: Clock
}

/**
 * The initial rebalance delay of the broker that tidewatch up and run embed. Every activation
 * from zero replicas joins an empty group and pays this delay before its first record, and that
 * first alert is what users wait for (~0.1 s from a parked spare), so it is short. A delay long
 * enough to gather cold-started replicas into one generation would be ~1 s (process start and
 * handler load) and would cost every activation that second; with heartbeats every 300 ms the
 * extra rebalance it would save costs the members a fraction of that. Not zero: joins arriving
 * together (a spare and a restarted replica) still share one generation.
 */
export const AUTOSCALED_REBALANCE_DELAY_MS = 100

export type ResolvedBrokerOptions = Required<Omit<BrokerOptions, 'sasl' | 'saslPlainUsers' | 'tls' | 'logger' | 'clock' | 'advertisedHost'>> & {
  advertisedHost: string
  sasl: SaslConfig | null
  tls: { cert: string | Buffer, key: string | Buffer, ca: string | Buffer | null } | null
}

function resolveSasl (o: BrokerOptions): ResolvedBrokerOptions['sasl'] {
  if (o.sasl !== undefined) {
    const { users, oauthbearer } = o.sasl
    return { users, mechanisms: o.sasl.mechanisms ?? defaultMechanisms(users.length > 0, oauthbearer !== undefined), ...(oauthbearer !== undefined ? { oauthbearer } : {}) }
  }
  if (o.saslPlainUsers !== undefined) return { users: Object.entries(o.saslPlainUsers).map(([name, password]) => ({ name, password })), mechanisms: ['PLAIN'] }
  return null
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
    cleanerIntervalMs: o.cleanerIntervalMs ?? 15_000,
    initialRebalanceDelayMs: o.initialRebalanceDelayMs ?? 3000,
    sasl: resolveSasl(o),
    tls: o.tls === undefined ? null : { cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca ?? null },
    internalListener: o.internalListener ?? false,
    saslMaxReceiveBytes: o.saslMaxReceiveBytes ?? 524_288,
    saslSessionLifetimeMs: o.saslSessionLifetimeMs ?? 0,
    queuedMaxRequestBytes: o.queuedMaxRequestBytes ?? 256 * 1024 * 1024,
    requestReceiveTimeoutMs: o.requestReceiveTimeoutMs ?? 30_000,
    maxOpenFiles: o.maxOpenFiles ?? 1000,
    maxPartitionsPerTopic: o.maxPartitionsPerTopic ?? 10_000,
    maxPartitionsPerRequest: o.maxPartitionsPerRequest ?? 10_000,
    maxPartitions: o.maxPartitions ?? 20_000
  }
}

/** Why these options cannot work together, naming the flags, or null. */
export function brokerOptionsProblem (o: ResolvedBrokerOptions): string | null {
  if (o.requestMaxBytes > o.queuedMaxRequestBytes) {
    return `--request-max-bytes (${o.requestMaxBytes}) must not exceed --queued-max-request-bytes (${o.queuedMaxRequestBytes}): a request that large could never be received`
  }
  if (o.maxOpenFiles < MIN_OPEN_FILES) return `--max-open-files must be at least ${MIN_OPEN_FILES}, got ${o.maxOpenFiles}`
  if (o.sasl !== null) {
    const problem = saslProblem(o.sasl, o.host)
    if (problem !== null) return problem
  }
  if (o.defaultPartitions > o.maxPartitionsPerTopic) {
    return `--partitions (${o.defaultPartitions}) must not exceed --max-partitions-per-topic (${o.maxPartitionsPerTopic})`
  }
  return null
}


/**
 * Listening beyond loopback without authentication hands every log line to anyone who can reach
 * the port (and lets them write and delete topics): refused unless explicitly allowed. SASL
 * satisfies it, over TLS or not, and so does mutual TLS (a client certificate the CA signed).
 * Returns why, or null.
 */
export function exposureProblem (host: string, sasl: object | null | undefined, allowUnauthenticated: boolean, mutualTls = false): string | null {
  if (isLoopback(host) || (sasl !== null && sasl !== undefined) || mutualTls || allowUnauthenticated) return null
  return `refusing to listen on ${host} without authentication: anyone who can reach it could read and delete every log. ` +
    'Require SASL (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512) with --sasl-users-file FILE, or OAUTHBEARER with --sasl-oauthbearer-jwks FILE, best over TLS (--tls-cert, --tls-key), or client certificates (--tls-ca), or pass --allow-unauthenticated if this network is trusted'
}

/** Throws exposureProblem's reason, if any. */
export function assertSafeExposure (host: string, sasl: object | null | undefined, allowUnauthenticated: boolean, mutualTls = false): void {
  const problem = exposureProblem(host, sasl, allowUnauthenticated, mutualTls)
  if (problem !== null) throw new Error(problem)
}
