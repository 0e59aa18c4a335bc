// An output that accepts the connection and never answers: each request is cut by its deadline
// and retried, nothing is committed meanwhile, and the batch is delivered (then committed) as
// soon as the server answers again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { startTempBroker } from './helpers/temp-broker.js'
import { KafkaClient } from '../src/kafka/client.js'
import { loadFunctionConfig } from '../src/functions/config/load.js'
import { Replica } from '../src/functions/replica.js'
import { silentLogger } from '../src/shared/logger.js'
import { run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'

/** A real HTTP server that, while `hanging`, reads each request and never answers it. */
class HungServer {
  hanging = true
  readonly hung: { closed: boolean }[] = []
  readonly answered: unknown[] = []
  readonly #server: http.Server
  url = ''

  constructor () {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        if (this.hanging) {
          const entry = { closed: false }
          this.hung.push(entry)
          res.on('close', () => { entry.closed = true })
          return
        }
        this.answered.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        res.writeHead(200).end()
      })
    })
  }

  async start (): Promise<void> {
    await new Promise<void>(resolve => this.#server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`
  }

  async stop (): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>(resolve => this.#server.close(() => resolve()))
  }
}

test('a webhook that never answers: each request times out and is retried, nothing is committed, and the batch is delivered once the server answers', async () => {
  const broker = await startTempBroker()
  const server = new HungServer()
  await server.start()
  const dir = tempDir()
  const kafka = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'hung' })
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
  fs.writeFileSync(path.join(dir, 'handler.ts'), 'export default async (ctx: any, data: any) => { await ctx.send({ n: data.n }, "hook") }\n')
  fs.writeFileSync(path.join(dir, 'function.yaml'), `name: hung
input: { topic: events, startFrom: earliest }
handler: ./handler.ts
outputs:
  hook:
    type: webhook
    url: ${server.url}
    retry: { timeoutMs: 300, initialBackoffMs: 50, maxBackoffMs: 200 }
`)
  const replica = new Replica({ config: loadFunctionConfig(path.join(dir, 'function.yaml')), kafka, logger: silentLogger() })
  try {
    const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'events', '-p', '0'], { input: [0, 1, 2, 3, 4].map(n => JSON.stringify({ n })).join('\n') + '\n' })
    assert.equal(produced.code, 0, produced.stderr)
    await replica.start()
    const running = replica.run()
    // A new request only comes after the previous one was given up on: three means two timed out.
    await waitFor(() => server.hung.length >= 3, { what: 'three requests to the hung server', timeoutMs: 30_000 })
    await waitFor(() => server.hung.slice(0, 2).every(h => h.closed), { what: 'the client to close the requests it gave up on' })
    assert.equal((await kafka.committedOffsets('hung', 'events')).size, 0, 'nothing is committed while the output hangs')
    assert.equal(replica.stats.sends, 0)

    server.hanging = false
    await waitFor(() => server.answered.flat().length >= 5, { what: 'the batch to be delivered once the server answers', timeoutMs: 30_000 })
    const delivered = server.answered.flat() as { n: number }[]
    assert.deepEqual(delivered.map(p => p.n).sort(), [0, 1, 2, 3, 4], 'the whole batch, once')
    await waitFor(async () => (await kafka.committedOffsets('hung', 'events')).get(0) === 5, { what: 'the offsets to be committed after delivery' })
    replica.stop()
    await running
  } finally {
    replica.stop()
    await kafka.close()
    await server.stop()
    await broker.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
