import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { runLocalTest } from '../functions/local-test.js'
import { CliError } from './args.js'

export const TEST_USAGE = `Usage: tidewatch test FUNCTION.yaml [--input FILE]
       tidewatch test RULES.yaml [--input FILE] [--after DURATION] [--start TIME] [--step DURATION]

With a Function file: runs the function's handler on each line of FILE (or standard input),
without a broker and without contacting any output, and prints one JSON line per send:
  {"line":1,"output":"notification-manager","type":"alertmanager","payload":{...}}
A handler error prints {"line":N,"error":...,"stack":...}; the exit status is then 1.

With a rule file (Prometheus/Loki rule groups: a file with groups:): replays the records of
FILE (NDJSON envelopes from Fluent Bit, Fluentd, Vector or Tidewatch ingest, or plain lines)
in event time, without a broker, and prints one JSON line per alert state change:
  {"alert":"JavaException","state":"firing","labels":{...},"value":1,"at":"2024-11-22T05:20:01.000Z"}
States: pending, firing, resolved, and inactive (a pending alert whose series went away).
Records are sorted by their event time; a record without one takes the previous record's time
plus --step. After the last record, time moves on by --after so that windows empty and alerts
resolve; absent_over_time rules may then fire, as the input has stopped.

Options:
  --input FILE       records / log lines (default: standard input)
  --after DURATION   rule files: how far past the last record time moves (default: the
                     longest range + offset + for of the rules; 0 stops at the last record)
  --start TIME       rule files: the time of records without a time of their own, until one
                     has (RFC 3339 or epoch seconds; default: now)
  --step DURATION    rule files: added per record without a time of its own (default: 1s)
  -h, --help         show this help`

function readInput (file: string | undefined): NodeJS.ReadableStream {
  const input = file !== undefined ? fs.createReadStream(file) : process.stdin
  input.on('error', (err: Error) => { console.error(`tidewatch: --input: ${err.message}`); process.exit(2) })
  return input
}

async function isRuleFile (file: string): Promise<boolean> {
  let text: string
  try { text = fs.readFileSync(file, 'utf8') } catch { return false }
  return (await import('../rules/file.js')).isRuleFileText(text)
}

export async function runTestCommand (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { input: { type: 'string', short: 'i' }, after: { type: 'string' }, start: { type: 'string' }, step: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${TEST_USAGE}`)
  }
  if (parsed.values.help === true) {
    console.log(TEST_USAGE)
    return 0
  }
  const [file, ...extra] = parsed.positionals
  if (file === undefined || extra.length > 0) throw new CliError(`expected one Function file or rule file\n\n${TEST_USAGE}`)
  if (await isRuleFile(file)) return await (await import('./test-rules.js')).runRulesTest(file, parsed.values, readInput(parsed.values.input))
  for (const flag of ['after', 'start', 'step'] as const) if (parsed.values[flag] !== undefined) throw new CliError(`--${flag} is for rule files; ${file} is a Function file`)
  const config = loadFunctionConfig(file)
  for (const note of config.notCarried) console.error(`tidewatch: note: ${note}`)
  const summary = await runLocalTest(config, readInput(parsed.values.input) as never, process.stdout)
  console.error(`${summary.lines} line${summary.lines === 1 ? '' : 's'}, ${summary.sends} send${summary.sends === 1 ? '' : 's'}, ${summary.errors} handler error${summary.errors === 1 ? '' : 's'}`)
  return summary.errors > 0 ? 1 : 0
}
