/**
 * Alertmanager's v2 HTTP API for the notifier, as a Fastify plugin: alerts in and out, alert
 * groups, receivers, status and silences, plus the management endpoints `/-/healthy` and
 * `/-/ready`. Shapes follow Alertmanager's OpenAPI spec, so its clients (amtool, Prometheus,
 * Grafana, the functions' `alertmanager` output) work unchanged. Bad input gets 400 with a
 * message naming each bad field; bodies are capped.
 *
 * Mount it on any Fastify app: `await registerNotifierRoutes(app, notifier)`. Authentication is
 * the app's business (a hook on the app, as the API server's token check).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Notifier } from '../notifier.js'
import { SilenceError } from '../store/silences.js'
import { renderStatusConfig } from './status-config.js'
import { DEFAULT_INPUT_LIMITS, overLimit, problemsText, silenceSizeProblems, type InputLimits } from '../input-limits.js'
import { alertFilter, alertPasses, compareSilences, filterMatchers, filterMatches, gettableAlert, gettableSilence, silenceFilterLabels, type AlertFilter } from './shapes.js'

/** Largest `POST /api/v2/alerts` body accepted by default (413 beyond; `limits.max_alerts_body_bytes`). */
export const MAX_ALERTS_BODY_BYTES = DEFAULT_INPUT_LIMITS.maxAlertsBodyBytes

const VERSION = '0.1.0-tidewatch'

const dateTime = z.string({ error: 'required: an RFC 3339 date-time' }).refine(s => !Number.isNaN(Date.parse(s)), { error: 'expected an RFC 3339 date-time' })
const postableSilence = z.object({
  id: z.string().optional(),
  matchers: z.array(z.object({
    name: z.string({ error: 'required' }),
    value: z.string({ error: 'required' }),
    isRegex: z.boolean({ error: 'required (true or false)' }),
    isEqual: z.boolean().optional()
  }), { error: 'expected a list of matchers' }).min(1, { error: 'at least one matcher is required' }),
  startsAt: dateTime,
  endsAt: dateTime,
  createdBy: z.string({ error: 'required' }),
  comment: z.string({ error: 'required' })
}, { error: 'expected a silence object' })

function badRequest (reply: FastifyReply, message: string, code = 400): FastifyReply {
  return reply.code(code).type('application/json').send(JSON.stringify(message))
}

/**
 * A body that cannot be read — over the size limit, not JSON, nested too deep for the parser —
 * is answered 413/400 in the API's own form, naming the limit to raise; anything else is a bug
 * (500, logged by the app).
 */
function bodyErrors (limits: InputLimits, which: 'maxAlertsBodyBytes' | 'maxSilenceBodyBytes') {
  return async (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return await badRequest(reply, `body: over the size limit; ${overLimit(limits, which)}`, 413)
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return await badRequest(reply, `body: ${err.message}`, err.statusCode)
    throw err
  }
}

export interface NotifierRoutesOptions {
  /** Also serve `/-/healthy` and `/-/ready` (default true; leave them out where the app has its own). */
  managementRoutes?: boolean
}

export async function registerNotifierRoutes (app: FastifyInstance, notifier: Notifier, o: NotifierRoutesOptions = {}): Promise<void> {
  if (o.managementRoutes ?? true) {
    app.get('/-/healthy', async () => 'OK')
    app.get('/-/ready', async () => 'OK')
  }

  const limits = notifier.config.inputLimits
  app.post('/api/v2/alerts', { bodyLimit: limits.maxAlertsBodyBytes, errorHandler: bodyErrors(limits, 'maxAlertsBodyBytes') }, async (req, reply) => {
    const { problems } = notifier.post(req.body)
    if (problems.length > 0) return await badRequest(reply, problemsText(problems))
    return await reply.code(200).send()
  })

  app.get<{ Querystring: Record<string, unknown> }>('/api/v2/alerts', async (req, reply) => {
    let f: AlertFilter
    try { f = alertFilter(req.query) } catch (err) { return await badRequest(reply, (err as Error).message) }
    return notifier.alerts().filter(s => alertPasses(s, f)).map(gettableAlert)
  })

  app.get<{ Querystring: Record<string, unknown> }>('/api/v2/alerts/groups', async (req, reply) => {
    let f: AlertFilter
    try { f = alertFilter(req.query) } catch (err) { return await badRequest(reply, (err as Error).message) }
    const status = new Map(notifier.alerts().map(s => [s.alert.fingerprint, s]))
    const out = []
    for (const g of notifier.groups()) {
      if (f.receiver !== undefined && !f.receiver.test(g.receiver)) continue
      // The group's alerts as listed now (resolved ones are gone from the status map).
      const alerts = g.alerts.flatMap(a => {
        const s = status.get(a.fingerprint)
        return s !== undefined && alertPasses(s, { ...f, receiver: undefined }) ? [gettableAlert(s)] : []
      })
      if (alerts.length > 0) out.push({ labels: g.groupLabels, receiver: { name: g.receiver }, alerts })
    }
    return out
  })

  app.get('/api/v2/receivers', async () => [...notifier.config.receivers.keys()].map(name => ({ name })))

  // Rendered once: the config does not change while the notifier runs.
  const original = renderStatusConfig(notifier.config)
  app.get('/api/v2/status', async () => ({
    cluster: { status: 'disabled', peers: [] },
    versionInfo: { version: VERSION, branch: '', buildDate: '', buildUser: '', goVersion: '', revision: '' },
    config: { original },
    uptime: new Date(notifier.startedAt).toISOString()
  }))

  app.post('/api/v2/silences', { bodyLimit: limits.maxSilenceBodyBytes, errorHandler: bodyErrors(limits, 'maxSilenceBodyBytes') }, async (req, reply) => {
    const parsed = postableSilence.safeParse(req.body)
    if (!parsed.success) return await badRequest(reply, parsed.error.issues.slice(0, 10).map(i => `${i.path.join('.') || 'silence'}: ${i.message}`).join('; '))
    const s = parsed.data
    const oversize = silenceSizeProblems(s, limits)
    if (oversize.length > 0) return await badRequest(reply, oversize.join('; '))
    try {
      const silenceID = notifier.silences.upsert({ ...s, startsAt: Date.parse(s.startsAt), endsAt: Date.parse(s.endsAt) }, notifier.now())
      return { silenceID }
    } catch (err) {
      if (err instanceof SilenceError) return await badRequest(reply, err.message, err.status)
      throw err
    }
  })

  app.get<{ Querystring: Record<string, unknown> }>('/api/v2/silences', async (req, reply) => {
    let matchers
    try { matchers = filterMatchers(req.query.filter) } catch (err) { return await badRequest(reply, (err as Error).message) }
    const now = notifier.now()
    return notifier.silences.list()
      .filter(s => filterMatches(matchers, silenceFilterLabels(s)))
      .sort((a, b) => compareSilences(a, b, now))
      .map(s => gettableSilence(s, now))
  })

  app.get<{ Params: { id: string } }>('/api/v2/silence/:id', async (req, reply) => {
    const s = notifier.silences.get(req.params.id)
    if (s === undefined) return await badRequest(reply, `silence ${req.params.id} not found`, 404)
    return gettableSilence(s, notifier.now())
  })

  app.delete<{ Params: { id: string } }>('/api/v2/silence/:id', async (req, reply) => {
    try {
      notifier.silences.expire(req.params.id, notifier.now())
      return await reply.code(200).send()
    } catch (err) {
      if (err instanceof SilenceError) return await badRequest(reply, err.message, err.status)
      throw err
    }
  })
}

/**
 * The routes as a plugin for another app, e.g. the API server of `tidewatch up`:
 * `startApiServer({ …, plugins: [notifierPlugin(notifier)] })`. The management endpoints are
 * left to that app.
 */
export function notifierPlugin (notifier: Notifier, o: NotifierRoutesOptions = { managementRoutes: false }): (app: FastifyInstance) => Promise<void> {
  return async app => { await registerNotifierRoutes(app, notifier, o) }
}
