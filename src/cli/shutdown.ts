import type { Logger } from '../shared/logger.js'

/**
 * What a long-running command started, stopped in reverse order at the end. A step that takes
 * long is named in the log while it runs (a stuck shutdown says where it is stuck), and a step
 * that fails is logged and the others still run.
 */
export class Shutdown {
  readonly #steps: { name: string, close: () => Promise<void> }[] = []
  readonly #logger: Logger
  readonly #slowMs: number

  constructor (logger: Logger, slowMs = 10_000) {
    this.#logger = logger
    this.#slowMs = slowMs
  }

  add (name: string, close: () => Promise<void> | void): void {
    this.#steps.push({ name, close: async () => { await close() } })
  }

  async run (): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) {
      const slow = setInterval(() => this.#logger.warn({ step: step.name }, 'still stopping'), this.#slowMs)
      try {
        await step.close()
      } catch (err) {
        this.#logger.error({ step: step.name, err: (err as Error).message }, 'failed while stopping')
      } finally {
        clearInterval(slow)
      }
    }
  }
}
