// The server side of one OAUTHBEARER exchange (RFC 7628) as Kafka runs it: the client's first
// message carries `auth=Bearer <token>`; a token the validator accepts ends the exchange there.
// A refused token is answered, as RFC 7628 3.2.2 says and Kafka does, with an error challenge
// {"status":"invalid_token"}, which the client acknowledges with a single %x01 before the broker
// fails the exchange — so a client learns its token was refused, not why (the broker logs why).
// A message that is not an OAUTHBEARER client response fails at once. Extensions (key=value
// pairs besides auth) are ignored, as Kafka's validator ignores those it was not told to check.
import { AUTHENTICATION_FAILED, type SaslExchange, type SaslStep } from './exchange.js'
import type { TokenVerdict } from './jwt.js'
import { decodeSaslName } from '../../protocol/scram.js'

/** Kafka's error challenge for a token its validator refused. */
export const INVALID_TOKEN = '{"status":"invalid_token"}'

const FAILED = `${AUTHENTICATION_FAILED} OAUTHBEARER`
const KVPAIR = /^([A-Za-z]+)=([\x21-\x7E \t\r\n]*)$/
// Kafka's token syntax (a JWT's three base64url parts): stricter than RFC 6750's b64token.
const BEARER = /^bearer +([-_.A-Za-z0-9]+)$/i

/** The authorization id and token of a client's first message, or why it is not one. */
export function parseClientResponse (text: string): { authzid: string, token: string } | string {
  // gs2-header %x01 *(key=value %x01) %x01; no channel binding (flag n), as Kafka.
  const parts = text.split('\u0001')
  const gs2 = /^n,(?:a=([^,]*))?,$/.exec(parts[0])
  if (gs2 === null) return 'malformed client message: expected the GS2 header n,[a=authzid], (no channel binding)'
  if (parts.length < 3 || parts.at(-1) !== '' || parts.at(-2) !== '') return 'malformed client message: it must end with two %x01'
  let token: string | null = null
  for (const pair of parts.slice(1, -2)) {
    const kv = KVPAIR.exec(pair)
    if (kv === null) return 'malformed client message: a key=value pair is not one'
    if (kv[1] !== 'auth') continue
    if (token !== null) return 'malformed client message: auth given twice'
    const bearer = BEARER.exec(kv[2])
    if (bearer === null) return 'malformed client message: auth is not "Bearer <token>" with a token of base64url parts'
    token = bearer[1]
  }
  if (token === null) return 'malformed client message: no auth=Bearer <token>'
  const authzid = gs2[1] === undefined ? '' : decodeSaslName(gs2[1])
  if (authzid === null) return 'malformed client message: the authorization id is not a SASL name'
  return { authzid, token }
}

export class OAuthBearerExchange implements SaslExchange {
  readonly #validate: (token: string) => TokenVerdict
  #stage: 'first' | 'refused' | 'over' = 'first'
  #user = ''

  constructor (validate: (token: string) => TokenVerdict) {
    this.#validate = validate
  }

  get user (): string { return this.#user }

  step (input: Buffer): SaslStep {
    const stage = this.#stage
    this.#stage = 'over'
    if (stage === 'refused') {
      // The refusal was logged with its reason when it was decided.
      if (input.length === 1 && input[0] === 1) return { kind: 'failed', reason: 'the client acknowledged the refused token', clientMessage: INVALID_TOKEN, logged: true }
      return { kind: 'failed', reason: 'expected %x01 after the error challenge' }
    }
    if (stage === 'over') return { kind: 'failed', reason: 'the exchange is already over' }
    const parsed = parseClientResponse(input.toString('utf8'))
    if (typeof parsed === 'string') return { kind: 'failed', reason: parsed, clientMessage: FAILED }
    const verdict = this.#validate(parsed.token)
    if (!verdict.ok) {
      this.#stage = 'refused'
      return { kind: 'challenge', message: Buffer.from(INVALID_TOKEN), refused: `token refused: ${verdict.reason}` }
    }
    this.#user = verdict.principal
    if (parsed.authzid !== '' && parsed.authzid !== verdict.principal) {
      return { kind: 'failed', reason: 'the authorization id is not the token\'s principal', clientMessage: 'Authentication failed: the client requested an authorization id other than the token\'s principal' }
    }
    return { kind: 'done', user: verdict.principal, message: Buffer.alloc(0), expiresAt: verdict.expiresAt }
  }
}
