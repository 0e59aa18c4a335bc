/**
 * Polls `condition` until it returns a truthy value or the deadline passes. Tests synchronise on
 * conditions (a port open, an offset committed, a record seen), never on fixed sleeps.
 */
export async function waitFor<T> (condition: () => T | Promise<T>, opts: { what: string, timeoutMs?: number, intervalMs?: number }): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  let last: unknown
  for (;;) {
    try {
      const v = await condition()
      if (v) return v as NonNullable<T>
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${opts.what}${last !== undefined ? `; last error: ${(last as Error).message}` : ''}`)
    }
    await new Promise(resolve => setTimeout(resolve, opts.intervalMs ?? 50))
  }
}
