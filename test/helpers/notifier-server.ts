import fs from 'node:fs'
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Clock } from '../../src/shared/clock.js'
import { silentLogger, type Logger } from '../../src/shared/logger.js'
import { registerNotifierRoutes } from '../../src/notifier/api/routes.js'
import { Notifier } from '../../src/notifier/notifier.js'
import type { Backoff } from '../../src/notifier/pipeline/index.js'

/** Tidewatch's notifier with its HTTP API on a free 127.0.0.1 port, as `tidewatch notifier` runs it. */
export class NotifierServer {
  readonly notifier: Notifier
  readonly url: string
  readonly #app: FastifyInstance

  private constructor (notifier: Notifier, app: FastifyInstance, url: string) {
    this.notifier = notifier
    this.#app = app
    this.url = url
  }

  /** `config` is the routing file's text; it is written beside `dataDir` (as `<dataDir>-routing.yml`). */
  static async start (o: { config: string, dataDir: string, clock?: Clock, backoff?: Backoff, maintenanceIntervalMs?: number, logger?: Logger }): Promise<NotifierServer> {
    const file = path.join(path.dirname(o.dataDir), `${path.basename(o.dataDir)}-routing.yml`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, o.config)
    const notifier = await Notifier.start({ configFile: file, dataDir: o.dataDir, logger: o.logger ?? silentLogger(), clock: o.clock, backoff: o.backoff, maintenanceIntervalMs: o.maintenanceIntervalMs })
    const app = Fastify()
    await registerNotifierRoutes(app, notifier)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
    notifier.externalURL = url
    return new NotifierServer(notifier, app, url)
  }

  async close (): Promise<void> {
    await this.#app.close()
    await this.notifier.close()
  }
}

export async function postJson (url: string, body: unknown): Promise<Response> {
  return await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}
