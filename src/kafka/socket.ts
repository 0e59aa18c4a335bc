// The socket under a BrokerConnection: plain TCP, or TLS when the settings ask for it. A plain
// socket reads straight into the frame being assembled (net's onread, see frames.ts); a TLS
// socket cannot, so its 'data' events feed the same FrameReader. Socket failures are sorted
// here into those that retrying cannot fix (a certificate the client does not trust, a client
// certificate the broker wants or refuses: SecurityError) and the rest (ConnectionError).
import net from 'node:net'
import tls from 'node:tls'
import type { FrameReader } from './frames.js'
import { SecurityError } from './sasl.js'

export interface BrokerAddress { host: string, port: number }

export function describeAddress (a: BrokerAddress): string { return `${a.host}:${a.port}` }

/** The connection failed or was closed; the request may or may not have been handled. */
export class ConnectionError extends Error {
  override name = 'ConnectionError'
}

/**
 * The broker ended the connection before it answered ApiVersions, or the TLS handshake: most
 * often a plaintext client at a TLS listener (or the reverse), or one without SASL where SASL
 * is required. Retried like any connection failure inside the consumer; a command checking its
 * settings at start-up reports it instead (cli/kafka-connect.ts).
 */
export class HandshakeClosed extends ConnectionError {
  override name = 'HandshakeClosed'
}

// OpenSSL's verification results for a broker certificate this client cannot trust.
const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_REJECTED', 'INVALID_CA'])

/** A socket error as this client reports it: SecurityError when retrying cannot help. */
export function socketFailure (address: BrokerAddress, err: Error, stage: string): Error {
  const code = (err as NodeJS.ErrnoException).code ?? ''
  const at = describeAddress(address)
  if (UNTRUSTED.has(code)) return new SecurityError(`the TLS certificate of ${at} is not trusted (${code}: ${err.message})`, 'tls-untrusted', { cause: err })
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return new SecurityError(`the TLS certificate of ${at} does not name the host dialled (${err.message})`, 'tls-hostname', { cause: err })
  if (/CERTIFICATE_REQUIRED|PEER_DID_NOT_RETURN_A_CERTIFICATE/.test(code)) return new SecurityError(`${at} requires a client certificate (${code})`, 'tls-client-cert-required', { cause: err })
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|DECRYPT_ERROR)/.test(code)) return new SecurityError(`${at} refused the client certificate (${code})`, 'tls-client-cert-refused', { cause: err })
  const detail = code !== '' && !err.message.includes(code) ? `${code} ${err.message}` : err.message
  return new ConnectionError(`${stage} ${at} failed: ${detail}`, { cause: err })
}

export interface SocketOptions {
  connectTimeoutMs: number
  /** node:tls options (certificate files already read); absent: plain TCP. */
  tls?: tls.ConnectionOptions
}

/** Resolves once connected (and, with TLS, once the handshake verified the broker). */
export async function connectSocket (address: BrokerAddress, o: SocketOptions, reader: FrameReader, unreadable: (err: Error) => void): Promise<net.Socket> {
  return await new Promise<net.Socket>((resolve, reject) => {
    let s: net.Socket
    let ready = 'connect'
    if (o.tls === undefined) {
      s = net.connect({
        host: address.host,
        port: address.port,
        // Reads land in the frame being assembled (see frames.ts) instead of in fresh chunks.
        onread: {
          buffer: () => reader.target(),
          callback: (n: number) => {
            try { reader.wrote(n) } catch (err) { unreadable(err as Error) }
            return true
          }
        }
      })
    } else {
      ready = 'secureConnect'
      // Node checks the certificate against `servername` (default: the host dialled) and
      // sends it as SNI, except to an IP address, which SNI cannot carry.
      const servername = o.tls.servername ?? (net.isIP(address.host) === 0 ? address.host : undefined)
      s = tls.connect({ minVersion: 'TLSv1.2', ...o.tls, host: address.host, port: address.port, ...(servername !== undefined ? { servername } : {}) })
      s.on('data', (chunk: Buffer) => {
        try { reader.push(chunk) } catch (err) { unreadable(err as Error) }
      })
    }
    const timer = setTimeout(() => { s.destroy(); reject(new ConnectionError(`no connection to ${describeAddress(address)} within ${o.connectTimeoutMs} ms`)) }, o.connectTimeoutMs)
    s.once(ready, () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s) })
    s.once('error', err => {
      clearTimeout(timer)
      const failure = socketFailure(address, err, 'connecting to')
      // Reset during the TLS handshake: the other end is not a TLS listener (or dropped us).
      reject(o.tls !== undefined && failure instanceof ConnectionError && /ECONNRESET|EPIPE|before secure TLS|WRONG_VERSION_NUMBER|packet length too long/i.test(`${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`)
        ? new HandshakeClosed(failure.message, { cause: err })
        : failure)
    })
  })
}
