/**
 * The one way Tidewatch makes an HTTP server (fastify): the API and console of `up` and `run`,
 * the standalone notifier, the replicas' alert listener. Each gets the same
 * - token check (`Authorization: Bearer TOKEN`, constant time; routes marked public skip it),
 * - body cap (1 MiB unless a route sets its own) and JSON parsing that refuses documents nested
 *   deeper than MAX_JSON_DEPTH with a 400 (a 100k-deep body would otherwise reach handlers that
 *   walk it recursively and answer 500), and prototype-poisoning keys,
 * - error rendering: 4xx as `{ error }` with the reason, anything unexpected as a logged 500
 *   whose body says only "internal error".
 */
import { timingSafeEqual } from 'node:crypto'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify'
import type { Logger } from '../shared/logger.js'
import { isLoopback } from '../shared/net.js'

export { isLoopback }

export const DEFAULT_BODY_LIMIT = 1024 * 1024
/** Deepest nesting of arrays and objects accepted in a JSON body. */
export const MAX_JSON_DEPTH = 64

export interface HttpAppOptions {
  logger: Logger
  /** Require the token (`Authorization: Bearer TOKEN`, or Basic with it as password: tokenAuthorizes) on every route not marked `config: { public: true }`. */
  token?: string | null
  /** Or any other check of the Authorization header (e.g. a per-run internal credential). */
  authorize?: (authorization: string | undefined) => boolean
  bodyLimit?: number
}

/** True when `header` is exactly `expected`, compared in constant time. */
export function headerEquals (header: string | undefined, expected: string): boolean {
  const given = Buffer.from(header ?? '')
  const want = Buffer.from(expected)
  return given.length === want.length && timingSafeEqual(given, want)
}

/**
 * Whether an Authorization header carries `token`: as `Bearer TOKEN`, or as the password of
 * `Basic` credentials with any user name. Basic is there for shippers whose outputs can send
 * nothing else (Fluent Bit's es and loki outputs: HTTP_User/HTTP_Passwd; Promtail's basic_auth;
 * Fluentd's elasticsearch user/password); the token is the same secret either way.
 */
export function tokenAuthorizes (header: string | undefined, token: string): boolean {
  if (header === undefined) return false
  if (/^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon >= 0 && headerEquals(decoded.slice(colon + 1), token)
  }
  return headerEquals(header, `Bearer ${token}`)
}

export function createHttpApp (o: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimit ?? DEFAULT_BODY_LIMIT
  })
  const token = o.token ?? null
  const authorize = o.authorize ?? (token !== null && token !== '' ? (h: string | undefined) => tokenAuthorizes(h, token) : null)
  if (authorize !== null) {
    app.addHook('onRequest', async (req, reply) => {
      if ((req.routeOptions.config as { public?: boolean } | undefined)?.public === true) return
      if (!authorize(req.headers.authorization)) {
        await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token: send Authorization: Bearer <TIDEWATCH_API_TOKEN> (or Basic auth with the token as password)' })
      }
    })
  }
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      const err = new Error(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`) as FastifyError
      err.statusCode = 400
      done(err, undefined)
      return
    }
    parseJson(req, text, done)
  })
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500
    if (status < 500) return reply.code(status).send({ error: err.message })
    req.log.error({ err, url: req.routeOptions.url }, 'request failed')
    return reply.code(500).send({ error: 'internal error' })
  })
  return app
}

/** Whether arrays/objects nest deeper than `max` in JSON text (strings are skipped); linear. */
export function jsonDepthExceeds (text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) return true } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}
