import type { FastifyInstance } from 'fastify'
import { parseWholeNumber } from '../shared/numbers.js'
import type { EventLog } from '../scaling/events.js'
import type { FunctionStatus } from '../scaling/function-controller.js'
import { createMetrics } from './metrics.js'

/**
 * The autoscaler's read side as a plugin of the API server, like the notifier's, the log store's
 * and the console's: workload status (functions and rules), scaling events and Prometheus
 * metrics. For `startApiServer({ plugins: [scalingPlugin({ functions, events })] })`.
 */
export function scalingPlugin (o: { functions: () => FunctionStatus[], events: EventLog }): (app: FastifyInstance) => void {
  return app => {
    const metrics = createMetrics(o.functions, o.events)
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
  }
}
