/** A destination for what handlers send. One call delivers one batch of payloads. */
export interface Output {
  readonly name: string
  readonly type: string
  /**
   * Delivers the batch or throws: a retryable DeliveryError (network, timeout, 5xx, 408, 429)
   * holds the batch uncommitted and is retried; a final one sends the payloads to the
   * dead-letter topic with the reason (the receiver refuses this content).
   */
  deliver: (payloads: unknown[]) => Promise<void>
}
