// The main-thread side of regex-worker.ts: one worker per search that has a regex, asked once
// per window, with a time limit per window. A window that runs out of time terminates the worker
// and the search stops saying so, instead of the process hanging on a pathological pattern.
import { Worker } from 'node:worker_threads'
import { MAX_SUBJECT_CHARS } from './safe-regex.js'

export class RegexTimeout extends Error {}

export class RegexRunner {
  readonly #worker: Worker
  #nextId = 0
  #pending = new Map<number, { resolve: (m: Uint8Array) => void, reject: (e: Error) => void }>()
  #failed: Error | null = null

  constructor (re: RegExp) {
    this.#worker = new Worker(new URL('./regex-worker.js', import.meta.url), {
      workerData: { source: re.source, flags: re.flags, maxChars: MAX_SUBJECT_CHARS },
      // A regex needs little memory; a runaway one must not take the broker's heap with it.
      resourceLimits: { maxOldGenerationSizeMb: 128 }
    })
    this.#worker.unref()
    this.#worker.on('message', (msg: { id: number, matched: Uint8Array }) => {
      this.#pending.get(msg.id)?.resolve(msg.matched)
      this.#pending.delete(msg.id)
    })
    const fail = (err: Error): void => {
      this.#failed ??= err
      for (const p of this.#pending.values()) p.reject(err)
      this.#pending.clear()
    }
    this.#worker.on('error', fail)
    this.#worker.on('exit', code => fail(new Error(`regex worker exited (code ${code})`)))
  }

  /** Which of `texts` match; rejects with RegexTimeout after `timeoutMs` (and stops the worker). */
  async match (texts: string[], timeoutMs: number): Promise<Uint8Array> {
    if (this.#failed !== null) throw this.#failed
    if (texts.length === 0) return new Uint8Array(0)
    const id = this.#nextId++
    let timer: NodeJS.Timeout | undefined
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        this.#pending.set(id, { resolve, reject })
        this.#worker.postMessage({ id, texts })
        timer = setTimeout(() => {
          const err = new RegexTimeout(`the regex took more than ${timeoutMs} ms on ${texts.length} records and was stopped; make it more specific (anchor it, avoid several .* in a row)`)
          this.#failed = err
          this.#pending.get(id)?.reject(err)
          this.#pending.delete(id)
          void this.#worker.terminate()
        }, timeoutMs)
      })
    } finally {
      clearTimeout(timer)
    }
  }

  async close (): Promise<void> {
    await this.#worker.terminate()
  }
}
