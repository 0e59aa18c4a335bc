// The log store's HTTP API as one fastify plugin, for the main API server to mount:
//   GET  /api/v1/topics                                              topics, partitions, offsets
//   GET  /api/v1/search?topic&q&regex&field=k=v&from&to&limit        NDJSON, newest first
//   GET  /api/v1/topics/:topic/partitions/:p/offsets/:o/context      records around one record
//   POST /api/v1/ingest/:topic                                       JSON array / object / NDJSON
// Registered through app.register, so its body parser and error handler stay inside this
// plugin; the server's own hooks (the API token) still apply to every route here.
import { Readable } from 'node:stream'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { BrokerCore } from '../broker/core.js'
import { LogStoreError } from './errors.js'
import { parseSearchParams, type SearchParams } from './search-query.js'
import { startSearch, type SearchBudget, type SearchLine } from './search.js'
import { parseContextParams, readContext } from './context.js'
import { decodeContentEncoding, parseIngestBody, DEFAULT_INGEST_MAX_RECORDS } from './ingest-body.js'
import { ingestRecords } from './ingest.js'
import { EmbeddedStore } from './embedded-store.js'
import type { TopicStore } from './topic-store.js'

/** Default largest ingest request body (after gzip decoding too): 8 MiB. */
export const DEFAULT_INGEST_MAX_BYTES = 8 * 1024 * 1024

export interface LogStoreRoutesOptions {
  /** Where the records are: a TopicStore (a cluster's), or the embedded broker's core. */
  store?: TopicStore
  core?: BrokerCore
  /** Largest ingest body in bytes, compressed and decompressed. Default 8 MiB. */
  ingestMaxBytes?: number
  /** Most records in one ingest request. Default 100,000. */
  ingestMaxRecords?: number
  /** Scan limits per search; defaults in DEFAULT_SEARCH_BUDGET. */
  searchBudget?: Partial<SearchBudget>
}

/** Mounts the log store routes on `app` (call before app.listen / app.ready). */
export function registerLogStoreRoutes (app: FastifyInstance, opts: LogStoreRoutesOptions): void {
  void app.register(logStoreRoutes, opts)
}

/** The store the options name: `store`, or the embedded broker's over `core`. */
export function storeOf (opts: { store?: TopicStore, core?: BrokerCore }): TopicStore {
  if (opts.store !== undefined) return opts.store
  if (opts.core === undefined) throw new Error('the log store needs a store or the broker core')
  return new EmbeddedStore(opts.core)
}

/** The plugin itself, for `app.register(logStoreRoutes, { store })`. */
export async function logStoreRoutes (app: FastifyInstance, opts: LogStoreRoutesOptions): Promise<void> {
  const store = storeOf(opts)
  const ingestMaxBytes = opts.ingestMaxBytes ?? DEFAULT_INGEST_MAX_BYTES
  app.setErrorHandler((err: FastifyError, req, reply) => renderError(err, req, reply, ingestMaxBytes))

  app.get('/api/v1/topics', async () => ({
    topics: (await store.listTopics()).map(t => ({
      name: t.name,
      partitions: t.partitions.map(p => ({
        partition: p.partition,
        logStartOffset: p.logStartOffset,
        logEndOffset: p.logEndOffset,
        records: p.logEndOffset - p.logStartOffset,
        sizeBytes: p.sizeBytes
      }))
    })).sort((a, b) => a.name.localeCompare(b.name))
  }))

  app.get<{ Querystring: SearchParams }>('/api/v1/search', async (req, reply) => {
    const query = parseSearchParams(req.query)
    const abort = new AbortController()
    // Stop scanning as soon as the client goes away (the search may be reading for seconds).
    reply.raw.on('close', () => abort.abort())
    const lines = await startSearch(store, query, { budget: opts.searchBudget, signal: abort.signal })
    return await reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(Readable.from(ndjson(lines, req)))
  })

  app.get<{ Params: { topic: string, partition: string, offset: string }, Querystring: { before?: string, after?: string, samePod?: string } }>(
    '/api/v1/topics/:topic/partitions/:partition/offsets/:offset/context',
    async req => await readContext(store, parseContextParams(req.params, req.query))
  )

  // Ingest parses its own body: the raw bytes are needed to undo gzip, to tell NDJSON from JSON,
  // and to name the line of a syntax error. A nested scope keeps this parser to this route.
  await app.register(async scope => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ingestMaxBytes }, (_req, body, done) => { done(null, body) })
    scope.post<{ Params: { topic: string }, Body: Buffer | undefined }>('/api/v1/ingest/:topic', { bodyLimit: ingestMaxBytes }, async req => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      const body = decodeContentEncoding(raw, req.headers['content-encoding'], ingestMaxBytes)
      const records = parseIngestBody(body.toString('utf8'), req.headers['content-type'], store.now(), opts.ingestMaxRecords ?? DEFAULT_INGEST_MAX_RECORDS)
      return await ingestRecords(store, req.params.topic, records)
    })
  })
}

async function * ndjson (lines: AsyncGenerator<SearchLine>, req: FastifyRequest): AsyncGenerator<string> {
  try {
    for await (const line of lines) yield JSON.stringify(line) + '\n'
  } catch (err) {
    // Headers are gone already; say what happened on the stream's last line.
    req.log.error({ err }, 'search failed while streaming')
    yield JSON.stringify({ type: 'error', error: err instanceof LogStoreError ? err.message : 'internal error while searching' }) + '\n'
  }
}

async function renderError (err: FastifyError, req: FastifyRequest, reply: FastifyReply, ingestMaxBytes: number): Promise<void> {
  if (err instanceof LogStoreError) return await reply.code(err.status).send(err.toJSON())
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return await reply.code(413).send({ error: `the request body is larger than the ingest limit of ${ingestMaxBytes} bytes; send smaller requests`, field: 'body' })
  }
  const status = err.statusCode ?? 500
  if (status < 500) return await reply.code(status).send({ error: err.message })
  req.log.error({ err }, 'log store request failed')
  return await reply.code(500).send({ error: 'internal error' })
}
