import fs from 'node:fs'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import type { FunctionDefinition, Handler } from './api.js'
import type { FunctionConfig } from './config/load.js'

/** A handler module that cannot be used, with the fix in the message. */
export class HandlerLoadError extends Error {
  override name = 'HandlerLoadError'
}

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

/**
 * Imports the handler module (TypeScript is compiled on the fly, with source maps, so stack
 * traces point at the .ts lines) and checks, before any record is processed, that every output
 * it sends to is defined in the Function file.
 */
export async function loadHandler (config: FunctionConfig): Promise<LoadedHandler> {
  const { path: file, export: exportName } = config.handler
  process.setSourceMapsEnabled(true)
  let mod: Record<string, unknown>
  try {
    mod = /\.[cm]?ts$/.test(file) ? await tsImport(pathToFileURL(file).href, import.meta.url) : await import(pathToFileURL(file).href)
  } catch (err) {
    const message = (err as Error).message.split('\n')[0]
    const hint = /Cannot find (module|package) 'tidewatch'/.test(message)
      ? '; install Tidewatch where the handler lives (npm install tidewatch), or keep the handler inside a project that depends on it'
      : ''
    throw new HandlerLoadError(`${file}: cannot load the handler module: ${message}${hint}`, { cause: err })
  }
  let exported = mod[exportName]
  // A .ts file outside an ESM package is compiled as CommonJS, and its default export then
  // arrives wrapped once more: { default: { default: handler } }.
  const inner = (exported as Record<string, unknown> | null | undefined)?.default
  if (exportName === 'default' && exported !== null && typeof exported === 'object' && inner !== undefined && inner !== null) exported = inner
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
