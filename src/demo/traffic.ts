import type { Logger } from '../shared/logger.js'
import { browsingRecord, crawlerRecord, seededRandom } from './access-logs.js'

/** One stretch of the demo's cycle: how many lines per second, and whether a crawler is loose. */
export interface DemoPhase { name: string, seconds: number, browsingPerSecond: number, crawlerPerSecond: number }

/**
 * A minute that shows everything: steady browsing (one replica), a crawler storm of 404s (about
 * 840 in 4 s; at one ~30 ms owner lookup each, one replica would need ~25 s, so replicas rise to
 * the partitions; alerts fire, one message per group), then quiet (back to zero after the
 * cooldown), and again.
 */
export const DEMO_CYCLE: DemoPhase[] = [
  { name: 'browsing', seconds: 10, browsingPerSecond: 20, crawlerPerSecond: 0 },
  { name: 'crawler storm', seconds: 4, browsingPerSecond: 20, crawlerPerSecond: 300 },
  { name: 'browsing', seconds: 6, browsingPerSecond: 20, crawlerPerSecond: 0 },
  { name: 'quiet', seconds: 45, browsingPerSecond: 0, crawlerPerSecond: 0 }
]

export interface DemoTrafficOptions {
  topic: string
  /** Writes a batch of JSON lines to the topic. */
  produce: (topic: string, values: string[]) => Promise<void>
  logger: Logger
  cycle?: DemoPhase[]
  seed?: number
  /** Batches per second (default 10): lines are spread over the second, as a shipper sends them. */
  ticksPerSecond?: number
}

/** Produces the demo cycle until stopped. A failed produce is logged and the tick skipped. */
export class DemoTraffic {
  readonly #o: DemoTrafficOptions
  readonly #rand: () => number
  #timer: NodeJS.Timeout | null = null
  #stopped = false
  #produced = 0
  #phase = ''

  constructor (o: DemoTrafficOptions) {
    this.#o = o
    this.#rand = seededRandom(o.seed ?? 404)
  }

  get produced (): number { return this.#produced }
  get phase (): string { return this.#phase }

  start (): void {
    const cycle = this.#o.cycle ?? DEMO_CYCLE
    const tick = 1000 / (this.#o.ticksPerSecond ?? 10)
    const length = cycle.reduce((n, p) => n + p.seconds, 0) * 1000
    const started = Date.now()
    // Fractions of a line carried between ticks, so low rates still come out right on average.
    let carry = { browsing: 0, crawler: 0 }
    const run = async (): Promise<void> => {
      if (this.#stopped) return
      const into = (Date.now() - started) % length
      let at = 0
      const phase = cycle.find(p => { at += p.seconds * 1000; return into < at }) ?? cycle[0]
      if (phase.name !== this.#phase) this.#o.logger.info({ phase: phase.name, seconds: phase.seconds }, 'demo traffic')
      this.#phase = phase.name
      const now = new Date()
      carry = { browsing: carry.browsing + phase.browsingPerSecond * tick / 1000, crawler: carry.crawler + phase.crawlerPerSecond * tick / 1000 }
      const lines: string[] = []
      for (; carry.browsing >= 1; carry.browsing--) lines.push(browsingRecord(this.#rand, now))
      for (; carry.crawler >= 1; carry.crawler--) lines.push(crawlerRecord(this.#rand, now))
      if (lines.length > 0) {
        try {
          await this.#o.produce(this.#o.topic, lines)
          this.#produced += lines.length
        } catch (err) {
          this.#o.logger.warn({ err: (err as Error).message }, 'demo traffic: produce failed; skipping this tick')
        }
      }
      if (!this.#stopped) this.#timer = setTimeout(() => { void run() }, tick)
    }
    void run()
  }

  stop (): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
  }
}
