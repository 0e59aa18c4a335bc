/**
 * A delivery error must not carry its destination's secrets. postJson keeps the URL out of its
 * own messages, but it quotes the receiver's answer (a proxy or a misconfigured server may echo
 * the path, the query or the Authorization it got), so the pieces of the URL that are secret
 * are cut out of every error an integration throws, before it is logged, recorded in the
 * delivery status or retried.
 */
import { DeliveryError } from '../../shared/http-delivery.js'

const HIDDEN = '[redacted]'

/**
 * What must not appear: the URL, its user and password (and as Basic credentials), its path and
 * query, query values and token-like path segments. Short pieces are left out — replacing every
 * `a` would destroy the message — they are not secrets worth the name anyway.
 */
export function secretParts (url: string): string[] {
  const parts = new Set<string>([url])
  let u: URL
  try { u = new URL(url) } catch { return [url] }
  const add = (s: string, min: number): void => {
    for (const v of [s, safeDecode(s)]) if (v.length >= min) parts.add(v)
  }
  add(u.username, 4)
  add(u.password, 4)
  if (u.username !== '' || u.password !== '') parts.add(Buffer.from(`${safeDecode(u.username)}:${safeDecode(u.password)}`).toString('base64'))
  add(u.pathname + u.search, 2)
  add(u.pathname, 2)
  add(u.search, 2)
  for (const segment of u.pathname.split('/')) add(segment, 8)
  for (const value of u.searchParams.values()) add(value, 4)
  // Longest first, so a piece inside a longer one does not leave the rest of it behind.
  return [...parts].sort((a, b) => b.length - a.length)
}

export function redactParts (text: string, parts: readonly string[]): string {
  let out = text
  for (const p of parts) if (p !== '' && p !== '/') out = out.split(p).join(HIDDEN)
  return out
}

/**
 * Runs one send; a failure is rethrown as a DeliveryError (same retry class and Retry-After)
 * whose message is `describe` (already safe) plus the reason with the URL's secrets cut out.
 */
export async function sendRedacted (url: string, describe: string, send: () => Promise<void>): Promise<void> {
  try {
    await send()
  } catch (err) {
    const parts = secretParts(url)
    const message = err instanceof Error ? err.message : String(err)
    const reason = message.startsWith(describe) ? message.slice(describe.length) : `: ${message}`
    if (err instanceof DeliveryError) throw new DeliveryError(describe + redactParts(reason, parts), { retryable: err.retryable, retryAfterMs: err.retryAfterMs })
    throw new DeliveryError(describe + redactParts(reason, parts), { retryable: true })
  }
}

function safeDecode (s: string): string {
  try { return decodeURIComponent(s) } catch { return s }
}
