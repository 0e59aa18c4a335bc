// The server side of one SCRAM exchange (RFC 5802, with SHA-256/512 per RFC 7677), as Kafka
// runs it over two SaslAuthenticate requests: client-first -> server-first, client-final ->
// server-final. No channel binding (gs2 flag 'n' or 'y'); Kafka's delegation-token extension
// (tokenauth) is refused. Every failure gives the same message, so it tells a guesser nothing.
import { timingSafeEqual } from 'node:crypto'
import type { ScramCredential } from './credentials.js'
import type { SaslExchange, SaslStep } from './exchange.js'
import { decodeSaslName, digest, hmac, parseAttributes, scramNonce, xor, type ScramMechanism } from '../../protocol/scram.js'

export class ScramExchange implements SaslExchange {
  readonly #mechanism: ScramMechanism
  readonly #lookup: (user: string) => ScramCredential | undefined
  #stage: 'first' | 'final' | 'over' = 'first'
  #user = ''
  #gs2Header = ''
  #clientFirstBare = ''
  #serverFirst = ''
  #nonce = ''
  #credential: ScramCredential | undefined

  readonly #serverNonce: () => string

  /** `serverNonce` is for tests that replay a published exchange; otherwise 18 random bytes. */
  constructor (mechanism: ScramMechanism, lookup: (user: string) => ScramCredential | undefined, serverNonce = (): string => scramNonce()) {
    this.#mechanism = mechanism
    this.#lookup = lookup
    this.#serverNonce = serverNonce
  }

  /** The user named in the client-first message, once it has been read (for logs). */
  get user (): string { return this.#user }

  step (input: Buffer): SaslStep {
    const stage = this.#stage
    this.#stage = 'over'
    if (stage === 'first') return this.#first(input.toString('utf8'))
    if (stage === 'final') return this.#final(input.toString('utf8'))
    return this.#fail('the exchange is already over')
  }

  #fail (reason: string): SaslStep {
    return { kind: 'failed', reason }
  }

  #first (msg: string): SaslStep {
    // gs2-header: cbind-flag "," [ "a=" authzid ] ","
    const m = /^([ny]),(a=[^,]*)?,(.*)$/.exec(msg)
    if (m === null) return this.#fail('malformed client-first message (channel binding is not supported)')
    this.#gs2Header = msg.slice(0, msg.length - m[3].length)
    this.#clientFirstBare = m[3]
    const attrs = parseAttributes(m[3])
    if (attrs.length < 2 || attrs[0][0] !== 'n' || attrs[1][0] !== 'r' || attrs[1][1] === '') return this.#fail('malformed client-first message')
    if (attrs.slice(2).some(([k, v]) => k === 'm' || v === 'tokenauth=true' || k === 't')) return this.#fail('extensions (delegation tokens) are not supported')
    const user = decodeSaslName(attrs[0][1])
    if (user === null || user === '') return this.#fail('malformed user name')
    const authzid = m[2] === undefined ? null : decodeSaslName(m[2].slice(2))
    if (authzid !== null && authzid !== '' && authzid !== user) return this.#fail('authorization id must be the user name')
    this.#user = user
    this.#credential = this.#lookup(user)
    if (this.#credential === undefined) return this.#fail(`no ${this.#mechanism} credential for this user`)
    this.#nonce = attrs[1][1] + this.#serverNonce()
    this.#serverFirst = `r=${this.#nonce},s=${this.#credential.salt.toString('base64')},i=${this.#credential.iterations}`
    this.#stage = 'final'
    return { kind: 'challenge', message: Buffer.from(this.#serverFirst) }
  }

  #final (msg: string): SaslStep {
    const at = msg.lastIndexOf(',p=')
    if (at < 0) return this.#fail('malformed client-final message')
    const withoutProof = msg.slice(0, at)
    const proof = Buffer.from(msg.slice(at + 3), 'base64')
    const attrs = parseAttributes(withoutProof)
    if (attrs.length < 2 || attrs[0][0] !== 'c' || attrs[1][0] !== 'r') return this.#fail('malformed client-final message')
    if (attrs[0][1] !== Buffer.from(this.#gs2Header).toString('base64')) return this.#fail('channel binding mismatch')
    // Kafka checks that the nonce ends with the one it sent, and so must we: librdkafka up to
    // 2.6.0 (Debian's kcat and python3-confluent-kafka among them) sends its own nonce again in
    // front of the combined one. Still fresh: the server's random part is at the end.
    if (!attrs[1][1].endsWith(this.#nonce)) return this.#fail('nonce mismatch')
    const m = this.#mechanism
    const c = this.#credential!
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`
    const signature = hmac(m, c.storedKey, authMessage)
    if (proof.length !== signature.length) return this.#fail('wrong proof length')
    const clientKey = xor(proof, signature)
    if (!timingSafeEqual(digest(m, clientKey), c.storedKey)) return this.#fail('wrong password')
    const serverSignature = hmac(m, c.serverKey, authMessage)
    return { kind: 'done', user: this.#user, message: Buffer.from(`v=${serverSignature.toString('base64')}`) }
  }
}
