/** A mistake in how the command was invoked: printed without a stack trace, exit code 2. */
export class CliError extends Error {}

export function parseIntOption (flag: string, value: string | undefined, opts: { min?: number, max?: number } = {}): number | undefined {
  if (value === undefined) return undefined
  if (!/^-?\d+$/.test(value)) throw new CliError(`${flag} expects a whole number, got '${value}'`)
  const n = Number.parseInt(value, 10)
  if (opts.min !== undefined && n < opts.min) throw new CliError(`${flag} must be at least ${opts.min}, got ${n}`)
  if (opts.max !== undefined && n > opts.max) throw new CliError(`${flag} must be at most ${opts.max}, got ${n}`)
  return n
}

/** Resolves with the signal's name at the first Ctrl-C (SIGINT) or SIGTERM, then stops listening. */
export async function untilStopSignal (): Promise<NodeJS.Signals> {
  return await new Promise(resolve => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
