// The web console as a fastify plugin for the API server (`tidewatch up` mounts it):
//   GET /                          the single-page console (index.html)
//   GET /context?topic&partition&offset
//                                  the same page; it opens the context view (older generatorURLs)
//   GET /console/<file>            its scripts, styles and icon, from src/console/public
//   GET /console/api/deliveries    delivery status per alert group (only when given the notifier)
// The page is plain ES modules and CSS served as they are, so there is no bundling step; they
// are read from the source folder at each request (a few small files), which also means an
// edited stylesheet shows on reload. Everything else the console shows comes from the APIs
// that are already on this server: /api/v1/* (functions, events, log store) and /api/v2/*
// (the notifier, Alertmanager's API).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { deliveryStatus, type DeliverySource } from '../notifier/status.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route serves no data (the console's own files), so a token check may let it through:
     * the page has to load before it can ask the user for the token.
     */
    public?: boolean
  }
}

export interface ConsoleOptions {
  /** The notifier of this server, for delivery status; without it the console shows alerts only. */
  notifier?: DeliverySource
}

// Compiled to dist/src/console/routes.js; the files stay in the source tree (not compiled).
export const CONSOLE_PUBLIC_DIR = fileURLToPath(new URL('../../../src/console/public/', import.meta.url))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/** Mounts the console on `app` (before it listens). `tidewatch up` passes its notifier. */
export async function registerConsoleRoutes (app: FastifyInstance, opts: ConsoleOptions = {}): Promise<void> {
  const files = listFiles(CONSOLE_PUBLIC_DIR)
  if (!files.includes('index.html')) throw new Error(`the console's files are missing: no index.html in ${CONSOLE_PUBLIC_DIR}`)
  const page = { config: { public: true } }

  app.get('/', page, async (_req, reply) => await sendFile(reply, 'index.html'))
  app.get('/context', page, async (_req, reply) => await sendFile(reply, 'index.html'))
  // One route per file: a request can only ever name a file that was listed here.
  for (const file of files) {
    app.get(`/console/${file}`, page, async (_req, reply) => await sendFile(reply, file))
  }

  const notifier = opts.notifier
  app.get('/console/api/deliveries', async (_req, reply) => {
    if (notifier === undefined) return await reply.code(404).send({ error: 'no notifier runs on this server' })
    return deliveryStatus(notifier)
  })
}

/** The plugin with options, for `startApiServer({ plugins: [consolePlugin({ notifier })] })`. */
export function consolePlugin (opts: ConsoleOptions = {}): (app: FastifyInstance) => Promise<void> {
  return async app => { await registerConsoleRoutes(app, opts) }
}

async function sendFile (reply: FastifyReply, file: string): Promise<FastifyReply> {
  const body = await fs.promises.readFile(path.join(CONSOLE_PUBLIC_DIR, file))
  return await reply
    .header('content-type', CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream')
    // Always revalidate: the console and the server are upgraded together.
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .send(body)
}

/** Files under `dir`, as slash-separated paths relative to it. */
function listFiles (dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])
}
