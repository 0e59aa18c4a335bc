import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FunctionDefinition, Handler } from './api.js'
import type { FunctionConfig } from './config/load.js'
import { compileHandler, HandlerLoadError } from './compile-handler.js'

export { HandlerLoadError }

export interface LoadedHandler {
  handle: Handler
  /** Output names the handler sends to, as far as they can be known before it runs. */
  outputs: string[]
}

// A plain (ctx, data) handler declares nothing, so its output names are read from the source:
// string literals passed as send()'s second argument. defineFunction({ outputs }) is exact.
const SEND_TO = /\.send\s*\([^;]*?,\s*(['"`])([^'"`$]+)\1\s*\)/g

function outputsInSource (file: string): string[] {
  const text = fs.readFileSync(file, 'utf8')
  return [...new Set([...text.matchAll(SEND_TO)].map(m => m[2]))]
}

/** Where compiled handlers are kept: one file per distinct compiled module (named by its hash). */
const COMPILED_DIR = path.join(os.tmpdir(), 'tidewatch-handlers')

/**
 * Compiles the handler (compile-handler.ts: `tidewatch` is this installation's API, npm
 * dependencies imported from where they are installed, an inline source map so stack traces
 * point at the handler's own lines), imports it, and checks, before any record is processed,
 * that every output it sends to is defined in the Function file.
 */
export async function loadHandler (config: FunctionConfig): Promise<LoadedHandler> {
  const { path: file, export: exportName } = config.handler
  process.setSourceMapsEnabled(true)
  if (!fs.existsSync(file)) throw new HandlerLoadError(`${file}: the handler file does not exist (handler: in ${config.file})`)
  const outfile = path.join(COMPILED_DIR, 'handler.mjs')
  const { code } = await compileHandler(file, { packages: 'external', sourceMap: true, outfile, cwd: path.dirname(file) })
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(writeCompiled(code)).href)
  } catch (err) {
    throw new HandlerLoadError(`${file}: the handler module failed while loading: ${(err as Error).message.split('\n')[0]}`, { cause: err })
  }
  const exported = mod[exportName]
  let loaded: LoadedHandler
  if (typeof exported === 'function') {
    loaded = { handle: exported as Handler, outputs: outputsInSource(file) }
  } else if (exported !== null && typeof exported === 'object' && typeof (exported as FunctionDefinition).handle === 'function') {
    const def = exported as FunctionDefinition
    loaded = { handle: def.handle.bind(def) as Handler, outputs: [...def.outputs] }
  } else {
    const available = Object.keys(mod).filter(k => typeof mod[k] === 'function' || typeof (mod[k] as FunctionDefinition | undefined)?.handle === 'function')
    throw new HandlerLoadError(`${file}: export '${exportName}' is not a handler; export a function (ctx, data) or defineFunction({ outputs, handle })` +
      (available.length > 0 ? ` (handlers exported: ${available.join(', ')}; set handler.export in ${config.file})` : ''))
  }
  const unknown = loaded.outputs.filter(o => !config.outputs.has(o))
  if (unknown.length > 0) {
    const defined = [...config.outputs.keys()]
    throw new HandlerLoadError(`${file}: sends to output${unknown.length > 1 ? 's' : ''} ${unknown.map(o => `'${o}'`).join(', ')} not defined in ${config.file}` +
      ` (outputs defined: ${defined.length > 0 ? defined.join(', ') : 'none'}); add ${unknown.length > 1 ? 'them' : 'it'} under outputs: or fix the name`)
  }
  return loaded
}

/**
 * Writes the compiled module under a name made from its content (so replicas of the same
 * handler share one file and a changed handler never imports a stale one); atomic, so two
 * processes compiling at once cannot see half a file. Returns its path.
 */
function writeCompiled (code: string): string {
  fs.mkdirSync(COMPILED_DIR, { recursive: true })
  const file = path.join(COMPILED_DIR, `${createHash('sha256').update(code).digest('hex').slice(0, 24)}.mjs`)
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, code)
    fs.renameSync(tmp, file)
  }
  return file
}
