import { createLogger } from '../shared/logger.js'
import { systemClock } from '../shared/clock.js'
import { resolveBrokerOptions, brokerOptionsProblem, type BrokerOptions } from './config.js'
import { BrokerCore } from './core.js'
import { BrokerServer } from './server.js'
import { RequestBudget } from './request-budget.js'
import './apis/index.js'

export type { BrokerOptions } from './config.js'

/** A running embedded broker. */
export interface RunningBroker {
  readonly host: string
  readonly port: number
  /** `host:port` for clients' bootstrap servers. */
  readonly bootstrap: string
  /**
   * `127.0.0.1:port` of the plaintext loopback listener that needs no SASL, when asked for
   * (`internalListener`); else the same as `bootstrap`.
   */
  readonly internalBootstrap: string
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
  const server = new BrokerServer(core, logger, budget, { name: 'main', advertisedHost: resolved.advertisedHost, tls: resolved.tls, trusted: false }, connectionId)
  const internal = resolved.internalListener && (resolved.tls !== null || resolved.sasl !== null)
    ? new BrokerServer(core, logger, budget, { name: 'internal', advertisedHost: '127.0.0.1', tls: null, trusted: true }, connectionId)
    : null
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
