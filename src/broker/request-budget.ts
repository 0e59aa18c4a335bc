// The broker-wide budget for request bytes received but not yet answered (Kafka's
// queued.max.request.bytes). Without it each connection could buffer a whole declared frame
// (up to requestMaxBytes) and any number of connections could, together, take all memory.
//
// A connection reserves its next frame's declared size as soon as it reads the size prefix, and
// gives it back once that request is answered. A frame that does not fit waits with its socket
// paused (nothing more is read from it); answered requests free room and the smallest waiting
// frames are let in first, so ordinary small requests are not queued behind huge ones. Senders
// that hold room while trickling their frame in cannot keep it forever: while anyone waits, a
// frame that has been arriving for longer than the receive timeout closes its connection.

interface Waiter { bytes: number, seq: number, grant: () => void }
interface Receiving { since: number, expire: () => void }

export class RequestBudget {
  readonly capacity: number
  readonly #receiveTimeoutMs: number
  #used = 0
  #seq = 0
  #waiters: Waiter[] = []
  readonly #receiving = new Map<object, Receiving>()
  readonly #timer: NodeJS.Timeout

  constructor (capacity: number, receiveTimeoutMs: number) {
    this.capacity = capacity
    this.#receiveTimeoutMs = receiveTimeoutMs
    this.#timer = setInterval(() => this.#expireSlowSenders(), Math.max(50, Math.min(1000, receiveTimeoutMs / 4)))
    this.#timer.unref()
  }

  /** Bytes reserved now (requests being received, queued or handled). */
  get used (): number { return this.#used }
  get waiting (): number { return this.#waiters.length }

  /** Reserves `bytes` if they fit now. */
  tryReserve (bytes: number): boolean {
    if (this.#used + bytes > this.capacity) return false
    this.#used += bytes
    return true
  }

  /** Queues a reservation; `grant` runs once it is made. Returns a handle for cancel(). */
  wait (bytes: number, grant: () => void): object {
    const w: Waiter = { bytes, seq: this.#seq++, grant }
    this.#waiters.push(w)
    return w
  }

  cancel (handle: object): void {
    const i = this.#waiters.indexOf(handle as Waiter)
    if (i >= 0) this.#waiters.splice(i, 1)
  }

  release (bytes: number): void {
    this.#used -= bytes
    if (this.#waiters.length === 0) return
    this.#waiters.sort((a, b) => a.bytes - b.bytes || a.seq - b.seq)
    const granted: Waiter[] = []
    this.#waiters = this.#waiters.filter(w => {
      if (this.#used + w.bytes > this.capacity) return true
      this.#used += w.bytes
      granted.push(w)
      return false
    })
    for (const w of granted) w.grant()
  }

  /** `key` holds room for a frame that is still arriving; `expire` closes it if it takes too long. */
  startReceiving (key: object, expire: () => void): void {
    if (!this.#receiving.has(key)) this.#receiving.set(key, { since: Date.now(), expire })
  }

  doneReceiving (key: object): void {
    this.#receiving.delete(key)
  }

  #expireSlowSenders (): void {
    if (this.#waiters.length === 0 || this.#receiving.size === 0) return
    const cutoff = Date.now() - this.#receiveTimeoutMs
    for (const [key, r] of [...this.#receiving]) {
      if (r.since > cutoff) continue
      this.#receiving.delete(key)
      r.expire()
    }
  }

  close (): void {
    clearInterval(this.#timer)
  }
}
