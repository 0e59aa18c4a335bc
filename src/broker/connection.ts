import type { Socket } from 'node:net'
import type { Logger } from '../shared/logger.js'
import type { BrokerCore } from './core.js'
import type { ConnectionInfo, RequestContext } from './apis/context.js'
import { findApi } from './apis/registry.js'
import { unsupportedApiVersionsResponse } from './apis/18-api-versions.js'
import { Reader, DecodeError } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion } from '../protocol/headers.js'

const PAUSE_AT_FRAMES = 64
const RESUME_AT_FRAMES = 8
const HIGH_WATER_BYTES = 16 * 1024 * 1024

/**
 * One client connection: splits the byte stream into size-prefixed frames, and answers them
 * strictly one at a time, in order, as Kafka does (clients rely on responses arriving in request
 * order). Only an unreadable request closes the connection; Kafka-level failures are error codes
 * chosen by the API files.
 */
export class Connection {
  readonly info: ConnectionInfo
  #socket: Socket
  #core: BrokerCore
  #log: Logger
  #pending: Buffer[] = []
  #pendingBytes = 0
  #frameSize = -1
  #frames: Buffer[] = []
  #busy = false
  #closed = false

  constructor (socket: Socket, core: BrokerCore, logger: Logger, id: number) {
    this.#socket = socket
    this.#core = core
    this.info = {
      id,
      clientHost: socket.remoteAddress ?? '',
      clientId: '',
      authenticated: core.options.saslPlainUsers === null,
      saslMechanism: null,
      principal: null
    }
    this.#log = logger.child({ conn: id, remote: `${socket.remoteAddress}:${socket.remotePort}` })
    socket.setNoDelay(true)
    socket.on('data', chunk => this.#onData(chunk))
    socket.on('error', err => this.#log.debug({ err: err.message }, 'socket error'))
    socket.on('close', () => { this.#closed = true })
  }

  get closed (): boolean { return this.#closed }

  close (reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#log.warn({ reason }, 'closing connection')
    this.#socket.destroy()
  }

  #onData (chunk: Buffer): void {
    if (this.#closed) return
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
    for (;;) {
      if (this.#frameSize < 0) {
        if (this.#pendingBytes < 4) break
        if (this.#pending[0].length < 4) this.#coalesce()
        const size = this.#pending[0].readInt32BE(0)
        if (size < 8 || size > this.#core.options.requestMaxBytes) {
          this.close(`frame size ${size} outside [8, ${this.#core.options.requestMaxBytes}] (requestMaxBytes)`)
          return
        }
        this.#frameSize = size + 4
      }
      if (this.#pendingBytes < this.#frameSize) break
      if (this.#pending.length > 1) this.#coalesce()
      const buf = this.#pending[0]
      this.#frames.push(buf.subarray(4, this.#frameSize))
      const rest = buf.subarray(this.#frameSize)
      this.#pending = rest.length > 0 ? [rest] : []
      this.#pendingBytes = rest.length
      this.#frameSize = -1
    }
    if (this.#frames.length >= PAUSE_AT_FRAMES) this.#socket.pause()
    if (!this.#busy && this.#frames.length > 0) void this.#drain()
  }

  #coalesce (): void {
    const all = Buffer.concat(this.#pending, this.#pendingBytes)
    this.#pending = [all]
  }

  async #drain (): Promise<void> {
    this.#busy = true
    try {
      while (this.#frames.length > 0 && !this.#closed) {
        const frame = this.#frames.shift()!
        if (this.#frames.length <= RESUME_AT_FRAMES && this.#socket.isPaused()) this.#socket.resume()
        await this.#handle(frame)
        if (this.#socket.writableLength > HIGH_WATER_BYTES) {
          await new Promise<void>(resolve => {
            const done = (): void => { this.#socket.off('drain', done); this.#socket.off('close', done); resolve() }
            this.#socket.on('drain', done)
            this.#socket.on('close', done)
          })
        }
      }
    } finally {
      this.#busy = false
    }
  }

  async #handle (frame: Buffer): Promise<void> {
    const r = new Reader(frame)
    let header
    try {
      header = decodeRequestHeader(r)
    } catch (err) {
      this.close(`unreadable request header: ${(err as Error).message}`)
      return
    }
    this.info.clientId = header.clientId ?? ''
    const api = findApi(header.apiKey)
    if (api === undefined) {
      this.close(`unknown API key ${header.apiKey}`)
      return
    }
    if (header.apiVersion < api.minVersion || header.apiVersion > api.maxVersion) {
      if (header.apiKey === 18) {
        // Clients probe ApiVersions with their newest version; a v0 body with
        // UNSUPPORTED_VERSION and our ranges tells them which one to retry with.
        this.#send(header.correlationId, 0, w => unsupportedApiVersionsResponse(w))
        return
      }
      this.close(`${api.name} v${header.apiVersion} not supported (serves v${api.minVersion}-v${api.maxVersion})`)
      return
    }
    if (!this.info.authenticated && api.allowedBeforeAuth !== true) {
      this.close(`${api.name} before SASL authentication`)
      return
    }
    let request
    try {
      request = api.decodeRequest(r, header.apiVersion)
    } catch (err) {
      if (err instanceof DecodeError || err instanceof RangeError) {
        this.#log.debug({ frame: frame.subarray(0, 256).toString('hex') }, 'unreadable request')
        this.close(`unreadable ${api.name} v${header.apiVersion} request: ${err.message}`)
        return
      }
      throw err
    }
    const ctx: RequestContext = {
      core: this.#core,
      connection: this.info,
      apiKey: header.apiKey,
      apiVersion: header.apiVersion,
      correlationId: header.correlationId
    }
    let response
    try {
      response = await api.handle(ctx, request, header.apiVersion)
    } catch (err) {
      this.#log.error({ err, api: api.name, version: header.apiVersion }, 'request handler failed')
      this.close(`${api.name} handler failed`)
      return
    }
    if (response === null || this.#closed) return
    const headerVersion = responseHeaderVersion(header.apiKey, header.apiVersion)
    this.#send(header.correlationId, headerVersion, w => api.encodeResponse(w, header.apiVersion, response))
  }

  #send (correlationId: number, headerVersion: number, body: (w: Writer) => void): void {
    const w = new Writer()
    encodeResponseHeader(w, headerVersion, correlationId)
    body(w)
    const chunks = w.toChunks()
    const size = Buffer.allocUnsafe(4)
    size.writeInt32BE(w.length, 0)
    const s = this.#socket
    s.cork()
    s.write(size)
    for (const c of chunks) s.write(c)
    process.nextTick(() => s.uncork())
  }
}
