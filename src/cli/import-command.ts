import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { parse, stringify } from 'yaml'
import { importOpenFunction, isOpenFunction } from '../functions/config/openfunction.js'
import { CliError } from './args.js'

export const IMPORT_USAGE = `Usage: tidewatch import openfunction FILE [--handler PATH]

Prints the native Function file equivalent to an OpenFunction Function (core.openfunction.io
v1alpha1 or v1beta2): the Kafka binding becomes the input, HTTP bindings become outputs, KEDA
settings become scale. Fields with no meaning here are listed at the top, not dropped silently.
(tidewatch run and tidewatch test also accept the OpenFunction file directly.)

Options:
  --handler PATH   the TypeScript handler to reference (default ./handler.ts)`

export function runImportCommand (argv: string[]): number {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { handler: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help === true) { console.log(IMPORT_USAGE); return 0 }
  const [kind, file, ...extra] = positionals
  if (kind !== 'openfunction' || file === undefined || extra.length > 0) throw new CliError(IMPORT_USAGE)
  let doc: unknown
  try {
    doc = parse(fs.readFileSync(file, 'utf8'))
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message.split('\n')[0]}`)
  }
  if (!isOpenFunction(doc)) throw new CliError(`${file}: not an OpenFunction Function (expected apiVersion core.openfunction.io/… and kind Function)`)
  const { native, notCarried } = importOpenFunction(doc as Record<string, unknown>, values.handler)
  const header = [`# Imported from ${file} by tidewatch import openfunction.`]
  if (notCarried.length > 0) header.push('# Not carried over:', ...notCarried.map(n => `#  - ${n}`))
  process.stdout.write(header.join('\n') + '\n' + stringify(native))
  return 0
}
