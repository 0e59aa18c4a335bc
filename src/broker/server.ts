import net from 'node:net'
import type { Logger } from '../shared/logger.js'
import type { BrokerCore } from './core.js'
import { Connection } from './connection.js'
import { RequestBudget } from './request-budget.js'

/** The TCP listener: accepts connections and hands each to a Connection. */
export class BrokerServer {
  #server: net.Server
  #connections = new Set<Connection>()
  #nextId = 1
  #log: Logger
  /** Request bytes received and not yet answered, across all connections. */
  readonly budget: RequestBudget

  constructor (core: BrokerCore, logger: Logger) {
    this.#log = logger
    this.budget = new RequestBudget(core.options.queuedMaxRequestBytes, core.options.requestReceiveTimeoutMs)
    this.#server = net.createServer(socket => {
      const conn = new Connection(socket, core, this.budget, logger, this.#nextId++)
      this.#connections.add(conn)
      socket.on('close', () => this.#connections.delete(conn))
    })
  }

  listen (host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject)
        const addr = this.#server.address() as net.AddressInfo
        resolve(addr.port)
      })
    })
  }

  get connectionCount (): number { return this.#connections.size }

  async close (): Promise<void> {
    const closed = new Promise<void>(resolve => this.#server.close(() => resolve()))
    for (const c of this.#connections) c.close('broker shutting down')
    await closed
    this.budget.close()
    this.#log.debug('listener closed')
  }
}
