import fs from 'node:fs'
import path from 'node:path'

export type ScalingEventType = 'scale' | 'replica-exit' | 'crash-loop' | 'error'

/** One thing the supervisor did or saw, with why. */
export interface ScalingEvent {
  /** Increasing number, so clients can ask for what they have not seen yet. */
  seq: number
  time: string
  function: string
  type: ScalingEventType
  from?: number
  to?: number
  reason: string
}

/**
 * Scaling events, newest last: the last `capacity` in memory for the API, and every one appended
 * to `events.jsonl` (when a file is given) so the history outlives the process.
 */
export class EventLog {
  readonly #events: ScalingEvent[] = []
  readonly #capacity: number
  readonly #file: string | null
  readonly #listeners = new Set<(e: ScalingEvent) => void>()
  #seq = 0

  constructor (opts: { file?: string, capacity?: number } = {}) {
    this.#capacity = opts.capacity ?? 1000
    this.#file = opts.file ?? null
    if (this.#file !== null) {
      fs.mkdirSync(path.dirname(this.#file), { recursive: true })
      for (const e of readEvents(this.#file).slice(-this.#capacity)) this.#events.push(e)
      this.#seq = this.#events.at(-1)?.seq ?? 0
    }
  }

  record (e: Omit<ScalingEvent, 'seq' | 'time'>, now = Date.now()): ScalingEvent {
    const event: ScalingEvent = { seq: ++this.#seq, time: new Date(now).toISOString(), ...e }
    this.#events.push(event)
    if (this.#events.length > this.#capacity) this.#events.shift()
    if (this.#file !== null) {
      try {
        fs.appendFileSync(this.#file, JSON.stringify(event) + '\n')
      } catch {
        // The in-memory history still has it; a full disk must not stop scaling.
      }
    }
    for (const l of this.#listeners) l(event)
    return event
  }

  /** Events after `afterSeq`, optionally for one function, oldest first, at most `limit` (the newest). */
  list (opts: { function?: string, afterSeq?: number, limit?: number } = {}): ScalingEvent[] {
    const matching = this.#events.filter(e => (opts.function === undefined || e.function === opts.function) && e.seq > (opts.afterSeq ?? 0))
    return opts.limit === undefined ? matching : matching.slice(-opts.limit)
  }

  last (fn: string): ScalingEvent | null {
    for (let i = this.#events.length - 1; i >= 0; i--) if (this.#events[i].function === fn && this.#events[i].type === 'scale') return this.#events[i]
    return null
  }

  subscribe (listener: (e: ScalingEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }
}

function readEvents (file: string): ScalingEvent[] {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return []
  }
  const out: ScalingEvent[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    try {
      out.push(JSON.parse(line) as ScalingEvent)
    } catch {
      // A torn last line after a crash: skip it.
    }
  }
  return out
}
