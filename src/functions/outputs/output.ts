/** A destination for what handlers send. One call delivers one batch of payloads. */
export interface Output {
  readonly name: string
  readonly type: string
  deliver: (payloads: unknown[]) => Promise<void>
}

/**
 * A failed delivery. Retryable failures (network, 5xx, 408, 429) are retried with backoff and
 * hold back the commit; permanent ones (other 4xx: the receiver refuses this content) would
 * block the pipeline forever, so their payloads go to the dead-letter topic with the reason.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError'
  readonly retryable: boolean
  /** Server-requested wait (Retry-After), in ms. */
  readonly retryAfterMs: number | null

  constructor (message: string, opts: { retryable: boolean, retryAfterMs?: number | null, cause?: unknown }) {
    super(message, { cause: opts.cause })
    this.retryable = opts.retryable
    this.retryAfterMs = opts.retryAfterMs ?? null
  }
}

/** POSTs JSON, classifying failures. `describe` is a redacted name for the target (never the URL). */
export async function postJson (url: string, body: unknown, opts: { describe: string, headers?: Record<string, string>, timeoutMs?: number }): Promise<void> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000)
    })
  } catch (err) {
    throw new DeliveryError(`${opts.describe}: ${(err as Error).message}`, { retryable: true, cause: err })
  }
  if (res.ok) {
    await res.body?.cancel()
    return
  }
  const text = (await res.text().catch(() => '')).slice(0, 300)
  const retryAfter = Number(res.headers.get('retry-after'))
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429
  throw new DeliveryError(`${opts.describe}: HTTP ${res.status}${text !== '' ? `: ${text}` : ''}`, {
    retryable,
    retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null
  })
}
