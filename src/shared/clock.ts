/**
 * Time as a dependency, so decisions that depend on it (session expiry, retention, scaling)
 * can be tested without real timers.
 */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export interface TimerHandle { readonly id: unknown }

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout (fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return { id: t }
  },
  clearTimeout (handle) { clearTimeout(handle.id as NodeJS.Timeout) }
}

/** A clock driven by the test: `advance(ms)` fires due timers in order. */
export class ManualClock implements Clock {
  #now: number
  #timers = new Map<number, { at: number, fn: () => void }>()
  #nextId = 1
  constructor (start = 1_700_000_000_000) { this.#now = start }
  now (): number { return this.#now }
  setTimeout (fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn })
    return { id }
  }
  clearTimeout (handle: TimerHandle): void { this.#timers.delete(handle.id as number) }
  advance (ms: number): void {
    const target = this.#now + ms
    for (;;) {
      let nextId = -1
      let nextAt = Infinity
      for (const [id, t] of this.#timers) if (t.at <= target && t.at < nextAt) { nextAt = t.at; nextId = id }
      if (nextId < 0) break
      const t = this.#timers.get(nextId)!
      this.#timers.delete(nextId)
      this.#now = t.at
      t.fn()
    }
    this.#now = target
  }
}
