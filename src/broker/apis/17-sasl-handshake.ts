// SaslHandshake (key 17): v0-1.
// - v0 would switch the connection to raw SASL tokens outside Kafka framing, which only
//   pre-1.0 clients send; such a request is answered UNSUPPORTED_VERSION. It is still
//   advertised, because librdkafka enables SASL only when the range includes v0 (its
//   SASL_HANDSHAKE feature), and then speaks v1 followed by SaslAuthenticate, as do kafkajs
//   and the Java client.
// Behaviour: the mechanisms the broker was started with (--sasl-mechanisms: PLAIN,
// SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER), only when SASL is on; any other is
// UNSUPPORTED_SASL_MECHANISM with the list, as Kafka answers.
import { registerApi } from './registry.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { decodeSaslHandshakeRequest } from '../../protocol/generated/sasl-handshake-request.js'
import { encodeSaslHandshakeResponse } from '../../protocol/generated/sasl-handshake-response.js'

registerApi({
  key: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  allowedBeforeAuth: true,
  decodeRequest: decodeSaslHandshakeRequest,
  encodeResponse: encodeSaslHandshakeResponse,
  handle (ctx, req, version) {
    const sasl = ctx.connection.listener.sasl
    if (version === 0) return { errorCode: ErrorCode.UNSUPPORTED_VERSION, mechanisms: [...sasl.mechanisms] }
    if (!sasl.enabled) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    const mechanisms = [...sasl.mechanisms]
    if (!(mechanisms as string[]).includes(req.mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }
    ctx.connection.saslMechanism = req.mechanism
    ctx.connection.exchange = null
    return { errorCode: ErrorCode.NONE, mechanisms }
  }
})
