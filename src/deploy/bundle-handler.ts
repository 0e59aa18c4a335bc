// The handler travels to the cluster as one self-contained ES module inside a ConfigMap: no
// npm install in the pod, no TypeScript compiler at run time, the same image for every function.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildFailure, type Message } from 'esbuild'
import { HandlerLoadError } from '../functions/loader.js'

export interface HandlerBundle {
  /** The ES module text (handler.mjs). */
  code: string
  /** Whether an inline source map (stack traces at the .ts lines) fit within the size limit. */
  sourceMap: boolean
  /** esbuild's warnings, as file:line:column: text. */
  warnings: string[]
}

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * What `import … from 'tidewatch'` means inside a bundle: the handler API module of this very
 * Tidewatch. From a clone (dist/src/deploy) that is src/functions/api.ts; when running from
 * source, the sibling .ts; in an installed package, whose sources are not shipped, the compiled
 * api.js. The API module imports only types, so the bundle stays self-contained either way.
 */
export function handlerApiModule (): string {
  const candidates = [
    path.resolve(here, '..', '..', '..', 'src', 'functions', 'api.ts'),
    path.resolve(here, '..', 'functions', 'api.ts'),
    path.resolve(here, '..', 'functions', 'api.js')
  ]
  return candidates.find(f => fs.existsSync(f)) ?? candidates[candidates.length - 1]
}

// Bundled CommonJS dependencies may call require('node:…'), which an ES module does not have.
const REQUIRE_SHIM = "import { createRequire as __tidewatchCreateRequire } from 'node:module'; const require = __tidewatchCreateRequire(import.meta.url);"

async function esbuildBundle (handlerPath: string, sourceMap: boolean, cwd: string): Promise<{ code: string, warnings: Message[] }> {
  let result
  try {
    result = await build({
      entryPoints: [handlerPath],
      bundle: true,
      platform: 'node', // node builtins stay external imports
      format: 'esm',
      target: 'node20',
      alias: { tidewatch: handlerApiModule() },
      banner: { js: REQUIRE_SHIM },
      write: false,
      // Never written (write: false); it only anchors the source map's paths next to the handler,
      // so a stack trace in the pod names handler.ts rather than a path on this machine.
      outfile: path.join(path.dirname(handlerPath), 'tidewatch-bundle.mjs'),
      sourcemap: sourceMap ? 'inline' : false,
      sourcesContent: false,
      absWorkingDir: cwd,
      logLevel: 'silent'
    })
  } catch (err) {
    if (!isBuildFailure(err)) throw err
    const lines = formatMessages(err.errors).map(l => `  ${l}`).join('\n')
    throw new HandlerLoadError(`${handlerPath}: cannot bundle the handler:\n${lines}`, { cause: err })
  }
  return { code: result.outputFiles[0].text, warnings: result.warnings }
}

/** esbuild's messages as `file:line:column: text`, paths relative to the working directory. */
export function formatMessages (messages: Message[]): string[] {
  return messages.map(m => m.location === null ? m.text : `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}`)
}

function isBuildFailure (err: unknown): err is BuildFailure {
  return err instanceof Error && Array.isArray((err as Partial<BuildFailure>).errors)
}

/**
 * Bundles the handler (TypeScript or JavaScript, with its npm dependencies) into one ES module
 * of at most `maxBytes`: with an inline source map when that fits, else without. Throws a
 * HandlerLoadError naming the handler when esbuild fails or the bundle is too large.
 */
export async function bundleHandler (handlerPath: string, opts: { maxBytes: number, cwd?: string }): Promise<HandlerBundle> {
  const cwd = opts.cwd ?? process.cwd()
  const mapped = await esbuildBundle(handlerPath, true, cwd)
  if (Buffer.byteLength(mapped.code) <= opts.maxBytes) return { code: mapped.code, sourceMap: true, warnings: formatMessages(mapped.warnings) }
  const plain = await esbuildBundle(handlerPath, false, cwd)
  const size = Buffer.byteLength(plain.code)
  if (size <= opts.maxBytes) return { code: plain.code, sourceMap: false, warnings: formatMessages(plain.warnings) }
  throw new HandlerLoadError(`${handlerPath}: the bundled handler is ${size} bytes, but only ${opts.maxBytes} fit: ` +
    'it travels in a ConfigMap with the Function file, and Kubernetes limits a ConfigMap to 1 MiB. ' +
    'Import less (a smaller dependency, or a sub-path of a large one)')
}
