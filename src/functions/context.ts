import type { Logger } from '../shared/logger.js'
import type { FunctionContext, PostableAlert, RecordInfo } from './api.js'

/** The console's address when TIDEWATCH_PUBLIC_URL is not set. */
export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8080'

/** The console's address alerts link to (TIDEWATCH_PUBLIC_URL, else the default), read now. */
export function publicUrl (): string { return process.env.TIDEWATCH_PUBLIC_URL ?? DEFAULT_PUBLIC_URL }

/** Where alerts link to: the console's view of the exact record (TIDEWATCH_PUBLIC_URL overrides). */
export function generatorUrl (record: RecordInfo, base = publicUrl()): string {
  // Built by hand: URLSearchParams cost more than the rest of a matched record's handling.
  return `${base.endsWith('/') ? base.slice(0, -1) : base}/context?topic=${encodeURIComponent(record.topic)}&partition=${record.partition}&offset=${record.offset}`
}

/** The handler's `data`: the parsed JSON value when the record is JSON, otherwise the text. */
export function parseData (value: Buffer | string | null): unknown {
  if (value === null) return null
  const text = typeof value === 'string' ? value : value.toString('utf8')
  const first = text.charCodeAt(0)
  // Only text that can start a JSON value is tried; plain log lines skip the exception cost.
  if (first === 0x7b || first === 0x5b || first === 0x22 || (first >= 0x30 && first <= 0x39) || first === 0x2d || text === 'true' || text === 'false' || text === 'null') {
    try { return JSON.parse(text) } catch {}
  }
  return text
}

/** Sends collected during one batch, per output, in order. Flushed by the replica after the batch. */
export class Outbox {
  readonly byOutput = new Map<string, unknown[]>()
  readonly #outputs: string[]

  constructor (outputs: string[]) { this.#outputs = outputs }

  add (payload: unknown, output?: string): void {
    const targets = output === undefined ? this.#outputs : [output]
    if (output !== undefined && !this.#outputs.includes(output)) {
      throw new Error(`unknown output '${output}' (outputs defined: ${this.#outputs.join(', ') || 'none'})`)
    }
    for (const t of targets) {
      let list = this.byOutput.get(t)
      if (list === undefined) this.byOutput.set(t, list = [])
      list.push(payload)
    }
  }

  get size (): number {
    let n = 0
    for (const l of this.byOutput.values()) n += l.length
    return n
  }
}

/**
 * `publicUrl`: the console's address for generatorURL, when the caller has looked it up once
 * (process.env is a lookup in C++ on every read: at tens of thousands of alerts a second, that
 * was a twentieth of a replica's time).
 */
export function createContext (opts: { name: string, record: RecordInfo, env: Record<string, string | undefined>, log: Logger, outbox: Outbox, publicUrl?: string }): FunctionContext {
  const { record, outbox } = opts
  return {
    name: opts.name,
    record,
    env: opts.env,
    log: opts.log,
    send: async (payload, output) => { outbox.add(payload, output) },
    alert: ({ labels, annotations }): PostableAlert => ({
      labels: { ...labels },
      annotations: { ...annotations },
      startsAt: new Date(record.timestamp).toISOString(),
      generatorURL: generatorUrl(record, opts.publicUrl)
    })
  }
}

/** The Function file's prefilter as a byte-level test: every needle must occur in the raw value. */
export function prefilter (needles: string[]): (value: Buffer | null) => boolean {
  if (needles.length === 0) return () => true
  const bufs = needles.map(n => Buffer.from(n))
  return value => value !== null && bufs.every(b => value.includes(b))
}
