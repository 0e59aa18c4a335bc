import { pino, type Logger } from 'pino'

export type { Logger }

/**
 * The one logger. Structured JSON on stderr so stdout stays free for command output
 * (e.g. `tidewatch status --json`). Level from TIDEWATCH_LOG_LEVEL, default info.
 */
export function createLogger (name: string, level = process.env.TIDEWATCH_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { name } }, pino.destination(2))
}

/** A logger that drops everything, for tests and embedded use where the caller is not interested. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
