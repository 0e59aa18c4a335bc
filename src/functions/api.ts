// The API user handlers program against: `import { defineFunction } from 'tidewatch'`.
// The signature is OpenFunction's async one, (ctx, data), so existing handlers port directly.
import type { Logger } from '../shared/logger.js'

/** Where the record being handled came from. */
export interface RecordInfo {
  topic: string
  partition: number
  offset: number
  /** Record timestamp, ms since the epoch. */
  timestamp: number
  key: string | null
  headers: Record<string, string>
}

/** An alert in Alertmanager's `POST /api/v2/alerts` shape (a "postable alert"). */
export interface PostableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt?: string
  generatorURL: string
}

export interface FunctionContext<Output extends string = string> {
  /** The function's name from its Function file. */
  readonly name: string
  readonly record: RecordInfo
  /** Environment from the Function file's `env`, over the process environment. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly log: Logger
  /**
   * Queues `payload` for the named output, or for every output when no name is given (as
   * OpenFunction does). Outputs are flushed once per batch of records; the batch's offsets are
   * committed only after every output accepted it, so a send is delivered at least once.
   */
  send: (payload: unknown, output?: Output) => Promise<void>
  /**
   * Builds an Alertmanager alert for this record: startsAt is the record's timestamp and
   * generatorURL points at the record (topic, partition, offset) in the console.
   */
  alert: (alert: { labels: Record<string, string>, annotations?: Record<string, string> }) => PostableAlert
}

export type Handler<Data = unknown, Output extends string = string> =
  (ctx: FunctionContext<Output>, data: Data) => void | Promise<void>

/** A handler together with the outputs it sends to, checked against the Function file at load. */
export interface FunctionDefinition<Data = unknown, Output extends string = string> {
  readonly outputs: readonly Output[]
  readonly handle: Handler<Data, Output>
}

/**
 * Declares a handler with full types. Naming the outputs lets Tidewatch refuse, when the
 * function loads, a handler that sends to an output the Function file does not define.
 */
export function defineFunction<Data = unknown, const Output extends string = string> (def: { outputs: readonly Output[], handle: Handler<Data, Output> }): FunctionDefinition<Data, Output> {
  return def
}
