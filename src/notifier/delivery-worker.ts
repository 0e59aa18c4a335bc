/**
 * Takes an integration's queued notifications from the outbox and runs each through the
 * delivery pipeline. Every group gets its own delivery (as every Alertmanager aggregation group
 * runs its own pipeline): a group whose notification keeps failing — its receiver is down, or
 * answers 5xx to that one payload — retries on its own schedule and never holds up the other
 * groups. At most one delivery per group is under way; a newer notification for a group waits
 * for that one (the retry stage picks it up between attempts).
 *
 * The number of requests in flight to one integration is capped (`maxConcurrentSends`), so a
 * receiver coming back after an outage with thousands of groups owed is not hit by thousands of
 * connections at once; a delivery only holds a slot while it sends, not while it backs off.
 */
import type { Logger } from '../shared/logger.js'
import type { Deliver } from './pipeline/index.js'
import type { Integration } from './receivers/integration.js'
import type { Outbox } from './store/outbox.js'

export const DEFAULT_MAX_CONCURRENT_SENDS = 4

export class DeliveryWorker {
  readonly #done: Promise<void>
  readonly #inFlight = new Map<string, Promise<void>>()

  constructor (integration: Integration, outbox: Outbox, deliver: Deliver, signal: AbortSignal, logger: Logger, maxConcurrentSends = DEFAULT_MAX_CONCURRENT_SENDS) {
    this.#done = this.#run(limitSends(integration, maxConcurrentSends), outbox, deliver, signal, logger)
  }

  /** Resolves once the loop and every delivery it started have stopped (after the signal aborts). */
  get done (): Promise<void> { return this.#done }

  async #run (integration: Integration, outbox: Outbox, deliver: Deliver, signal: AbortSignal, logger: Logger): Promise<void> {
    // Woken by a new notification in the outbox, by a delivery finishing (its group may
    // already have a newer one queued), or by the signal.
    let wake: () => void = () => {}
    let woken = false
    const poke = (): void => { woken = true; wake() }
    const unsubscribe = outbox.onPut(poke)
    signal.addEventListener('abort', poke, { once: true })
    try {
      while (!signal.aborted) {
        woken = false
        for (const n of outbox.pendingFor(integration.key)) {
          if (this.#inFlight.has(n.groupKey)) continue
          const run = deliver({ n, integration, signal, logger, attempts: 0 }).then(() => {}, async err => {
            // Only a bug or a disk failure gets here; do not spin on it.
            logger.error({ err, integration: integration.describe, groupKey: n.groupKey }, 'delivery failed; pausing this group')
            await new Promise(resolve => setTimeout(resolve, 1000).unref())
          }).finally(() => {
            this.#inFlight.delete(n.groupKey)
            poke()
          })
          this.#inFlight.set(n.groupKey, run)
        }
        if (!woken) await new Promise<void>(resolve => { wake = resolve })
      }
    } finally {
      unsubscribe()
      signal.removeEventListener('abort', poke)
    }
    await Promise.allSettled([...this.#inFlight.values()])
  }
}

/** The integration with at most `max` sends in flight at once; the others wait their turn. */
function limitSends (integration: Integration, max: number): Integration {
  let active = 0
  const waiting: (() => void)[] = []
  return {
    ...integration,
    async send (n, ctx) {
      if (active >= max) await new Promise<void>(resolve => waiting.push(resolve))
      active++
      try {
        await integration.send(n, ctx)
      } finally {
        active--
        waiting.shift()?.()
      }
    }
  }
}
