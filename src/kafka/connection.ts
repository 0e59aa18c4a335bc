// One connection to one broker, speaking Tidewatch's own Kafka codec (src/protocol). Every socket
// the consumer opens is made by openConnection, so connection settings — TLS and SASL, which
// issue 16.2 adds — have exactly one place to go. Requests are pipelined: Kafka answers the
// requests of one connection in the order they were sent.
import net from 'node:net'
import { Reader } from '../protocol/reader.js'
import { apiMessages } from '../protocol/generated/index.js'
import { encodeRequestChunks, responseHeaderVersion } from '../protocol/headers.js'
import { FrameReader } from './frames.js'

const API_VERSIONS = 18

export interface BrokerAddress { host: string, port: number }

export interface ConnectionOptions {
  clientId: string
  /** Connecting gives up after this long. Default 10 s. */
  connectTimeoutMs?: number
  /**
   * A request not answered within this long (plus the wait a Fetch asks the broker for) fails
   * the connection and every request on it. Default 30 s.
   */
  requestTimeoutMs?: number
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

/** The connection failed or was closed; the request may or may not have been handled. */
export class ConnectionError extends Error {
  override name = 'ConnectionError'
}

/** The broker serves no version of an API in the range this client speaks. */
export class UnsupportedVersionError extends Error {
  override name = 'UnsupportedVersionError'
}

interface Pending {
  apiKey: number
  version: number
  resolve: (value: unknown) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

export function describeAddress (a: BrokerAddress): string { return `${a.host}:${a.port}` }

/**
 * Connects to `address` and learns which API versions the broker serves. A TLS socket cannot
 * read into a given buffer (net's onread): for one, feed `reader.push` from its 'data' events;
 * SASL's handshake and authentication belong here too, after ApiVersions.
 */
export async function openConnection (address: BrokerAddress, opts: ConnectionOptions): Promise<BrokerConnection> {
  const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const reader = new FrameReader()
  let failed: (err: Error) => void = () => {}
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({
      host: address.host,
      port: address.port,
      // Reads land in the frame being assembled (see frames.ts) instead of in fresh chunks.
      onread: {
        buffer: () => reader.target(),
        callback: (n: number) => {
          try { reader.wrote(n) } catch (err) { failed(err as Error) }
          return true
        }
      }
    })
    const timer = setTimeout(() => { s.destroy(); reject(new ConnectionError(`no connection to ${describeAddress(address)} within ${timeoutMs} ms`)) }, timeoutMs)
    s.once('connect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s) })
    s.once('error', err => { clearTimeout(timer); reject(new ConnectionError(`cannot connect to ${describeAddress(address)}: ${err.message}`)) })
  })
  socket.setNoDelay(true)
  const conn = new BrokerConnection(address, socket, reader, opts)
  failed = err => conn.fail(new ConnectionError(`unreadable data from ${describeAddress(address)}: ${err.message}`))
  try {
    const res = await conn.request(API_VERSIONS, 0, {}) as { errorCode: number, apiKeys: { apiKey: number, minVersion: number, maxVersion: number }[] }
    if (res.errorCode !== 0) throw new ConnectionError(`${describeAddress(address)} refused ApiVersions (error ${res.errorCode})`)
    conn.setVersions(res.apiKeys)
  } catch (err) {
    conn.close()
    throw err
  }
  return conn
}

export class BrokerConnection {
  readonly address: BrokerAddress
  readonly #socket: net.Socket
  readonly #clientId: string
  readonly #requestTimeoutMs: number
  readonly #pending = new Map<number, Pending>()
  readonly #versions = new Map<number, { min: number, max: number }>()
  readonly #closeListeners: (() => void)[] = []
  #failure: Error | null = null
  #correlationId = 0

  /** `reader` is fed by the socket (onread), or by 'data' events for sockets that need them. */
  constructor (address: BrokerAddress, socket: net.Socket, reader: FrameReader, opts: ConnectionOptions) {
    this.address = address
    this.#socket = socket
    this.#clientId = opts.clientId
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    reader.onFrame = frame => this.#deliver(frame)
    socket.on('error', err => this.fail(new ConnectionError(`connection to ${describeAddress(address)} failed: ${err.message}`)))
    socket.on('close', () => this.fail(new ConnectionError(`${describeAddress(address)} closed the connection`)))
  }

  get closed (): boolean { return this.#failure !== null }

  /** Called once when the connection fails or is closed. */
  onClose (listener: () => void): void {
    if (this.#failure !== null) listener()
    else this.#closeListeners.push(listener)
  }

  setVersions (keys: { apiKey: number, minVersion: number, maxVersion: number }[]): void {
    for (const k of keys) this.#versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion })
  }

  /** The highest version of `apiKey` both this client (`min`..`max`) and the broker speak. */
  version (apiKey: number, min: number, max: number): number {
    const served = this.#versions.get(apiKey)
    const v = served === undefined ? -1 : Math.min(max, served.max)
    if (served === undefined || v < Math.max(min, served.min)) {
      const range = served === undefined ? 'none' : `${served.min}-${served.max}`
      throw new UnsupportedVersionError(`${describeAddress(this.address)} serves ${apiMessages[apiKey]?.name ?? `API ${apiKey}`} versions ${range}; Tidewatch speaks ${min}-${max}`)
    }
    return v
  }

  /** Sends one request and resolves with the decoded response body. */
  async request (apiKey: number, version: number, body: unknown, extraTimeoutMs = 0): Promise<any> {
    if (this.#failure !== null) throw this.#failure
    const correlationId = this.#correlationId = (this.#correlationId + 1) | 0
    const chunks = encodeRequestChunks(apiKey, version, body, correlationId, this.#clientId)
    return await new Promise((resolve, reject) => {
      const timeoutMs = this.#requestTimeoutMs + extraTimeoutMs
      const timer = setTimeout(() => {
        this.fail(new ConnectionError(`${describeAddress(this.address)} did not answer ${apiMessages[apiKey].name} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#pending.set(correlationId, { apiKey, version, resolve, reject, timer })
      // A Produce request's record batches go out as they are (one vectored write), not copied
      // into one frame first: copying was a tenth of the collector's time (bench:tail).
      if (chunks.length <= 2) this.#socket.write(Buffer.concat(chunks))
      else {
        this.#socket.cork()
        for (const c of chunks) this.#socket.write(c)
        this.#socket.uncork()
      }
    })
  }

  close (): void {
    this.fail(new ConnectionError(`the connection to ${describeAddress(this.address)} was closed`))
  }

  /** Fails every request in flight with `err` and closes the socket. */
  fail (err: Error): void {
    if (this.#failure !== null) return
    this.#failure = err
    this.#socket.destroy()
    for (const p of this.#pending.values()) { clearTimeout(p.timer); p.reject(err) }
    this.#pending.clear()
    for (const l of this.#closeListeners.splice(0)) l()
  }

  #deliver (frame: Buffer): void {
    if (this.#failure !== null) return
    if (frame.length < 4) { this.fail(new ConnectionError(`${describeAddress(this.address)} sent a frame of ${frame.length} bytes`)); return }
    const correlationId = frame.readInt32BE(0)
    const p = this.#pending.get(correlationId)
    if (p === undefined) {
      this.fail(new ConnectionError(`${describeAddress(this.address)} answered a request that was not sent (correlation id ${correlationId})`))
      return
    }
    this.#pending.delete(correlationId)
    clearTimeout(p.timer)
    const r = new Reader(frame, 4)
    try {
      if (responseHeaderVersion(p.apiKey, p.version) === 1) r.skipTaggedFields()
      p.resolve(apiMessages[p.apiKey].decodeResponse(r, p.version))
    } catch (err) {
      p.reject(new ConnectionError(`unreadable ${apiMessages[p.apiKey].name} v${p.version} response from ${describeAddress(this.address)}: ${(err as Error).message}`))
    }
  }
}
