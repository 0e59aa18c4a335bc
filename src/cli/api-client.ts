import { CliError } from './args.js'

/** Where `tidewatch status` / `events` find a running Tidewatch: --url, $TIDEWATCH_URL, or the default. */
export function apiUrl (given: string | undefined): string {
  return (given ?? process.env.TIDEWATCH_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')
}

/** GETs a JSON document from the API, turning every failure into a message that says what to do. */
export async function getJson<T> (base: string, pathAndQuery: string, token: string | null): Promise<T> {
  const headers: Record<string, string> = {}
  if (token !== null) headers.authorization = `Bearer ${token}`
  let res: Response
  try {
    res = await fetch(`${base}${pathAndQuery}`, { headers, signal: AbortSignal.timeout(10_000) })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
    throw new CliError(`cannot reach Tidewatch at ${base} (${cause}); is 'tidewatch run' or 'tidewatch up' running? Point at it with --url or TIDEWATCH_URL`)
  }
  if (res.status === 401) throw new CliError(`${base} wants a token: pass --token-file FILE or set TIDEWATCH_API_TOKEN`)
  if (!res.ok) throw new CliError(`${base}${pathAndQuery} answered HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`)
  return await res.json() as T
}
