import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { loadFunctionConfig } from '../functions/config/load.js'
import { runLocalTest } from '../functions/local-test.js'
import { CliError } from './args.js'

export const TEST_USAGE = `Usage: tidewatch test FUNCTION.yaml [--input FILE]

Runs the function's handler on each line of FILE (or standard input), without a broker and
without contacting any output, and prints one JSON line per send:
  {"line":1,"output":"notification-manager","type":"alertmanager","payload":{...}}
A handler error prints {"line":N,"error":...,"stack":...}; the exit status is then 1.

Options:
  --input FILE   log lines to feed the handler (default: standard input)
  -h, --help     show this help`

export async function runTestCommand (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { input: { type: 'string', short: 'i' }, help: { type: 'boolean', short: 'h' } } })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${TEST_USAGE}`)
  }
  if (parsed.values.help === true) {
    console.log(TEST_USAGE)
    return 0
  }
  const [file, ...extra] = parsed.positionals
  if (file === undefined || extra.length > 0) throw new CliError(`expected one Function file\n\n${TEST_USAGE}`)
  const config = loadFunctionConfig(file)
  for (const note of config.notCarried) console.error(`tidewatch: note: ${note}`)
  const input = parsed.values.input !== undefined ? fs.createReadStream(parsed.values.input) : process.stdin
  input.on('error', (err: Error) => { console.error(`tidewatch: --input: ${err.message}`); process.exit(2) })
  const summary = await runLocalTest(config, input, process.stdout)
  console.error(`${summary.lines} line${summary.lines === 1 ? '' : 's'}, ${summary.sends} send${summary.sends === 1 ? '' : 's'}, ${summary.errors} handler error${summary.errors === 1 ? '' : 's'}`)
  return summary.errors > 0 ? 1 : 0
}
