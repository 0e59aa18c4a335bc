// One connection to one broker, speaking Tidewatch's own Kafka codec (src/protocol). Every socket
// the consumer and the batch producer open is made by openConnection, so connection settings
// have exactly one place to go: TLS (socket.ts) and SASL after ApiVersions (sasl.ts). Requests
// are pipelined: Kafka answers the requests of one connection in the order they were sent.
import type net from 'node:net'
import type tls from 'node:tls'
import { Reader } from '../protocol/reader.js'
import { apiMessages } from '../protocol/generated/index.js'
import { encodeRequestChunks, responseHeaderVersion } from '../protocol/headers.js'
import { FrameReader } from './frames.js'
import { saslAuthenticate, SecurityError, type SaslCredentials } from './sasl.js'
import { connectSocket, ConnectionError, describeAddress, HandshakeClosed, socketFailure, type BrokerAddress } from './socket.js'

export { ConnectionError, HandshakeClosed, describeAddress, type BrokerAddress } from './socket.js'
export { SecurityError, type SecurityReason } from './sasl.js'

const API_VERSIONS = 18

export interface ConnectionOptions {
  clientId: string
  /** Connecting (with TLS: the handshake too) gives up after this long. Default 10 s. */
  connectTimeoutMs?: number
  /**
   * A request not answered within this long (plus the wait a Fetch asks the broker for) fails
   * the connection and every request on it. Default 30 s.
   */
  requestTimeoutMs?: number
  /** TLS, as node:tls options with the certificate files read (connection-options.ts); absent: plaintext. */
  tls?: tls.ConnectionOptions
  /** SASL after ApiVersions; absent: none. */
  sasl?: SaslCredentials
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000

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

/**
 * Connects to `address`, learns which API versions the broker serves, and authenticates with
 * SASL when the options say so. Throws SecurityError when TLS or SASL refuse (retrying the
 * same settings cannot help), HandshakeClosed when the broker hung up before ApiVersions was
 * answered, ConnectionError otherwise.
 */
export async function openConnection (address: BrokerAddress, opts: ConnectionOptions): Promise<BrokerConnection> {
  const reader = new FrameReader()
  let failed: (err: Error) => void = () => {}
  const socket = await connectSocket(address, { connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, tls: opts.tls }, reader, err => failed(err))
  socket.setNoDelay(true)
  const conn = new BrokerConnection(address, socket, reader, opts)
  failed = err => conn.fail(new ConnectionError(`unreadable data from ${describeAddress(address)}: ${err.message}`))
  try {
    let res: { errorCode: number, apiKeys: { apiKey: number, minVersion: number, maxVersion: number }[] }
    try {
      res = await conn.request(API_VERSIONS, 0, {})
    } catch (err) {
      if (err instanceof ConnectionError && conn.closedByPeer) throw new HandshakeClosed(`${describeAddress(address)} closed the connection before answering ApiVersions`, { cause: err })
      throw err
    }
    if (res.errorCode !== 0) throw new ConnectionError(`${describeAddress(address)} refused ApiVersions (error ${res.errorCode})`)
    conn.setVersions(res.apiKeys)
    if (opts.sasl !== undefined) conn.authenticated(await saslAuthenticate(conn.saslTransport, opts.sasl))
  } catch (err) {
    conn.close()
    throw err
  }
  return conn
}

/**
 * When to authenticate again in a session the broker limited (KIP-368): at 85-95% of its
 * lifetime, spread so that a client's connections do not all do it at once, as Kafka's Java
 * client does.
 */
export function reauthenticateAfterMs (sessionLifetimeMs: number, random = Math.random()): number {
  return Math.max(0, Math.floor(sessionLifetimeMs * (0.85 + 0.1 * random)))
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
  #closedByPeer = false
  #correlationId = 0
  readonly #sasl: SaslCredentials | undefined
  /** While set, a reauthentication is under way and other requests wait for it. */
  #gate: Promise<void> | null = null
  #reauthTimer: NodeJS.Timeout | undefined
  /** How many times this connection authenticated again within its session (KIP-368). */
  reauthentications = 0

  /** `reader` is fed by the socket (onread), or by 'data' events for sockets that need them. */
  constructor (address: BrokerAddress, socket: net.Socket, reader: FrameReader, opts: ConnectionOptions) {
    this.address = address
    this.#socket = socket
    this.#clientId = opts.clientId
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.#sasl = opts.sasl
    reader.onFrame = frame => this.#deliver(frame)
    // A TLS alert after the handshake (TLS 1.3 reports a missing client certificate so) is a
    // SecurityError like one during it.
    socket.on('error', err => this.#lost(socketFailure(address, err, 'the connection to')))
    socket.on('close', () => this.#lost(new ConnectionError(`${describeAddress(address)} closed the connection`)))
  }

  get closed (): boolean { return this.#failure !== null }

  /** Whether the broker (or the network) ended the connection, rather than this client. */
  get closedByPeer (): boolean { return this.#closedByPeer }

  #lost (err: Error): void {
    if (this.#failure === null) this.#closedByPeer = true
    this.fail(err)
  }

  /** What SASL sends its requests through: past the reauthentication gate. */
  get saslTransport (): { version: BrokerConnection['version'], request: (apiKey: number, version: number, body: unknown) => Promise<any> } {
    return { version: (k, min, max) => this.version(k, min, max), request: async (k, v, body) => await this.#send(k, v, body, 0) }
  }

  /** SASL succeeded with this session lifetime (0: unlimited); authenticates again before it ends. */
  authenticated (sessionLifetimeMs: number): void {
    clearTimeout(this.#reauthTimer)
    if (sessionLifetimeMs <= 0 || this.#sasl === undefined || this.#failure !== null) return
    this.#reauthTimer = setTimeout(() => { this.#reauthenticate() }, reauthenticateAfterMs(sessionLifetimeMs))
    this.#reauthTimer.unref()
  }

  // The exchange goes on this connection between other requests: the broker answers in order,
  // so what was sent before is answered first; what is asked meanwhile waits for the new session.
  #reauthenticate (): void {
    if (this.#failure !== null || this.#sasl === undefined) return
    this.#gate = saslAuthenticate(this.saslTransport, this.#sasl).then(lifetime => {
      this.reauthentications++
      this.authenticated(lifetime)
    }, (err: Error) => {
      this.fail(err instanceof SecurityError || err instanceof ConnectionError ? err : new ConnectionError(`authenticating again with ${describeAddress(this.address)} failed: ${err.message}`))
    }).finally(() => { this.#gate = null })
  }

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
    while (this.#gate !== null) await this.#gate
    return await this.#send(apiKey, version, body, extraTimeoutMs)
  }

  async #send (apiKey: number, version: number, body: unknown, extraTimeoutMs: number): Promise<any> {
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
    clearTimeout(this.#reauthTimer)
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
