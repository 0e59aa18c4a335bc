import type { SaslExchange } from '../sasl/exchange.js'
import type { BrokerCore } from '../core.js'
import type { SaslAuthenticator } from '../sasl/authenticator.js'

/** A listener of the broker, as its connections' APIs need to know it. */
export interface Listener {
  readonly name: string
  /** Host and port that Metadata, FindCoordinator and DescribeCluster advertise on it. */
  readonly advertisedHost: string
  port: number
  /**
   * The users and mechanisms its connections authenticate with: the broker's (core.sasl) on the
   * main listener; on the loopback listener for the broker's own processes, a credential made
   * for this run alone.
   */
  readonly sasl: SaslAuthenticator
}

/** Who is on the other end of a connection, as far as the APIs need to know. */
export interface ConnectionInfo {
  readonly id: number
  readonly clientHost: string
  clientId: string
  /** True once SASL succeeded, or always when SASL is off. */
  authenticated: boolean
  /** Mechanism agreed by SaslHandshake, awaiting SaslAuthenticate. */
  saslMechanism: string | null
  /** An exchange between its SaslAuthenticate requests (SCRAM's two, OAUTHBEARER's error challenge). */
  exchange: SaslExchange | null
  /** Whether the connection came over TLS (for logs). */
  readonly tls: boolean
  principal: string | null
  /** When the SASL session ends unless the client authenticates again (KIP-368), ms since the epoch; 0: never. */
  sessionExpiresAt: number
  readonly listener: Listener
}

export interface RequestContext {
  readonly core: BrokerCore
  readonly connection: ConnectionInfo
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
}
