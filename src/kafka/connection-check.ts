// One connection made the way every connection of a client will be (TLS, SASL), and one
// Metadata request on it: how a command finds out at start that its settings are wrong.
import { Cluster } from './cluster.js'
import { ConnectionError, SecurityError, describeAddress, type ConnectionOptions } from './connection.js'

/** Resolves once a bootstrap broker answered Metadata; throws what went wrong (connection-options.ts explains it). */
export async function checkConnection (bootstrap: string[], opts: ConnectionOptions): Promise<void> {
  const cluster = new Cluster(bootstrap, opts)
  try {
    const conn = await cluster.any()
    try {
      await cluster.refreshMetadata([])
    } catch (err) {
      // Kafka answers ApiVersions before authentication and hangs up at the next request.
      if (opts.sasl === undefined && err instanceof ConnectionError && conn.closedByPeer) {
        throw new SecurityError(`${describeAddress(conn.address)} closed the connection at the first request after ApiVersions`, 'sasl-required', { cause: err })
      }
      throw err
    }
  } finally {
    cluster.close()
  }
}
