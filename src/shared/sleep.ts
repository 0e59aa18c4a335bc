import type { Clock } from './clock.js'

/** Waits `ms` on `clock`; resolves early (false) when `signal` aborts. */
export async function sleep (clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false
  if (ms <= 0) return true
  return await new Promise<boolean>(resolve => {
    const onAbort = (): void => { clock.clearTimeout(handle); resolve(false) }
    const handle = clock.setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true) }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
