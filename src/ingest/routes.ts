// The shippers' ingest APIs as one fastify plugin, mounted on `tidewatch up`'s port like the log
// store's (so the API token, when one is set, applies to every route here):
//   Elasticsearch  GET / (see answerElasticsearchRoot), /_cluster/health, /_cluster/state/version,
//                  POST|PUT /_bulk, /<index>/_bulk — also under /elasticsearch/… for shippers
//                  given a path prefix
//   Loki           POST /loki/api/v1/push            (protobuf+snappy, JSON)
//   OTLP/HTTP      POST /v1/logs                      (protobuf, JSON)
// Each parses its own body (raw bytes: gzip, snappy and protobuf need them), capped at
// `maxBytes` before and after decompression and at `maxRecords` records, and stores through
// append.ts into `topic`.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { BrokerCore } from '../broker/core.js'
import { LogStoreError } from '../logstore/errors.js'
import { decodeContentEncoding, DEFAULT_INGEST_MAX_RECORDS } from '../logstore/ingest-body.js'
import { DEFAULT_INGEST_MAX_BYTES, storeOf } from '../logstore/routes.js'
import type { TopicStore } from '../logstore/topic-store.js'
import { appendAccepted } from './append.js'
import { ES_HEADERS, bulkResponse, clusterHealth, clusterStateVersion, parseBulk, rootInfo } from './elasticsearch.js'
import { parseLokiJson, parseLokiProtobuf } from './loki.js'
import { otlpResponse, parseOtlpJson, parseOtlpProtobuf } from './otlp.js'

export const DEFAULT_INGEST_TOPIC = 'logs'

export interface IngestRoutesOptions {
  /** Where records are stored: a TopicStore (a cluster's), or the embedded broker's core. */
  store?: TopicStore
  core?: BrokerCore
  /** Topic every API writes to (default `logs`). */
  topic?: string
  /** Largest body in bytes, compressed and decompressed (default 8 MiB, as the log store's ingest). */
  maxBytes?: number
  /** Most records per request (default 100,000). */
  maxRecords?: number
}

type Req = FastifyRequest<{ Body: Buffer | undefined, Params: { index?: string } }>

function mime (req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
}

function isProtobuf (req: FastifyRequest): boolean {
  const m = mime(req)
  return m === 'application/x-protobuf' || m === 'application/protobuf'
}

function isJson (req: FastifyRequest): boolean {
  const m = mime(req)
  return m === 'application/json' || m === ''
}

export async function ingestRoutes (app: FastifyInstance, opts: IngestRoutesOptions): Promise<void> {
  const store = storeOf(opts)
  const topic = opts.topic ?? DEFAULT_INGEST_TOPIC
  const maxBytes = opts.maxBytes ?? DEFAULT_INGEST_MAX_BYTES
  const maxRecords = opts.maxRecords ?? DEFAULT_INGEST_MAX_RECORDS
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => { done(null, body) })
  app.setErrorHandler((err: FastifyError, req, reply) => renderError(err, req, reply, maxBytes))
  const body = (req: Req): Buffer => {
    try {
      return decodeContentEncoding(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers['content-encoding'], maxBytes)
    } catch (err) {
      // The log store's message, with the setting that raises the limit here.
      if (err instanceof LogStoreError && err.status === 413) throw new LogStoreError(413, `the gzip body expands to more than the ingest limit of ${maxBytes} bytes (ingest.maxBytes); send smaller requests`, 'body')
      throw err
    }
  }

  // Elasticsearch, at the root and under /elasticsearch.
  for (const prefix of ['', '/elasticsearch']) {
    if (prefix !== '') {
      // fastify answers HEAD for every GET route.
      for (const path of [prefix, `${prefix}/`]) app.get(path, async (_req, reply) => await reply.headers(ES_HEADERS).send(rootInfo()))
    }
    app.get(`${prefix}/_cluster/health`, async (_req, reply) => await reply.headers(ES_HEADERS).send(clusterHealth()))
    app.get(`${prefix}/_cluster/state/version`, async (_req, reply) => await reply.headers(ES_HEADERS).send(clusterStateVersion()))
    const bulk = async (req: Req, reply: FastifyReply): Promise<void> => {
      const started = Date.now()
      reply.headers(ES_HEADERS)
      const items = parseBulk(body(req).toString('utf8'), req.params.index ?? topic, store.now(), maxRecords)
      const problems = await appendAccepted(store, topic, items.map(i => i.error === null ? i.record : null))
      await reply.send(bulkResponse(items, items.map((it, i) => it.error === null ? problems[i] : null), Date.now() - started))
    }
    for (const path of [`${prefix}/_bulk`, `${prefix}/:index/_bulk`]) {
      app.post(path, { bodyLimit: maxBytes }, bulk)
      app.put(path, { bodyLimit: maxBytes }, bulk)
    }
  }

  app.post('/loki/api/v1/push', { bodyLimit: maxBytes }, async (req: Req, reply) => {
    const now = store.now()
    let records
    if (isProtobuf(req)) records = parseLokiProtobuf(body(req), maxBytes, now, maxRecords)
    else if (isJson(req)) records = parseLokiJson(body(req).toString('utf8'), now, maxRecords)
    else throw new LogStoreError(415, `Content-Type '${req.headers['content-type'] ?? ''}' is not accepted: Loki push takes application/x-protobuf (snappy) or application/json`, 'content-type')
    const problems = await appendAccepted(store, topic, records)
    const refused = problems.filter(p => p !== null)
    // Loki has no per-entry answer: an entry that can never be stored fails the request (400,
    // which clients do not retry) after the others were stored.
    if (refused.length > 0) throw new LogStoreError(400, `${refused.length} of ${records.length} entries were not stored: ${refused[0]}`, 'body')
    await reply.code(204).send()
  })

  app.post('/v1/logs', { bodyLimit: maxBytes }, async (req: Req, reply) => {
    const now = store.now()
    const protobuf = isProtobuf(req)
    let records
    if (protobuf) records = parseOtlpProtobuf(body(req), now, maxRecords)
    else if (isJson(req)) records = parseOtlpJson(body(req).toString('utf8'), now, maxRecords)
    else throw new LogStoreError(415, `Content-Type '${req.headers['content-type'] ?? ''}' is not accepted: OTLP/HTTP takes application/x-protobuf or application/json`, 'content-type')
    const problems = await appendAccepted(store, topic, records)
    const refused = problems.filter(p => p !== null)
    const answer = otlpResponse(protobuf, refused.length, refused[0] ?? '')
    await reply.header('content-type', protobuf ? 'application/x-protobuf' : 'application/json').send(answer)
  })
}

/**
 * The Elasticsearch handshake on `GET /` of the whole server, for clients that do not ask for
 * HTML (a browser opening `/` still gets the console). `/` is the console's public page, which
 * the server's token check skips, so `authorize` (null: no token set) is checked here.
 */
export function answerElasticsearchRoot (app: FastifyInstance, authorize: ((authorization: string | undefined) => boolean) | null): void {
  app.addHook('onRequest', async (req, reply) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.url !== '/') return
    if ((req.headers.accept ?? '').includes('text/html')) return
    if (authorize !== null && !authorize(req.headers.authorization)) {
      await reply.code(401).headers({ ...ES_HEADERS, 'www-authenticate': 'Bearer' }).send({ error: 'missing or wrong token: send Authorization: Bearer <TIDEWATCH_API_TOKEN> (or Basic auth with the token as password)' })
      return
    }
    await reply.headers(ES_HEADERS).send(req.method === 'HEAD' ? undefined : rootInfo())
  })
}

async function renderError (err: FastifyError, req: FastifyRequest, reply: FastifyReply, maxBytes: number): Promise<void> {
  if (req.url.includes('_bulk') || req.url.includes('_cluster')) reply.headers(ES_HEADERS)
  if (err instanceof LogStoreError) return await reply.code(err.status).send(err.toJSON())
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return await reply.code(413).send({ error: `the request body is larger than the ingest limit of ${maxBytes} bytes (ingest.maxBytes); send smaller requests`, field: 'body' })
  }
  const status = err.statusCode ?? 500
  if (status < 500) return await reply.code(status).send({ error: err.message })
  req.log.error({ err }, 'ingest request failed')
  return await reply.code(500).send({ error: 'internal error' })
}
