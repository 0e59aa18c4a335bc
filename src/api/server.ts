import type { FastifyInstance } from 'fastify'
import type { Logger } from '../shared/logger.js'
import { createHttpApp, isLoopback } from './http-app.js'

export interface ApiServerOptions {
  host: string
  port: number
  /** Required when `host` is not a loopback address. */
  token: string | null
  logger: Logger
  /**
   * The routes, all behind the same token (scaling status and metrics, the notifier, the log
   * store, the console), registered before it listens.
   */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[]
  /** Request body cap in bytes (default 1 MiB); a route can set its own lower or higher cap. */
  bodyLimit?: number
}

export interface RunningApiServer { url: string, app: FastifyInstance, close: () => Promise<void> }

/** A mistake in how the API server was asked to listen (e.g. exposed without a token). */
export class ApiConfigError extends Error {}

/**
 * The HTTP API: one server for every part's routes (its plugins) and /healthz. Listens on
 * 127.0.0.1 unless told otherwise; anywhere else every request must carry
 * `Authorization: Bearer TOKEN`.
 */
export async function startApiServer (o: ApiServerOptions): Promise<RunningApiServer> {
  if (!isLoopback(o.host) && (o.token === null || o.token === '')) {
    throw new ApiConfigError(`refusing to serve the API on ${o.host} without a token: set TIDEWATCH_API_TOKEN (or --token), or bind to 127.0.0.1`)
  }
  const app = createHttpApp({ logger: o.logger.child({ part: 'api' }), token: o.token, bodyLimit: o.bodyLimit })
  app.get('/healthz', async () => ({ ok: true }))
  for (const plugin of o.plugins ?? []) await plugin(app)

  await app.listen({ host: o.host, port: o.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : o.port
  const host = o.host.includes(':') ? `[${o.host}]` : o.host
  return { url: `http://${host}:${port}`, app, close: async () => { await app.close() } }
}
