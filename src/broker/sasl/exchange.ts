// What the SaslAuthenticate API drives on a connection between its requests: one exchange of a
// multi-message mechanism (SCRAM's two round trips, OAUTHBEARER's error challenge), stepped with
// each client message.

/** Kafka's answer to any refused exchange; it tells a guesser nothing about what was wrong. */
export const AUTHENTICATION_FAILED = 'Authentication failed during authentication due to invalid credentials with SASL mechanism'

export type SaslStep =
  /** `refused`: the exchange goes on only to end in failure (OAUTHBEARER's error challenge); why, for the log. */
  | { kind: 'challenge', message: Buffer, refused?: string }
  /** `expiresAt`: when the credential itself ends (a token's exp), ms since the epoch. */
  | { kind: 'done', user: string, message: Buffer, expiresAt?: number }
  /**
   * `reason` is for the broker's log only (`logged`: it was logged when decided); `clientMessage`
   * replaces AUTHENTICATION_FAILED for the client.
   */
  | { kind: 'failed', reason: string, clientMessage?: string, logged?: true }

export interface SaslExchange {
  /** The user the exchange is about, once known (for logs); '' before. */
  readonly user: string
  step: (input: Buffer) => SaslStep
}
