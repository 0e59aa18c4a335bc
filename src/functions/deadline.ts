// The handler's timeoutMs, enforced with one timer for a stream of calls: a timer per record
// (created, inserted in Node's timer list, removed) was a tenth of a replica's CPU at a few
// hundred thousand records a second. Calls run one at a time, as the replica and the local test
// loop make them; the timer is moved on only when it fires early, to the running call's deadline.

export class HandlerTimeout extends Error {
  override name = 'HandlerTimeout'
}

export class Deadline {
  readonly ms: number
  #timer: NodeJS.Timeout | null = null
  #current: { until: number, reject: (err: Error) => void } | null = null

  constructor (ms: number) { this.ms = ms }

  /**
   * Runs `fn`, rejecting with HandlerTimeout once it has run for `ms` without settling. A call
   * that returns without a promise is done at once, with no timer touched.
   */
  async run<T> (fn: () => T | PromiseLike<T>): Promise<T> {
    const result = fn()
    if (typeof (result as PromiseLike<T> | null)?.then !== 'function') return result as T
    return await new Promise<T>((resolve, reject) => {
      const entry = { until: performance.now() + this.ms, reject }
      this.#current = entry
      if (this.#timer === null) this.#arm(this.ms)
      else this.#timer.ref()
      const done = (): void => {
        if (this.#current !== entry) return
        this.#current = null
        // An idle timer must not keep the process alive; it is reused by the next call.
        this.#timer?.unref()
      }
      ;(result as PromiseLike<T>).then(v => { done(); resolve(v) }, (err: unknown) => { done(); reject(err) })
    })
  }

  #arm (ms: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, ms))
  }

  #check (): void {
    this.#timer = null
    const c = this.#current
    if (c === null) return
    const left = c.until - performance.now()
    if (left > 0) { this.#arm(left); return }
    this.#current = null
    c.reject(new HandlerTimeout(`handler did not finish within ${this.ms} ms (timeoutMs)`))
  }
}
