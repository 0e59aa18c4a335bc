/**
 * Alertmanager's v2 HTTP API for the notifier, as a Fastify plugin: alerts in and out, status,
 * and silences. Shapes follow Alertmanager's OpenAPI spec, so its clients (amtool, Prometheus,
 * Grafana, the functions' `alertmanager` output) work unchanged. Bad input gets 400 with a
 * message naming each bad field.
 */
import fs from 'node:fs'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { isMap, isScalar, parseDocument, visit } from 'yaml'
import { z } from 'zod'
import type { LabelSet } from './labels.js'
import { matchesLabels, parseMatchers, type Matcher } from './matchers.js'
import type { Notifier } from './notifier.js'
import { matcherToApi, silenceState } from './silence-match.js'
import { SilenceError, type StoredSilence } from './store/silences.js'
import { compileAnchoredRe2 } from './re2.js'

/** Largest POST body accepted; a storm is better sent as several posts. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024

const VERSION = '0.1.0-tidewatch'

const dateTime = z.string().refine(s => !Number.isNaN(Date.parse(s)), { error: 'expected an RFC 3339 date-time' })
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

function badRequest (reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).type('application/json').send(JSON.stringify(message))
}

/** Repeated `filter=` query values as matchers; throws with the bad one named. */
function filterMatchers (raw: unknown): Matcher[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
  return list.flatMap(s => parseMatchers(String(s)))
}

function flag (raw: unknown, name: string): boolean {
  if (raw === undefined) return true
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new Error(`${name}: expected true or false`)
}

export function gettableSilence (s: StoredSilence, now: number): object {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: new Date(s.updatedAt).toISOString(),
    matchers: s.matchers.map(matcherToApi),
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    createdBy: s.createdBy,
    comment: s.comment
  }
}

/** The routing file as text with every URL and password replaced, for GET /api/v2/status. */
export function redactedConfig (file: string): string {
  let text: string
  try { text = fs.readFileSync(file, 'utf8') } catch { return '' }
  const doc = parseDocument(text)
  visit(doc, {
    Pair (_, pair) {
      const key = isScalar(pair.key) ? String(pair.key.value) : ''
      if (/(url|password|token|secret)$/i.test(key) && isScalar(pair.value)) pair.value.value = '<secret>'
      else if (key === 'headers' && isMap(pair.value)) for (const p of pair.value.items) if (isScalar(p.value)) p.value.value = '<secret>'
    }
  })
  return doc.toString()
}

export async function registerNotifierRoutes (app: FastifyInstance, notifier: Notifier): Promise<void> {
  app.post('/api/v2/alerts', { bodyLimit: MAX_BODY_BYTES }, async (req, reply) => {
    const { problems } = notifier.post(req.body)
    if (problems.length > 0) return await badRequest(reply, problems.map(p => `${p.field}: ${p.message}`).join('; '))
    return await reply.code(200).send()
  })

  app.get<{ Querystring: Record<string, unknown> }>('/api/v2/alerts', async (req, reply) => {
    let matchers: Matcher[]
    let active: boolean, silenced: boolean, inhibited: boolean
    let receiver: RegExp | undefined
    try {
      matchers = filterMatchers(req.query.filter)
      active = flag(req.query.active, 'active')
      silenced = flag(req.query.silenced, 'silenced')
      inhibited = flag(req.query.inhibited, 'inhibited')
      receiver = typeof req.query.receiver === 'string' ? compileAnchoredRe2(req.query.receiver) : undefined
    } catch (err) {
      return await badRequest(reply, (err as Error).message)
    }
    const out = []
    for (const s of notifier.alerts()) {
      const isSilenced = s.silencedBy.length > 0
      const isInhibited = s.inhibitedBy.length > 0
      if (!active && !isSilenced && !isInhibited) continue
      if (!silenced && isSilenced) continue
      if (!inhibited && isInhibited) continue
      if (!matchesLabels(matchers, s.alert.labels)) continue
      if (receiver !== undefined && !s.receivers.some(r => receiver.test(r))) continue
      const a = s.alert
      out.push({
        labels: a.labels,
        annotations: a.annotations,
        receivers: s.receivers.map(name => ({ name })),
        fingerprint: a.fingerprint,
        startsAt: new Date(a.startsAt).toISOString(),
        updatedAt: new Date(a.updatedAt).toISOString(),
        endsAt: new Date(a.endsAt).toISOString(),
        generatorURL: a.generatorURL,
        status: { state: isSilenced || isInhibited ? 'suppressed' : 'active', silencedBy: s.silencedBy, inhibitedBy: s.inhibitedBy }
      })
    }
    return out
  })

  app.get('/api/v2/status', async () => ({
    cluster: { status: 'disabled', peers: [] },
    versionInfo: { version: VERSION, branch: '', buildDate: '', buildUser: '', goVersion: '', revision: '' },
    config: { original: redactedConfig(notifier.config.file) },
    uptime: new Date(notifier.startedAt).toISOString()
  }))

  app.post('/api/v2/silences', async (req, reply) => {
    const parsed = postableSilence.safeParse(req.body)
    if (!parsed.success) return await badRequest(reply, parsed.error.issues.map(i => `${i.path.join('.') || 'silence'}: ${i.message}`).join('; '))
    const s = parsed.data
    try {
      const silenceID = notifier.silences.upsert({ ...s, startsAt: Date.parse(s.startsAt), endsAt: Date.parse(s.endsAt) }, notifier.now())
      return { silenceID }
    } catch (err) {
      if (err instanceof SilenceError) return await reply.code(err.status).type('application/json').send(JSON.stringify(err.message))
      throw err
    }
  })

  app.get<{ Querystring: Record<string, unknown> }>('/api/v2/silences', async (req, reply) => {
    let matchers: Matcher[]
    try { matchers = filterMatchers(req.query.filter) } catch (err) { return await badRequest(reply, (err as Error).message) }
    const now = notifier.now()
    const order = { active: 0, pending: 1, expired: 2 }
    return notifier.silences.list()
      .filter(s => matchesLabels(matchers, equalityLabels(s)))
      .sort((a, b) => order[silenceState(a, now)] - order[silenceState(b, now)] || a.endsAt - b.endsAt)
      .map(s => gettableSilence(s, now))
  })

  app.get<{ Params: { id: string } }>('/api/v2/silence/:id', async (req, reply) => {
    const s = notifier.silences.get(req.params.id)
    if (s === undefined) return await reply.code(404).send()
    return gettableSilence(s, notifier.now())
  })

  app.delete<{ Params: { id: string } }>('/api/v2/silence/:id', async (req, reply) => {
    try {
      notifier.silences.expire(req.params.id, notifier.now())
      return await reply.code(200).send()
    } catch (err) {
      if (err instanceof SilenceError) return await reply.code(err.status).type('application/json').send(JSON.stringify(err.message))
      throw err
    }
  })
}

/** A silence's `name="value"` matchers as labels, what list filters are matched against. */
function equalityLabels (s: StoredSilence): LabelSet {
  return Object.fromEntries(s.matchers.filter(m => m.type === '=').map(m => [m.name, m.value]))
}
