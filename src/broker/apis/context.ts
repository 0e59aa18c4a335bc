import type { BrokerCore } from '../core.js'

/** Who is on the other end of a connection, as far as the APIs need to know. */
export interface ConnectionInfo {
  readonly id: number
  readonly clientHost: string
  clientId: string
  /** True once SASL succeeded, or always when SASL is off. */
  authenticated: boolean
  /** Mechanism agreed by SaslHandshake, awaiting SaslAuthenticate. */
  saslMechanism: string | null
  principal: string | null
}

export interface RequestContext {
  readonly core: BrokerCore
  readonly connection: ConnectionInfo
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
}
