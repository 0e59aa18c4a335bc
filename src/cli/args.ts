import fs from 'node:fs'

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

/** The help lines of the token options, with descriptions starting at `column`. */
export function tokenOptionsHelp (column: number): string {
  const pad = (flag: string): string => `  ${flag}`.padEnd(column)
  return [
    `${pad('--token-file FILE')}read the API token from FILE (its first line); prefer it to --token,`,
    `${' '.repeat(column)}whose value every local user can read in \`ps\``,
    `${pad('--token TOKEN')}API token (default $TIDEWATCH_API_TOKEN)`
  ].join('\n')
}

/**
 * The API token from --token-file, --token or $TIDEWATCH_API_TOKEN (in that order); null when
 * none is given. A token file that cannot be read, or is empty, is an error naming the file.
 */
export function resolveApiToken (v: { token?: string, 'token-file'?: string }): string | null {
  if (v.token !== undefined && v['token-file'] !== undefined) throw new CliError('give either --token or --token-file, not both')
  if (v['token-file'] !== undefined) {
    let text: string
    try {
      text = fs.readFileSync(v['token-file'], 'utf8')
    } catch (err) {
      throw new CliError(`--token-file ${v['token-file']}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
    const token = text.split(/\r?\n/)[0].trim()
    if (token === '') throw new CliError(`--token-file ${v['token-file']}: the first line is empty; put the token there`)
    return token
  }
  const token = v.token ?? process.env.TIDEWATCH_API_TOKEN ?? ''
  return token === '' ? null : token
}
