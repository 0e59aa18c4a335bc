// SaslAuthenticate (key 36): v0-2.
// - v1+ session lifetime (0: the session does not expire); v2 flexible.
// Behaviour: SASL/PLAIN (RFC 4616): authzid NUL authcid NUL password. Passwords are compared
// in constant time and never logged.
import { timingSafeEqual, createHash } from 'node:crypto'
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeSaslAuthenticateRequest } from '../../protocol/generated/sasl-authenticate-request.js'
import { encodeSaslAuthenticateResponse } from '../../protocol/generated/sasl-authenticate-response.js'

const EMPTY = Buffer.alloc(0)

function sameSecret (a: string, b: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
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
    const users = ctx.core.options.saslPlainUsers
    if (users === null || ctx.connection.saslMechanism !== 'PLAIN') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslHandshake with mechanism PLAIN must come first', authBytes: EMPTY, sessionLifetimeMs: 0 }
    }
    const parts = req.authBytes.toString('utf8').split('\u0000')
    const [, user = '', password = ''] = parts
    const expected = Object.hasOwn(users, user) ? users[user] : undefined
    const ok = parts.length === 3 && expected !== undefined && sameSecret(password, expected)
    if (!ok) {
      ctx.core.logger.warn({ user, conn: ctx.connection.id }, 'SASL/PLAIN authentication failed')
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: invalid username or password', authBytes: EMPTY, sessionLifetimeMs: 0 }
    }
    ctx.connection.authenticated = true
    ctx.connection.principal = user
    ctx.connection.saslMechanism = null
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: 0 }
  }
})
