import { parseArgs } from 'node:util'
import type { ScalingEvent } from '../scaling/events.js'
import { CliError, parseIntOption, resolveApiToken, tokenOptionsHelp } from './args.js'
import { apiUrl, getJson } from './api-client.js'

export const EVENTS_USAGE = `Usage: tidewatch events [--function NAME] [--limit N] [--follow] [--json] [--url URL] [--token-file FILE]

Lists scaling events of a running 'tidewatch run' / 'tidewatch up', oldest first: every change in
replicas with the autoscaler's reason, replicas that exited and were restarted, crash loops.

Options:
  --function NAME   only this function's events
  --limit N         the last N events (default 50, at most 1000)
  --follow          keep printing new events as they happen (Ctrl-C to stop)
  --json            one JSON object per line
  --url URL         the API (default $TIDEWATCH_URL or http://127.0.0.1:8080)
${tokenOptionsHelp(20)}
  -h, --help        show this help`

export function formatEvent (e: ScalingEvent): string {
  const change = e.type === 'scale' ? `${e.from ?? '?'} → ${e.to ?? '?'}` : e.type
  return `${e.time}  ${e.function}  ${change}  ${e.reason}`
}

export async function runEventsCommand (argv: string[]): Promise<number> {
  let v
  try {
    v = parseArgs({ args: argv, options: { function: { type: 'string' }, limit: { type: 'string' }, follow: { type: 'boolean' }, json: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' }, 'token-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${EVENTS_USAGE}`)
  }
  if (v.help === true) { console.log(EVENTS_USAGE); return 0 }
  const limit = parseIntOption('--limit', v.limit, { min: 1, max: 1000 }) ?? 50
  const base = apiUrl(v.url)
  const print = (e: ScalingEvent): void => console.log(v.json === true ? JSON.stringify(e) : formatEvent(e))
  let after = 0
  for (;;) {
    const q = new URLSearchParams({ after: String(after), limit: String(limit) })
    if (v.function !== undefined) q.set('function', v.function)
    const { events } = await getJson<{ events: ScalingEvent[] }>(base, `/api/v1/events?${q.toString()}`, resolveApiToken(v))
    for (const e of events) print(e)
    after = events.at(-1)?.seq ?? after
    if (v.follow !== true) return 0
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
}
