import { inspect } from 'node:util'

const HIDDEN = '[redacted]'

/**
 * A value that must never reach a log line, an error message or the console: webhook URLs
 * (a Slack incoming-webhook URL is its own credential), passwords, tokens. Only `reveal()`
 * gives the value; every way of printing it gives "[redacted]".
 */
export class Secret {
  readonly #value: string
  /** What may be shown instead, e.g. the URL's origin. */
  readonly hint: string

  constructor (value: string, hint = HIDDEN) {
    this.#value = value
    this.hint = hint
  }

  reveal (): string { return this.#value }
  toString (): string { return this.hint }
  toJSON (): string { return this.hint }
  [inspect.custom] (): string { return `Secret(${this.hint})` }
}

/** A URL as a secret whose hint is its scheme and host only: paths and credentials carry tokens. */
export function secretUrl (url: string): Secret {
  let hint = HIDDEN
  try {
    const u = new URL(url)
    hint = `${u.protocol}//${u.host}/${HIDDEN}`
  } catch {}
  return new Secret(url, hint)
}
