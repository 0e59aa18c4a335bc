import type { Clock, TimerHandle } from '../../shared/clock.js'

/**
 * Kafka's InitialDelayedJoin (group.initial.rebalance.delay.ms): the first join of an empty
 * group waits `delayMs`, and again each time new members arrived meanwhile, but never longer
 * than the rebalance timeout in all. Then `done` is called once (unless cancelled).
 */
export class InitialDelay {
  #timer: TimerHandle | null = null
  #joinedMeanwhile = false
  readonly #clock: Clock
  readonly #delayMs: number
  readonly #deadline: number
  readonly #done: () => void

  constructor (clock: Clock, delayMs: number, timeoutMs: number, done: () => void) {
    this.#clock = clock
    this.#delayMs = delayMs
    this.#deadline = clock.now() + timeoutMs
    this.#done = done
    this.#arm(Math.min(delayMs, timeoutMs))
  }

  get active (): boolean { return this.#timer !== null }

  memberJoined (): void { this.#joinedMeanwhile = true }

  cancel (): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer)
    this.#timer = null
  }

  #arm (ms: number): void {
    this.#joinedMeanwhile = false
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null
      const remaining = this.#deadline - this.#clock.now()
      if (this.#joinedMeanwhile && remaining > 0) this.#arm(Math.min(this.#delayMs, remaining))
      else this.#done()
    }, ms)
  }
}
