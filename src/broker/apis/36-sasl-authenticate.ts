// SaslAuthenticate (key 36): v0-2.
// - v1+ session lifetime: --sasl-session-lifetime-ms (Kafka's connections.max.reauth.ms;
//   default 0, the session does not expire), and for OAUTHBEARER at most until the token's exp,
//   as Kafka computes it; v2 flexible.
// Reauthentication (KIP-368): an authenticated connection may run SaslHandshake and
// SaslAuthenticate again, as the same user; past its session's end it may do nothing else.
// Behaviour: the mechanism SaslHandshake agreed.
// - PLAIN (RFC 4616): one request, authzid NUL authcid NUL password; the password is compared
//   in constant time.
// - SCRAM-SHA-256/512 (RFC 5802, 7677): two requests, client-first then client-final; the
//   broker proves it knows the credential too (server-final).
// - OAUTHBEARER (RFC 7628): one request with the token (a JWT, sasl/jwt.ts); a refused token
//   gets the error challenge {"status":"invalid_token"}, and the client's %x01 after it fails.
// A failure is SASL_AUTHENTICATION_FAILED with one message whatever was wrong (unknown user,
// wrong password, malformed exchange; a refused token's error JSON); the connection stays
// unauthenticated, and any other request on it closes it. Secrets and tokens are never logged.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { ScramExchange } from '../sasl/scram.js'
import { OAuthBearerExchange } from '../sasl/oauthbearer.js'
import { AUTHENTICATION_FAILED } from '../sasl/exchange.js'
import type { ScramMechanism } from '../sasl/credentials.js'
import type { RequestContext } from './context.js'
import { decodeSaslAuthenticateRequest } from '../../protocol/generated/sasl-authenticate-request.js'
import { encodeSaslAuthenticateResponse, type SaslAuthenticateResponseInput } from '../../protocol/generated/sasl-authenticate-response.js'

const EMPTY = Buffer.alloc(0)

const ok = (authBytes: Buffer, sessionLifetimeMs = 0): SaslAuthenticateResponseInput => ({ errorCode: ErrorCode.NONE, errorMessage: null, authBytes, sessionLifetimeMs })
const refused = (errorCode: number, errorMessage: string): SaslAuthenticateResponseInput => ({ errorCode, errorMessage, authBytes: EMPTY, sessionLifetimeMs: 0 })

/**
 * Marks the connection authenticated as `user`; the session lifetime to answer with: the
 * configured one, cut to the credential's own end (a token's exp) when that comes first.
 */
function authenticated (ctx: RequestContext, user: string, credentialExpiresAt?: number): number {
  const now = ctx.core.clock.now()
  const configured = ctx.core.options.saslSessionLifetimeMs
  // At least 1 ms: 0 would tell the client the session never ends.
  const untilExpiry = credentialExpiresAt === undefined ? 0 : Math.max(1, credentialExpiresAt - now)
  const limits = [configured, untilExpiry].filter(ms => ms > 0)
  const lifetime = limits.length === 0 ? 0 : Math.min(...limits)
  ctx.connection.authenticated = true
  ctx.connection.principal = user
  ctx.connection.saslMechanism = null
  ctx.connection.exchange = null
  ctx.connection.sessionExpiresAt = lifetime > 0 ? now + lifetime : 0
  return lifetime
}

/** A second authentication on one connection must be the same user's (KIP-368). */
const switchesUser = (ctx: RequestContext, user: string): boolean => ctx.connection.principal !== null && ctx.connection.principal !== user

function logRefusal (ctx: RequestContext, mechanism: string, user: string, reason: string): void {
  ctx.core.logger.warn({ user, mechanism, reason, conn: ctx.connection.id, tls: ctx.connection.tls }, 'SASL authentication failed')
}

function failed (ctx: RequestContext, mechanism: string, user: string, reason: string, message: string, logged = false): SaslAuthenticateResponseInput {
  if (!logged) logRefusal(ctx, mechanism, user, reason)
  ctx.connection.saslMechanism = null
  ctx.connection.exchange = null
  return refused(ErrorCode.SASL_AUTHENTICATION_FAILED, message)
}

function plain (ctx: RequestContext, authBytes: Buffer): SaslAuthenticateResponseInput {
  const parts = authBytes.toString('utf8').split('\u0000')
  const [authzid = '', user = '', password = ''] = parts
  const good = parts.length === 3 && (authzid === '' || authzid === user) && ctx.connection.listener.sasl.checkPassword(user, password)
  if (!good) return failed(ctx, 'PLAIN', user, parts.length === 3 ? 'wrong user or password' : 'malformed PLAIN message', 'Authentication failed: invalid username or password')
  if (switchesUser(ctx, user)) return failed(ctx, 'PLAIN', user, 'reauthenticated as another user', 'Authentication failed: reauthentication must be as the same user')
  return ok(EMPTY, authenticated(ctx, user))
}

/** The multi-message mechanisms: SCRAM, OAUTHBEARER. */
function exchange (ctx: RequestContext, mechanism: string, authBytes: Buffer): SaslAuthenticateResponseInput {
  const conn = ctx.connection
  const sasl = conn.listener.sasl
  conn.exchange ??= mechanism === 'OAUTHBEARER'
    ? new OAuthBearerExchange(token => sasl.validateToken(token, ctx.core.clock.now()))
    : new ScramExchange(mechanism as ScramMechanism, user => sasl.scramCredential(mechanism as ScramMechanism, user))
  const current = conn.exchange
  const step = current.step(authBytes)
  const generic = `${AUTHENTICATION_FAILED} ${mechanism}`
  if (step.kind === 'failed') return failed(ctx, mechanism, current.user, step.reason, step.clientMessage ?? generic, step.logged)
  if (step.kind === 'done') {
    if (switchesUser(ctx, step.user)) return failed(ctx, mechanism, step.user, 'reauthenticated as another user', generic)
    return ok(step.message, authenticated(ctx, step.user, step.expiresAt))
  }
  if (step.refused !== undefined) logRefusal(ctx, mechanism, current.user, step.refused)
  return ok(step.message)
}

registerApi({
  key: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  allowedBeforeAuth: true,
  decodeRequest: decodeSaslAuthenticateRequest,
  encodeResponse: encodeSaslAuthenticateResponse,
  handle (ctx, req) {
    const mechanism = ctx.connection.saslMechanism
    if (!ctx.connection.listener.sasl.enabled || mechanism === null) return refused(ErrorCode.ILLEGAL_SASL_STATE, 'SaslHandshake must come first')
    if (mechanism === 'PLAIN') return plain(ctx, req.authBytes)
    return exchange(ctx, mechanism, req.authBytes)
  }
})
