import type { Socket } from 'node:net'
import type { Logger } from '../shared/logger.js'
import type { BrokerCore } from './core.js'
import type { RequestBudget } from './request-budget.js'
import type { ConnectionInfo, Listener, RequestContext } from './apis/context.js'
import { findApi } from './apis/registry.js'
import { unsupportedApiVersionsResponse } from './apis/18-api-versions.js'
import { Reader, DecodeError } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion } from '../protocol/headers.js'

const PAUSE_AT_FRAMES = 64
const RESUME_AT_FRAMES = 8
const HIGH_WATER_BYTES = 16 * 1024 * 1024

interface Frame { body: Buffer, reserved: number }

/**
 * One client connection: splits the byte stream into size-prefixed frames, and answers them
 * strictly one at a time, in order, as Kafka does (clients rely on responses arriving in request
 * order). Only an unreadable request closes the connection; Kafka-level failures are error codes
 * chosen by the API files.
 *
 * Memory: each frame's declared size is reserved from the broker's RequestBudget when its size
 * prefix arrives, and returned once it is answered; while it does not fit, the socket is paused.
 * Before SASL authentication a frame may be at most saslMaxReceiveBytes (512 KiB), so nobody
 * without a password can make the broker hold more than that per connection.
 */
export class Connection {
  readonly info: ConnectionInfo
  #socket: Socket
  #core: BrokerCore
  #log: Logger
  #budget: RequestBudget
  #pending: Buffer[] = []
  #pendingBytes = 0
  /** Size of the frame being received, prefix included; -1 before its prefix is read. */
  #frameSize = -1
  /** Whether #frameSize is reserved from the budget (else it is waiting for room). */
  #reserved = false
  #waitHandle: object | null = null
  #frames: Frame[] = []
  #pausedForFrames = false
  #busy = false
  #closed = false

  constructor (socket: Socket, core: BrokerCore, budget: RequestBudget, logger: Logger, id: number, listener: Listener) {
    this.#socket = socket
    this.#core = core
    this.#budget = budget
    this.info = {
      id,
      clientHost: socket.remoteAddress ?? '',
      clientId: '',
      authenticated: !listener.sasl.enabled,
      saslMechanism: null,
      exchange: null,
      tls: 'encrypted' in socket,
      principal: null,
      sessionExpiresAt: 0,
      listener
    }
    this.#log = logger.child({ conn: id, remote: `${socket.remoteAddress}:${socket.remotePort}` })
    socket.setNoDelay(true)
    socket.on('data', chunk => this.#onData(chunk))
    socket.on('error', err => this.#log.debug({ err: err.message }, 'socket error'))
    socket.on('close', () => {
      this.#closed = true
      this.#releaseAll()
    })
  }

  get closed (): boolean { return this.#closed }

  close (reason: string): void {
    if (this.#closed) return
    this.#closed = true
    this.#log.warn({ reason }, 'closing connection')
    this.#releaseAll()
    this.#socket.destroy()
  }

  /** Gives back every reservation of this connection (the frame being handled gives back its own). */
  #releaseAll (): void {
    if (this.#waitHandle !== null) this.#budget.cancel(this.#waitHandle)
    this.#waitHandle = null
    this.#budget.doneReceiving(this)
    let bytes = this.#reserved ? this.#frameSize : 0
    for (const f of this.#frames) bytes += f.reserved
    this.#reserved = false
    this.#frameSize = -1
    this.#frames = []
    this.#pending = []
    this.#pendingBytes = 0
    if (bytes > 0) this.#budget.release(bytes)
  }

  #onData (chunk: Buffer): void {
    if (this.#closed) return
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
    this.#parse()
  }

  #parse (): void {
    const opts = this.#core.options
    for (;;) {
      if (this.#frameSize < 0) {
        if (this.#pendingBytes < 4) break
        if (this.#pending[0].length < 4) this.#coalesce()
        const size = this.#pending[0].readInt32BE(0)
        const beforeAuth = !this.info.authenticated
        const limit = beforeAuth ? Math.min(opts.requestMaxBytes, opts.saslMaxReceiveBytes) : opts.requestMaxBytes
        if (size < 8 || size > limit) {
          this.close(beforeAuth
            ? `frame of ${size} bytes before SASL authentication, outside [8, ${limit}] (--sasl-max-receive-bytes)`
            : `frame size ${size} outside [8, ${limit}] (--request-max-bytes)`)
          return
        }
        this.#frameSize = size + 4
        if (!this.#budget.tryReserve(this.#frameSize)) {
          this.#waitHandle = this.#budget.wait(this.#frameSize, () => {
            this.#waitHandle = null
            this.#reserved = true
            this.#parse()
          })
          break
        }
        this.#reserved = true
      }
      if (!this.#reserved) break
      if (this.#pendingBytes < this.#frameSize) {
        this.#budget.startReceiving(this, () => this.close(`request not received within ${opts.requestReceiveTimeoutMs} ms while other connections waited for the request budget (--request-receive-timeout-ms, --queued-max-request-bytes)`))
        break
      }
      this.#budget.doneReceiving(this)
      if (this.#pending.length > 1) this.#coalesce()
      const buf = this.#pending[0]
      this.#frames.push({ body: buf.subarray(4, this.#frameSize), reserved: this.#frameSize })
      const rest = buf.subarray(this.#frameSize)
      this.#pending = rest.length > 0 ? [rest] : []
      this.#pendingBytes = rest.length
      this.#frameSize = -1
      this.#reserved = false
    }
    if (this.#frames.length >= PAUSE_AT_FRAMES) this.#pausedForFrames = true
    this.#updateFlow()
    if (!this.#busy && this.#frames.length > 0) void this.#drain()
  }

  /** Reads from the socket only while the budget has room for our frame and the queue is short. */
  #updateFlow (): void {
    if (this.#closed) return
    const pause = this.#waitHandle !== null || this.#pausedForFrames
    if (pause && !this.#socket.isPaused()) this.#socket.pause()
    else if (!pause && this.#socket.isPaused()) this.#socket.resume()
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
        if (this.#pausedForFrames && this.#frames.length <= RESUME_AT_FRAMES) {
          this.#pausedForFrames = false
          this.#updateFlow()
        }
        try {
          await this.#handle(frame.body)
        } finally {
          this.#budget.release(frame.reserved)
        }
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
    // As Kafka does past connections.max.reauth.ms or a token's exp: only authenticating again is still served.
    if (this.info.sessionExpiresAt > 0 && this.#core.clock.now() >= this.info.sessionExpiresAt && api.allowedBeforeAuth !== true) {
      this.close(`${api.name} after the SASL session expired (--sasl-session-lifetime-ms, or the OAUTHBEARER token's exp); the client did not authenticate again`)
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
