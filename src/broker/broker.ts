import { createLogger } from '../shared/logger.js'
import { systemClock } from '../shared/clock.js'
import { resolveBrokerOptions, brokerOptionsProblem, type BrokerOptions } from './config.js'
import { BrokerCore } from './core.js'
import { BrokerServer } from './server.js'
import { RequestBudget } from './request-budget.js'
import { SaslAuthenticator } from './sasl/authenticator.js'
import { Secret } from '../shared/secret.js'
import { randomBytes } from 'node:crypto'
import './apis/index.js'

export type { BrokerOptions } from './config.js'

/** A running embedded broker. */
export interface RunningBroker {
  readonly host: string
  readonly port: number
  /** `host:port` for clients' bootstrap servers. */
  readonly bootstrap: string
  /**
   * `127.0.0.1:port` of the plaintext loopback listener for the processes that started the
   * broker, when asked for (`internalListener`); else the same as `bootstrap`.
   */
  readonly internalBootstrap: string
  /**
   * The SCRAM-SHA-256 credential that listener takes, made at random for this run and known
   * only to this process and the children it hands it to (null: no such listener).
   */
  readonly internalCredential: { mechanism: 'SCRAM-SHA-256', username: string, password: Secret } | null
  readonly core: BrokerCore
  close (): Promise<void>
}

/**
 * Opens the data directory (recovering any torn tail left by a crash), then listens.
 * Resolves once clients can connect.
 */
export async function startBroker (options: BrokerOptions): Promise<RunningBroker> {
  const resolved = resolveBrokerOptions(options)
  const problem = brokerOptionsProblem(resolved)
  if (problem !== null) throw new Error(problem)
  const logger = options.logger ?? createLogger('broker')
  const clock = options.clock ?? systemClock
  const core = new BrokerCore(resolved, logger, clock)
  // One request budget for all listeners: a second listener must not double the memory bound.
  const budget = new RequestBudget(resolved.queuedMaxRequestBytes, resolved.requestReceiveTimeoutMs)
  let nextId = 1
  const connectionId = (): number => nextId++
  const server = new BrokerServer(core, logger, budget, { name: 'main', advertisedHost: resolved.advertisedHost, tls: resolved.tls, sasl: core.sasl }, connectionId)
  // The broker's own processes (tidewatch up's replicas, demo, tail) need no certificate, but a
  // listener open to every local user would bypass the SASL and TLS the main port asks of them:
  // it takes one credential, random per run, over SCRAM (the password never crosses the socket).
  const credential = resolved.internalListener && (resolved.tls !== null || resolved.sasl !== null)
    ? { mechanism: 'SCRAM-SHA-256' as const, username: 'tidewatch-internal', password: new Secret(randomBytes(24).toString('base64url')) }
    : null
  const internal = credential === null
    ? null
    : new BrokerServer(core, logger, budget, { name: 'internal', advertisedHost: '127.0.0.1', tls: null, sasl: new SaslAuthenticator({ users: [{ name: credential.username, password: credential.password.reveal() }], mechanisms: [credential.mechanism] }) }, connectionId)
  let port: number
  try {
    port = await server.listen(resolved.host, resolved.port)
    if (internal !== null) await internal.listen('127.0.0.1', 0)
  } catch (err) {
    await server.close().catch(() => {})
    budget.close()
    core.close()
    throw err
  }
  core.port = port
  const retention = setInterval(() => {
    try {
      core.logs.applyRetention(clock.now())
    } catch (err) {
      logger.error({ err }, 'retention failed')
    }
  }, resolved.retentionCheckIntervalMs)
  retention.unref()
  const cleaner = setInterval(() => {
    try {
      core.logs.compact(clock.now())
    } catch (err) {
      logger.error({ err }, 'log compaction failed')
    }
  }, resolved.cleanerIntervalMs)
  cleaner.unref()
  logger.info({ host: resolved.host, port, tls: resolved.tls !== null, sasl: resolved.sasl?.mechanisms ?? null, internalPort: internal?.listener.port, dataDir: resolved.dataDir }, 'broker listening')
  let closing: Promise<void> | null = null
  return {
    host: resolved.host,
    port,
    bootstrap: `${resolved.advertisedHost}:${port}`,
    internalBootstrap: internal === null ? `${resolved.advertisedHost}:${port}` : `127.0.0.1:${internal.listener.port}`,
    internalCredential: credential,
    core,
    close () {
      closing ??= (async () => {
        clearInterval(retention)
        clearInterval(cleaner)
        await Promise.all([server.close(), internal?.close()])
        budget.close()
        core.close()
        logger.info('broker stopped')
      })()
      return closing
    }
  }
}
