// The client side of one SCRAM exchange (RFC 5802, SHA-256/512 per RFC 7677), as Kafka runs it
// over two SaslAuthenticate requests: client-first -> server-first, client-final ->
// server-final. No channel binding (gs2 header "n,,"). The server must prove it holds the
// credential too: a server-final whose signature does not match fails the exchange, so a
// man in the middle that merely accepts any password is noticed. The arithmetic is
// protocol/scram.ts, the same the broker's server side uses.
import { timingSafeEqual } from 'node:crypto'
import { clientKeyOf, digest, encodeSaslName, GS2_HEADER, hmac, MAX_ITERATIONS, MIN_ITERATIONS, parseAttributes, saltedPassword, scramNonce, serverKeyOf, xor, type ScramMechanism } from '../protocol/scram.js'

/** The server's messages did not make a valid exchange (not a refused password: the broker says that). */
export class ScramProtocolError extends Error {
  override name = 'ScramProtocolError'
}

export class ScramClient {
  readonly #mechanism: ScramMechanism
  readonly #password: string
  readonly #clientNonce: string
  readonly #clientFirstBare: string
  #serverSignature: Buffer | null = null

  /** `nonce` is for tests that replay a published exchange; otherwise 18 random bytes. */
  constructor (mechanism: ScramMechanism, user: string, password: string, nonce = scramNonce()) {
    this.#mechanism = mechanism
    this.#password = password
    this.#clientNonce = nonce
    this.#clientFirstBare = `n=${encodeSaslName(user)},r=${nonce}`
  }

  /** The client-first message. */
  first (): Buffer { return Buffer.from(GS2_HEADER + this.#clientFirstBare) }

  /** The client-final message answering `serverFirst`; throws ScramProtocolError when it cannot be answered. */
  final (serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8')
    const attrs = parseAttributes(text)
    const get = (k: string): string | undefined => attrs.find(([key]) => key === k)?.[1]
    if (attrs[0]?.[0] === 'm') throw new ScramProtocolError('the broker asks for a SCRAM extension this client does not know')
    const nonce = get('r')
    const salt = get('s')
    const iterations = Number(get('i'))
    if (nonce === undefined || salt === undefined || salt === '' || !Number.isInteger(iterations)) throw new ScramProtocolError('the broker\'s server-first message is malformed')
    // The combined nonce must extend ours, or this answer belongs to another exchange.
    if (!nonce.startsWith(this.#clientNonce) || nonce.length === this.#clientNonce.length) throw new ScramProtocolError('the broker\'s nonce does not extend the client\'s')
    // Outside Kafka's bounds: too few weakens the credential, too many would be a way to stall the client.
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) throw new ScramProtocolError(`the broker asks for ${iterations} iterations, outside ${MIN_ITERATIONS}-${MAX_ITERATIONS}`)
    const m = this.#mechanism
    const salted = saltedPassword(m, this.#password, Buffer.from(salt, 'base64'), iterations)
    const clientKey = clientKeyOf(m, salted)
    const withoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`
    const authMessage = `${this.#clientFirstBare},${text},${withoutProof}`
    const proof = xor(clientKey, hmac(m, digest(m, clientKey), authMessage))
    this.#serverSignature = hmac(m, serverKeyOf(m, salted), authMessage)
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)
  }

  /** Checks the server-final message; throws ScramProtocolError unless it proves the server's key. */
  verify (serverFinal: Buffer): void {
    if (this.#serverSignature === null) throw new ScramProtocolError('server-final before server-first')
    const attrs = parseAttributes(serverFinal.toString('utf8'))
    const error = attrs.find(([k]) => k === 'e')?.[1]
    if (error !== undefined) throw new ScramProtocolError(`the broker ended the exchange: ${error}`)
    const v = attrs.find(([k]) => k === 'v')?.[1]
    const signature = v === undefined ? Buffer.alloc(0) : Buffer.from(v, 'base64')
    if (signature.length !== this.#serverSignature.length || !timingSafeEqual(signature, this.#serverSignature)) {
      throw new ScramProtocolError('the broker\'s server signature is wrong: it does not hold this user\'s credential')
    }
  }
}
