/**
 * POSTs JSON to a receiver and classifies the answer for the retry stage: 2xx delivered;
 * network errors, 5xx, 408 and 429 retryable (with the Retry-After asked for); any other status
 * final. Messages name the integration by its redacted description, never by URL.
 */
import { DeliveryError } from '../../functions/outputs/output.js'

export const SEND_TIMEOUT_MS = 10_000

export async function postJson (url: string, body: unknown, o: { describe: string, signal: AbortSignal, headers?: Record<string, string> }): Promise<void> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...o.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(SEND_TIMEOUT_MS)])
    })
  } catch (err) {
    // fetch's messages do not contain the URL, but its cause may; keep only the cause's code.
    const cause = (err as { cause?: { code?: string } }).cause?.code
    throw new DeliveryError(`${o.describe}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS} ms` : (err as Error).message}${cause !== undefined ? ` (${cause})` : ''}`, { retryable: true })
  }
  if (res.ok) {
    await res.body?.cancel()
    return
  }
  const text = (await res.text().catch(() => '')).slice(0, 300).replace(/\s+/g, ' ').trim()
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429
  throw new DeliveryError(`${o.describe}: HTTP ${res.status}${text !== '' ? `: ${text}` : ''}`, { retryable, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), Date.now()) })
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function retryAfterMs (header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null
  const text = header.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}
