// A connection to one Kafka broker speaking Tidewatch's own codec (src/protocol): one request at
// a time, each with a deadline, for the requests the client library's objects would make too
// costly or hide (raw Fetch of undecodable batches, Produce of batches the collector built).
import net from 'node:net'
import { Reader } from '../protocol/reader.js'
import { apiMessages } from '../protocol/generated/index.js'
import { encodeRequestFrame } from '../protocol/headers.js'

const API_VERSIONS = 18

/** A socket speaking one request at a time, with a deadline on each answer. */
export class BrokerConnection {
  readonly #socket: net.Socket
  #buf = Buffer.alloc(0)
  #pending: { resolve: (frame: Buffer) => void, reject: (err: Error) => void } | null = null
  #failure: Error | null = null
  #correlationId = 0

  private constructor (socket: net.Socket) {
    this.#socket = socket
    socket.on('data', chunk => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
      if (this.#buf.length < 4) return
      const size = this.#buf.readInt32BE(0)
      if (this.#buf.length < 4 + size) return
      const frame = this.#buf.subarray(4, 4 + size)
      this.#buf = Buffer.alloc(0)
      const p = this.#pending
      this.#pending = null
      p?.resolve(frame)
    })
    const fail = (err: Error): void => {
      this.#failure ??= err
      const p = this.#pending
      this.#pending = null
      p?.reject(this.#failure)
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('the broker closed the connection')))
  }

  static async open (host: string, port: number, timeoutMs: number): Promise<BrokerConnection> {
    return await new Promise((resolve, reject) => {
      const socket = net.connect({ host, port })
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`)) }, timeoutMs)
      socket.once('connect', () => { clearTimeout(timer); socket.removeListener('error', reject); resolve(new BrokerConnection(socket)) })
      socket.once('error', err => { clearTimeout(timer); reject(err) })
    })
  }

  async request (apiKey: number, version: number, body: unknown, clientId: string, timeoutMs: number): Promise<any> {
    if (this.#failure !== null) throw this.#failure
    const correlationId = ++this.#correlationId
    const frame = encodeRequestFrame(apiKey, version, body, correlationId, clientId)
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => { this.#pending = null; reject(new Error(`no answer to ${apiMessages[apiKey].name} within ${timeoutMs} ms`)) }, timeoutMs)
      this.#pending = { resolve: f => { clearTimeout(timer); resolve(f) }, reject: e => { clearTimeout(timer); reject(e) } }
      this.#socket.write(frame)
    })
    const r = new Reader(answer)
    if (r.readInt32() !== correlationId) throw new Error('the broker answered another request')
    // ApiVersions answers with header v0 whatever its version; others use v1 when flexible.
    const m = apiMessages[apiKey]
    if (apiKey !== API_VERSIONS && m.flexibleFrom >= 0 && version >= m.flexibleFrom) r.skipTaggedFields()
    return m.decodeResponse(r, version)
  }

  /** Whether the connection failed (closed, reset); a failed one is replaced, never reused. */
  get failed (): boolean { return this.#failure !== null }

  /** The highest version of `apiKey` in [min, max] the broker serves (asked once per connection). */
  async negotiate (apiKey: number, min: number, max: number, clientId: string, timeoutMs: number): Promise<number> {
    this.#versions ??= await this.request(API_VERSIONS, 0, {}, clientId, timeoutMs) as { apiKeys: { apiKey: number, minVersion: number, maxVersion: number }[] }
    const served = this.#versions.apiKeys.find(k => k.apiKey === apiKey)
    const version = served === undefined ? -1 : Math.min(max, served.maxVersion)
    if (served === undefined || version < Math.max(min, served.minVersion)) throw new Error(`the broker serves no ${apiMessages[apiKey].name} version between ${min} and ${max}`)
    return version
  }

  #versions: { apiKeys: { apiKey: number, minVersion: number, maxVersion: number }[] } | null = null

  close (): void { this.#socket.destroy() }
}
