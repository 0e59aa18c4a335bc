import net from 'node:net'
import { Reader } from '../../src/protocol/reader.js'
import { apiMessages } from '../../src/protocol/generated/index.js'
import { encodeRequestFrame } from '../../src/protocol/headers.js'

/**
 * A minimal Kafka wire client for tests that need to send exact (or deliberately broken) frames.
 * Real clients are used everywhere else.
 */
export class RawClient {
  #socket: net.Socket
  #buf = Buffer.alloc(0)
  #waiters: ((frame: Buffer | null) => void)[] = []
  #frames: Buffer[] = []
  #closed = false
  #correlationId = 1

  private constructor (socket: net.Socket) {
    this.#socket = socket
    socket.on('data', chunk => {
      this.#buf = Buffer.concat([this.#buf, chunk])
      while (this.#buf.length >= 4) {
        const size = this.#buf.readInt32BE(0)
        if (this.#buf.length < 4 + size) break
        this.#deliver(this.#buf.subarray(4, 4 + size))
        this.#buf = this.#buf.subarray(4 + size)
      }
    })
    socket.on('close', () => {
      this.#closed = true
      for (const w of this.#waiters.splice(0)) w(null)
    })
    socket.on('error', () => {})
  }

  static connect (port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => { s.off('error', reject); resolve(new RawClient(s)) })
      s.once('error', reject)
    })
  }

  get closed (): boolean { return this.#closed }

  #deliver (frame: Buffer): void {
    const w = this.#waiters.shift()
    if (w !== undefined) w(frame)
    else this.#frames.push(frame)
  }

  /** Sends bytes as they are (a whole frame including its size prefix, or garbage). */
  sendRaw (bytes: Buffer): void { this.#socket.write(bytes) }

  /** Next response frame (without the size prefix), or null when the broker closed the connection. */
  nextFrame (): Promise<Buffer | null> {
    const f = this.#frames.shift()
    if (f !== undefined) return Promise.resolve(f)
    if (this.#closed) return Promise.resolve(null)
    return new Promise(resolve => this.#waiters.push(resolve))
  }

  /** Resolves once the broker has closed the connection. */
  waitClosed (): Promise<void> {
    if (this.#closed) return Promise.resolve()
    return new Promise(resolve => this.#socket.once('close', () => resolve()))
  }

  /** Encodes a request frame with the generated codec. */
  static frame (apiKey: number, version: number, body: unknown, correlationId = 1, clientId = 'raw-test'): Buffer {
    return encodeRequestFrame(apiKey, version, body, correlationId, clientId)
  }

  /** Sends a request and decodes the response body (after the response header). */
  async request (apiKey: number, version: number, body: unknown): Promise<any> {
    const correlationId = this.#correlationId++
    this.sendRaw(RawClient.frame(apiKey, version, body, correlationId))
    const frame = await this.nextFrame()
    if (frame === null) throw new Error('connection closed by broker')
    const r = new Reader(frame)
    const got = r.readInt32()
    if (got !== correlationId) throw new Error(`correlation id ${got}, expected ${correlationId}`)
    const flexible = apiKey !== 18 && apiMessages[apiKey].flexibleFrom >= 0 && version >= apiMessages[apiKey].flexibleFrom
    if (flexible) r.skipTaggedFields()
    return apiMessages[apiKey].decodeResponse(r, version)
  }

  close (): void { this.#socket.destroy() }
}
