// SASL on a connection of Tidewatch's own client, after ApiVersions: SaslHandshake v1 names the
// mechanism, then SaslAuthenticate carries its messages (KIP-152) — one for PLAIN (RFC 4616)
// and OAUTHBEARER (RFC 7628), two for SCRAM-SHA-256/512 (scram-client.ts). The same exchange
// runs again on a connection whose session the broker limited (KIP-368, connection.ts).
import { ErrorCode, errorCodeName } from '../protocol/error-codes.js'
import { isScramMechanism } from '../protocol/scram.js'
import type { ClientConnectionOptions } from './connection-options.js'
import { ScramClient, ScramProtocolError } from './scram-client.js'

const SASL_HANDSHAKE = 17
const SASL_AUTHENTICATE = 36

export type SaslCredentials = NonNullable<ClientConnectionOptions['sasl']>

/** Why the broker refused this client, or this client the broker; retrying the same settings will not help. */
export type SecurityReason =
  | 'sasl-credentials' | 'sasl-mechanism' | 'sasl-not-enabled' | 'sasl-server-proof' | 'sasl-token' | 'sasl-required'
  | 'tls-untrusted' | 'tls-hostname' | 'tls-client-cert-required' | 'tls-client-cert-refused'

/** TLS or SASL refused: not a transient failure, so the consumer does not retry it (group-member.ts). */
export class SecurityError extends Error {
  override name = 'SecurityError'
  constructor (message: string, readonly reason: SecurityReason, options?: { cause?: unknown }) { super(message, options) }
}

/** What SASL needs of a connection: the two requests it sends, at versions the broker serves. */
export interface SaslTransport {
  version: (apiKey: number, min: number, max: number) => number
  request: (apiKey: number, version: number, body: unknown) => Promise<any>
}

interface AuthenticateResponse { errorCode: number, errorMessage: string | null, authBytes: Buffer, sessionLifetimeMs?: number }

/**
 * Authenticates the connection with `sasl`; resolves with the session lifetime the broker gave
 * (0: it does not expire). Throws SecurityError when the broker or the client refuses.
 */
export async function saslAuthenticate (conn: SaslTransport, sasl: SaslCredentials): Promise<number> {
  const mechanism = sasl.mechanism
  // v0 of SaslHandshake switches to raw SASL frames, which no current broker needs.
  const hs = await conn.request(SASL_HANDSHAKE, conn.version(SASL_HANDSHAKE, 1, 1), { mechanism }) as { errorCode: number, mechanisms: string[] }
  if (hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) throw new SecurityError(`the broker does not offer SASL ${mechanism} (it offers ${hs.mechanisms.join(', ') || 'none'})`, 'sasl-mechanism')
  if (hs.errorCode === ErrorCode.ILLEGAL_SASL_STATE) throw new SecurityError('the broker does not use SASL on this listener', 'sasl-not-enabled')
  if (hs.errorCode !== ErrorCode.NONE) throw new SecurityError(`SaslHandshake refused: ${errorCodeName(hs.errorCode)}`, 'sasl-credentials')
  const version = conn.version(SASL_AUTHENTICATE, 0, 2)
  const step = async (authBytes: Buffer): Promise<AuthenticateResponse> => {
    const res = await conn.request(SASL_AUTHENTICATE, version, { authBytes }) as AuthenticateResponse
    if (res.errorCode !== ErrorCode.NONE) {
      const reason = mechanism === 'OAUTHBEARER' ? 'sasl-token' : 'sasl-credentials'
      throw new SecurityError(`SASL ${mechanism} authentication failed: ${res.errorMessage ?? errorCodeName(res.errorCode)}`, reason)
    }
    return res
  }
  let last: AuthenticateResponse
  if (mechanism === 'PLAIN') {
    last = await step(Buffer.from(`\u0000${sasl.username ?? ''}\u0000${sasl.password?.() ?? ''}`, 'utf8'))
  } else if (isScramMechanism(mechanism)) {
    const scram = new ScramClient(mechanism, sasl.username ?? '', sasl.password?.() ?? '')
    try {
      const serverFirst = await step(scram.first())
      last = await step(scram.final(serverFirst.authBytes))
      scram.verify(last.authBytes)
    } catch (err) {
      if (err instanceof ScramProtocolError) throw new SecurityError(`SASL ${mechanism}: ${err.message}`, 'sasl-server-proof')
      throw err
    }
  } else {
    const token = await sasl.token!()
    last = await step(Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001\u0001`, 'utf8'))
    if (last.authBytes.length > 0) {
      // RFC 7628 3.2.2: a refusal comes as a JSON challenge; the client answers with a single
      // %x01 and the broker then fails the exchange.
      const status = statusOf(last.authBytes)
      await step(Buffer.from([1])).catch(() => {})
      throw new SecurityError(`SASL OAUTHBEARER authentication failed: the broker refused the token (${status})`, 'sasl-token')
    }
  }
  return Math.max(0, Number(last.sessionLifetimeMs ?? 0))
}

function statusOf (challenge: Buffer): string {
  try {
    const status = (JSON.parse(challenge.toString('utf8')) as { status?: unknown }).status
    return typeof status === 'string' ? status.slice(0, 100) : 'no status'
  } catch {
    return 'an unreadable challenge'
  }
}
