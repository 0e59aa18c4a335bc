// `tidewatch test RULES.yaml`: the rules half of the test command (see TEST_USAGE).
import readline from 'node:readline'
import { toEpochMs } from '../shared/epoch.js'
import { loadRuleFile } from '../rules/file.js'
import { parseDurationSeconds } from '../rules/logql/units.js'
import { replay } from '../rules/replay.js'
import { CliError } from './args.js'

function durationFlag (name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const s = parseDurationSeconds(v, true)
  if (s === null || s < 0) throw new CliError(`--${name} '${v}' is not a duration; write it like 30s, 5m or 1h`)
  return Math.round(s * 1000)
}

export async function runRulesTest (file: string, flags: { after?: string, start?: string, step?: string }, input: NodeJS.ReadableStream): Promise<number> {
  const rules = loadRuleFile(file)
  const afterMs = durationFlag('after', flags.after)
  const stepMs = durationFlag('step', flags.step) ?? 1000
  const startMs = flags.start === undefined ? Date.now() : toEpochMs(flags.start)
  if (startMs === null) throw new CliError(`--start '${flags.start ?? ''}' is not a time; write it as RFC 3339 (2024-11-22T05:20:00Z) or epoch seconds`)
  const lines: string[] = []
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) lines.push(line)
  const summary = replay(rules.rules, lines, { startMs, stepMs, afterMs }, e => process.stdout.write(JSON.stringify(e) + '\n'))
  const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`
  const dropped = summary.pipelineErrors > 0 ? `, ${plural(summary.pipelineErrors, 'line')} dropped with a pipeline error (__error__)` : ''
  console.error(`${plural(summary.records, 'record')}, ${plural(rules.rules.length, 'rule')}, ${plural(summary.contributions, 'match', 'matches')}, ${plural(summary.changes, 'state change')}${dropped}`)
  return 0
}
