import type { FastifyInstance } from 'fastify'
import type { Logger } from '../shared/logger.js'
import { parseWholeNumber } from '../shared/numbers.js'
import { createHttpApp, isLoopback } from './http-app.js'
import type { EventLog } from '../scaling/events.js'
import type { FunctionStatus } from '../scaling/function-controller.js'
import { createMetrics } from './metrics.js'

export interface ApiServerOptions {
  host: string
  port: number
  /** Required when `host` is not a loopback address. */
  token: string | null
  logger: Logger
  functions: () => FunctionStatus[]
  events: EventLog
  /**
   * More routes on the same server and behind the same token (the notifier, the log store, the
   * console), registered before it listens.
   */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[]
  /** Request body cap in bytes (default 1 MiB); a route can set its own lower or higher cap. */
  bodyLimit?: number
}

export interface RunningApiServer { url: string, app: FastifyInstance, close: () => Promise<void> }

/** A mistake in how the API server was asked to listen (e.g. exposed without a token). */
export class ApiConfigError extends Error {}

/**
 * The HTTP API: function status, scaling events and Prometheus metrics. Listens on 127.0.0.1
 * unless told otherwise; anywhere else every request must carry `Authorization: Bearer TOKEN`.
 */
export async function startApiServer (o: ApiServerOptions): Promise<RunningApiServer> {
  if (!isLoopback(o.host) && (o.token === null || o.token === '')) {
    throw new ApiConfigError(`refusing to serve the API on ${o.host} without a token: set TIDEWATCH_API_TOKEN (or --token), or bind to 127.0.0.1`)
  }
  const app = createHttpApp({ logger: o.logger.child({ part: 'api' }), token: o.token, bodyLimit: o.bodyLimit })
  const metrics = createMetrics(o.functions, o.events)

  app.get('/healthz', async () => ({ ok: true }))
  app.get('/api/v1/functions', async () => ({ functions: o.functions() }))
  // Rules workloads with their rules (state, last value, alerts); they are listed under functions too.
  app.get('/api/v1/rules', async () => ({ workloads: o.functions().filter(f => f.kind === 'rules') }))
  app.get<{ Params: { name: string } }>('/api/v1/functions/:name', async (req, reply) => {
    const f = o.functions().find(x => x.name === req.params.name)
    if (f === undefined) return await reply.code(404).send({ error: `no function named '${req.params.name}'` })
    return f
  })
  app.get<{ Querystring: { function?: string, after?: string, limit?: string } }>('/api/v1/events', async (req, reply) => {
    const after = req.query.after === undefined ? 0 : parseWholeNumber(req.query.after)
    const limit = req.query.limit === undefined ? 200 : parseWholeNumber(req.query.limit)
    if (after === null) return await reply.code(400).send({ error: `after must be a whole number in decimal digits (an event seq), got '${req.query.after}'` })
    if (limit === null || limit < 1 || limit > 1000) return await reply.code(400).send({ error: `limit must be a whole number from 1 to 1000 in decimal digits, got '${req.query.limit}'` })
    return { events: o.events.list({ function: req.query.function, afterSeq: after, limit }) }
  })
  app.get('/metrics', async (_req, reply) => {
    const body = await metrics.metrics()
    return await reply.header('content-type', metrics.contentType).send(body)
  })

  for (const plugin of o.plugins ?? []) await plugin(app)

  await app.listen({ host: o.host, port: o.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : o.port
  const host = o.host.includes(':') ? `[${o.host}]` : o.host
  return { url: `http://${host}:${port}`, app, close: async () => { await app.close() } }
}
