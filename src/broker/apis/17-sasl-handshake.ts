// SaslHandshake (key 17): v1 only.
// - v0 would switch the connection to raw SASL tokens outside Kafka framing; every client
//   in use speaks v1 followed by SaslAuthenticate, so v0 is not offered.
// Behaviour: PLAIN is the only mechanism, and only when the broker was given users.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeSaslHandshakeRequest } from '../../protocol/generated/sasl-handshake-request.js'
import { encodeSaslHandshakeResponse } from '../../protocol/generated/sasl-handshake-response.js'

registerApi({
  key: 17,
  name: 'SaslHandshake',
  minVersion: 1,
  maxVersion: 1,
  allowedBeforeAuth: true,
  decodeRequest: decodeSaslHandshakeRequest,
  encodeResponse: encodeSaslHandshakeResponse,
  handle (ctx, req) {
    if (ctx.core.options.saslPlainUsers === null) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    }
    if (req.mechanism !== 'PLAIN') {
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN'] }
    }
    ctx.connection.saslMechanism = 'PLAIN'
    return { errorCode: ErrorCode.NONE, mechanisms: ['PLAIN'] }
  }
})
