import { parseArgs } from 'node:util'
import type { FunctionStatus, WorkloadStatus } from '../scaling/function-controller.js'
import { CliError, resolveApiToken, tokenOptionsHelp } from './args.js'
import { apiUrl, getJson } from './api-client.js'

export const STATUS_USAGE = `Usage: tidewatch status [--url URL] [--token-file FILE] [--json]

Shows every function and rules workload of a running 'tidewatch run' / 'tidewatch up': replicas
(running/desired), lag, records per second, handler errors, dead-letter records and the last
scaling event; then each rule of the rules workloads: its state, last value and alerts.

Options:
  --url URL       the API (default $TIDEWATCH_URL or http://127.0.0.1:8080)
${tokenOptionsHelp(18)}
  --json          print the API's JSON instead of a table (for scripts)
  -h, --help      show this help`

export async function runStatusCommand (argv: string[]): Promise<number> {
  let v
  try {
    v = parseArgs({ args: argv, options: { url: { type: 'string' }, token: { type: 'string' }, 'token-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${STATUS_USAGE}`)
  }
  if (v.help === true) { console.log(STATUS_USAGE); return 0 }
  const { functions } = await getJson<{ functions: FunctionStatus[] }>(apiUrl(v.url), '/api/v1/functions', resolveApiToken(v))
  if (v.json === true) { console.log(JSON.stringify(functions, null, 2)); return 0 }
  console.log(formatStatusTable(functions))
  return 0
}

export function formatStatusTable (functions: FunctionStatus[]): string {
  if (functions.length === 0) return 'no functions'
  const rows = [['FUNCTION', 'REPLICAS', 'DESIRED', 'LAG', 'RECORDS/S', 'ERRORS', 'DLQ', 'LAST SCALING']]
  for (const f of functions) {
    const e = f.lastEvent
    const last = e === null ? '-' : `${e.time.slice(11, 19)} ${e.from ?? '?'}→${e.to ?? '?'}: ${e.reason}`
    rows.push([
      f.kind === 'rules' ? `${f.name} (rules)` : f.name,
      `${f.replicas.current} (${f.replicas.min}-${f.replicas.max})${f.replicas.stopping > 0 ? ` +${f.replicas.stopping} stopping` : ''}`,
      String(f.replicas.desired),
      f.error !== null ? 'unknown' : String(f.lag.total),
      f.recordsPerSecond.toFixed(f.recordsPerSecond < 10 ? 1 : 0),
      String(f.handlerErrors),
      f.kind === 'rules' ? '-' : String(f.deadLetters),
      last
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  const lines = rows.map(r => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join('  '))
  for (const f of functions) if (f.error !== null) lines.push(`${f.name}: cannot read offsets: ${f.error}`)
  for (const f of functions) {
    if (f.lastError !== undefined && f.lastError !== null) lines.push(`${f.name}: last problem at ${f.lastError.time.slice(11, 19)}: ${f.lastError.message}`)
    if ((f.undecodableBatches ?? 0) > 0) lines.push(`${f.name}: ${f.undecodableBatches} undecodable batch${f.undecodableBatches === 1 ? '' : 'es'} ${f.kind === 'rules' ? 'skipped' : `sent to ${f.name}.dlq`}`)
  }
  const rules = functions.filter(f => f.kind === 'rules')
  if (rules.length > 0) lines.push('', formatRulesTable(rules))
  return lines.join('\n')
}

/** The rules of rules workloads: state (firing > pending > inactive over its series), last value, alerts now. */
export function formatRulesTable (workloads: WorkloadStatus[]): string {
  const rows = [['RULE', 'STATE', 'VALUE', 'ALERTS', 'LAST CHANGE']]
  for (const w of workloads) {
    for (const r of w.rules ?? []) {
      const last = r.recent.at(-1)
      rows.push([
        `${w.name}/${r.id}`,
        r.state,
        r.value === null ? '-' : String(Number(r.value.toPrecision(6))),
        String(r.alerts.length),
        last === undefined ? '-' : `${last.at.slice(11, 19)} ${last.state} ${Object.entries(last.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ')}`.trim()
      ])
    }
  }
  if (rows.length === 1) return 'no rules reported yet'
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join('  ')).join('\n')
}
