import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { CliError } from './args.js'
import { functionNameFor, functionYaml, GITIGNORE, HANDLER_TS, PROJECT_YAML, SAMPLE_LOG, tsconfigJson } from './init/templates.js'

export const INIT_USAGE = `Usage: tidewatch init [DIR] [--name NAME] [--force]

Creates a function in DIR (default: the current folder), ready to run:
  function.yaml   the Function file (input topic, prefilter, outputs, scaling)
  handler.ts      the handler: an HTTP 404 in namespace demo-project becomes an alert
  sample.log      three log records to try it on
  tidewatch.yaml  the project file \`tidewatch up\` reads
  tsconfig.json   editor types for \`import … from 'tidewatch'\` (nothing to install)

Then, in DIR:
  tidewatch test function.yaml --input sample.log
  tidewatch up

Options:
  --name NAME   the function's name (default: from the folder's name)
  --force       overwrite files that exist
  -h, --help    show this help`

// The type declarations of this installation: a clone has dist/src/index.d.ts beside this file's
// folder; an installed package ships the same.
const TYPES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'index.d.ts')

export function runInitCommand (argv: string[]): number {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${INIT_USAGE}`)
  }
  if (parsed.values.help === true) { console.log(INIT_USAGE); return 0 }
  if (parsed.positionals.length > 1) throw new CliError(`expected at most one folder\n\n${INIT_USAGE}`)
  const dir = path.resolve(parsed.positionals[0] ?? '.')
  const name = parsed.values.name ?? functionNameFor(path.basename(dir))
  if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new CliError(`--name ${name}: a function name is a Kubernetes name: lower-case letters, digits and '-', starting with a letter, at most 63 characters`)
  const files: [string, string][] = [
    ['function.yaml', functionYaml(name)],
    ['handler.ts', HANDLER_TS],
    ['sample.log', SAMPLE_LOG],
    ['tidewatch.yaml', PROJECT_YAML],
    ['tsconfig.json', tsconfigJson(TYPES)],
    ['.gitignore', GITIGNORE]
  ]
  const existing = files.map(([f]) => f).filter(f => fs.existsSync(path.join(dir, f)))
  if (existing.length > 0 && parsed.values.force !== true) {
    throw new CliError(`${dir} already has ${existing.join(', ')}; nothing was written. Use another folder, or --force to overwrite`)
  }
  fs.mkdirSync(dir, { recursive: true })
  for (const [f, text] of files) fs.writeFileSync(path.join(dir, f), text)
  const shown = path.relative(process.cwd(), dir) || '.'
  console.log(`created function '${name}' in ${shown}: ${files.map(([f]) => f).join(', ')}

Next:
  ${shown === '.' ? '' : `cd ${shown} && `}tidewatch test function.yaml --input sample.log   # what it would send
  tidewatch up                                       # broker, function, notifier, console`)
  return 0
}
