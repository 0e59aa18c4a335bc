/**
 * A request the log store cannot serve, with the HTTP status that says why. Routes render it as
 * `{ error, field? }`; anything else that escapes is a bug and is logged and masked as a 500.
 */
export class LogStoreError extends Error {
  readonly status: number
  /** The request parameter at fault, when there is one (so a form can point at it). */
  readonly field: string | undefined

  constructor (status: number, message: string, field?: string) {
    super(message)
    this.status = status
    this.field = field
  }

  toJSON (): { error: string, field?: string } {
    return this.field === undefined ? { error: this.message } : { error: this.message, field: this.field }
  }
}

/** A bad request parameter: 400 naming the parameter. */
export function badParam (field: string, message: string): LogStoreError {
  return new LogStoreError(400, message, field)
}
