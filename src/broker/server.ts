import net from 'node:net'
import tls from 'node:tls'
import type { Logger } from '../shared/logger.js'
import type { BrokerCore } from './core.js'
import { Connection } from './connection.js'
import type { RequestBudget } from './request-budget.js'
import type { Listener } from './apis/context.js'
import type { SaslAuthenticator } from './sasl/authenticator.js'

/** How to open one listener. */
export interface ListenerSpec {
  name: string
  advertisedHost: string
  tls: { cert: string | Buffer, key: string | Buffer, ca: string | Buffer | null } | null
  /** Who may connect (SaslAuthenticator with no users: SASL off). */
  sasl: SaslAuthenticator
}

/** A TLS handshake not finished by then is dropped (a connection that never speaks holds a socket). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000

/**
 * One listener: plain TCP, or TLS when given a certificate (then, with a CA, only clients with a
 * certificate it signed get past the handshake). Each accepted socket goes to a Connection,
 * which sees decrypted bytes either way, so framing, the pre-authentication frame limit and the
 * request budget (shared by all listeners) apply alike.
 */
export class BrokerServer {
  #server: net.Server
  #connections = new Set<Connection>()
  #nextId: () => number
  #log: Logger
  /** What the APIs of this listener's connections advertise; the port is set once listening. */
  readonly listener: Listener

  constructor (core: BrokerCore, logger: Logger, budget: RequestBudget, spec: ListenerSpec, nextId: () => number) {
    this.#log = logger
    this.#nextId = nextId
    this.listener = { name: spec.name, advertisedHost: spec.advertisedHost, port: 0, sasl: spec.sasl }
    const accept = (socket: net.Socket): void => {
      const conn = new Connection(socket, core, budget, logger, this.#nextId(), this.listener)
      this.#connections.add(conn)
      socket.on('close', () => this.#connections.delete(conn))
    }
    const t = spec.tls
    if (t === null) {
      this.#server = net.createServer(accept)
      return
    }
    const server = tls.createServer({
      cert: t.cert,
      key: t.key,
      ...(t.ca !== null ? { ca: t.ca, requestCert: true, rejectUnauthorized: true } : {}),
      minVersion: 'TLSv1.2',
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS
    }, accept)
    // A failed handshake (unknown CA either way, no client certificate, not TLS at all) only
    // ends that socket; the reason is OpenSSL's, which carries no secret.
    server.on('tlsClientError', (err, socket) => {
      // A client certificate the CA did not sign is refused by Node after the handshake, which
      // reports only 'socket hang up' and has already let go of the address (so none is
      // logged then): the verification error says what happened.
      const remote = socket.remoteAddress === undefined ? undefined : `${socket.remoteAddress}:${socket.remotePort}`
      const reason = socket.authorizationError !== undefined && socket.authorizationError !== null
        ? `client certificate refused (${String(socket.authorizationError)}): not signed by the CA given to the broker`
        : err.message.trim()
      this.#log.warn({ remote, err: reason }, 'TLS handshake failed')
    })
    this.#server = server
  }

  listen (host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject)
        const addr = this.#server.address() as net.AddressInfo
        this.listener.port = addr.port
        resolve(addr.port)
      })
    })
  }

  get connectionCount (): number { return this.#connections.size }

  async close (): Promise<void> {
    const closed = new Promise<void>(resolve => this.#server.close(() => resolve()))
    for (const c of this.#connections) c.close('broker shutting down')
    await closed
    this.#log.debug({ listener: this.listener.name }, 'listener closed')
  }
}
