import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the sink received. */
export interface SinkRequest {
  method: string
  /** Path and query, e.g. `/frontend`. */
  path: string
  headers: http.IncomingHttpHeaders
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  body: any
  receivedAt: number
}

export interface SinkReply { status: number, headers?: Record<string, string>, body?: string }

/**
 * A local HTTP server that records every request: the receiving end for webhook notifications
 * (from a real Alertmanager or from Tidewatch's notifier). By default it answers 200; `reply`
 * lets a test answer otherwise (5xx, 429 with Retry-After) to exercise retries.
 */
export class WebhookSink {
  readonly requests: SinkRequest[] = []
  readonly url: string
  readonly #server: http.Server

  private constructor (server: http.Server) {
    this.#server = server
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  static async start (reply: (req: SinkRequest) => SinkReply = () => ({ status: 200 })): Promise<WebhookSink> {
    let sink: WebhookSink | undefined
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try { body = JSON.parse(text) } catch {}
        const received: SinkRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() }
        sink!.requests.push(received)
        const r = reply(received)
        res.writeHead(r.status, r.headers)
        res.end(r.body ?? '')
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    sink = new WebhookSink(server)
    return sink
  }

  /** Requests received on one path, oldest first. */
  at (path: string): SinkRequest[] {
    return this.requests.filter(r => r.path === path)
  }

  async stop (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>(resolve => this.#server.close(() => resolve()))
  }
}
