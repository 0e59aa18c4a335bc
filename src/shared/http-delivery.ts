/**
 * The one way Tidewatch delivers to an HTTP endpoint — function outputs, notifier receivers —
 * and the one retry policy for it.
 *
 * - Every request has a deadline, held as a timer of our own that covers the whole exchange
 *   (connect, headers and body): on Node 20, `AbortSignal.any([…, AbortSignal.timeout()])`
 *   loses the timeout once the timeout signal is garbage-collected, and a receiver that never
 *   answers then blocks its integration forever.
 * - Credentials in a URL (`https://user:pass@host/…`) are sent as an Authorization header:
 *   fetch refuses such URLs with an error that quotes them.
 * - Errors never contain the URL (a Slack webhook URL is its own credential; paths and query
 *   strings carry tokens): they name the target by `describe`, a redacted description.
 * - Classification: 2xx delivered; network errors, timeouts, 5xx, 408 and 429 retryable (with
 *   the Retry-After asked for, seconds or an HTTP date); any other status final.
 */

export const DEFAULT_TIMEOUT_MS = 10_000

/**
 * A failed delivery. Retryable failures are retried with backoff; permanent ones (the receiver
 * refuses this content) are reported with the reason and not retried.
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

export interface PostOptions {
  /** How errors name the target: never the URL itself (e.g. `output alerts (https://host/[redacted])`). */
  describe: string
  headers?: Record<string, string>
  /** Aborts the request (shutdown); the deadline applies as well. */
  signal?: AbortSignal
  /** Deadline for the whole exchange. Default 10 s. */
  timeoutMs?: number
}

/** POSTs `body` as JSON; resolves on 2xx, throws DeliveryError otherwise. */
export async function postJson (url: string, body: unknown, o: PostOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const { target, authorization } = splitCredentials(url)
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers }
  if (authorization !== null && !Object.keys(headers).some(h => h.toLowerCase() === 'authorization')) headers.authorization = authorization
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; controller.abort() }, timeoutMs)
  const onAbort = (): void => controller.abort()
  o.signal?.addEventListener('abort', onAbort, { once: true })
  if (o.signal?.aborted === true) controller.abort()
  try {
    let res: Response
    try {
      res = await fetch(target, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal })
    } catch (err) {
      throw new DeliveryError(`${o.describe}: ${timedOut ? `no answer within ${timeoutMs} ms` : networkReason(err)}`, { retryable: true })
    }
    if (res.ok) {
      await res.body?.cancel().catch(() => {})
      return
    }
    const text = await res.text().catch(() => '')
    const shown = redactUrls(text.slice(0, 300)).replace(/\s+/g, ' ').trim()
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429
    throw new DeliveryError(`${o.describe}: HTTP ${res.status}${shown !== '' ? `: ${shown}` : ''}`, { retryable, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now()) })
  } finally {
    clearTimeout(timer)
    o.signal?.removeEventListener('abort', onAbort)
  }
}

/** The URL without user:password, and those credentials as a Basic Authorization header. */
export function splitCredentials (url: string): { target: string, authorization: string | null } {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new DeliveryError('the URL is not valid (check the setting; it is not shown because it may hold a secret)', { retryable: false })
  }
  if (u.username === '' && u.password === '') return { target: url, authorization: null }
  const credentials = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`
  u.username = ''
  u.password = ''
  return { target: u.toString(), authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }
}

/** Why a request failed on the network, without anything fetch may have quoted from the URL. */
function networkReason (err: unknown): string {
  const e = err as { name?: string, message?: string, cause?: { code?: string, message?: string } }
  if (e.name === 'AbortError') return 'aborted'
  const code = e.cause?.code
  const message = redactUrls(e.message ?? 'request failed')
  return code !== undefined ? `${message} (${code})` : message
}

/** Replaces anything that looks like a URL with `<url>`: error texts and bodies may echo one. */
export function redactUrls (text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, '<url>')
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function retryAfterMs (header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null
  const text = header.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

export interface Backoff { initialMs: number, maxMs: number }

/** Capped exponential backoff before attempt `attempt + 1` (attempt is 1-based). */
export function backoffDelay (attempt: number, backoff: Backoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30))
}

export type RetryDecision =
  | { retry: false, reason: string }
  | { retry: true, afterMs: number, reason: string }

/** What to do after failed attempt number `attempt` (1-based); pure. */
export function retryDecision (err: unknown, attempt: number, backoff: Backoff): RetryDecision {
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof DeliveryError && !err.retryable) return { retry: false, reason: message }
  const exponential = backoffDelay(attempt, backoff)
  if (err instanceof DeliveryError && err.retryAfterMs !== null) {
    // The receiver's own wait wins, but a server asking for hours does not stall us forever.
    return { retry: true, afterMs: Math.min(Math.max(err.retryAfterMs, exponential), Math.max(backoff.maxMs, 300_000)), reason: `${message} (Retry-After)` }
  }
  return { retry: true, afterMs: exponential, reason: message }
}
