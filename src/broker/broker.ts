import { createLogger } from '../shared/logger.js'
import { systemClock } from '../shared/clock.js'
import { resolveBrokerOptions, brokerOptionsProblem, type BrokerOptions } from './config.js'
import { BrokerCore } from './core.js'
import { BrokerServer } from './server.js'
import './apis/index.js'

export type { BrokerOptions } from './config.js'

/** A running embedded broker. */
export interface RunningBroker {
  readonly host: string
  readonly port: number
  /** `host:port` for clients' bootstrap servers. */
  readonly bootstrap: string
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
  const server = new BrokerServer(core, logger)
  let port: number
  try {
    port = await server.listen(resolved.host, resolved.port)
  } catch (err) {
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
  logger.info({ host: resolved.host, port, dataDir: resolved.dataDir }, 'broker listening')
  let closing: Promise<void> | null = null
  return {
    host: resolved.host,
    port,
    bootstrap: `${resolved.advertisedHost}:${port}`,
    core,
    close () {
      closing ??= (async () => {
        clearInterval(retention)
        await server.close()
        core.close()
        logger.info('broker stopped')
      })()
      return closing
    }
  }
}
