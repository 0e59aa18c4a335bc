// The one way a handler (TypeScript or JavaScript) becomes code that runs: esbuild compiles it
// into a single ES module in which `import … from 'tidewatch'` is this very installation's
// handler API, inlined. So a handler works from any folder — the user's own repository, a temp
// dir — without installing Tidewatch beside it, and always against the API of the Tidewatch
// that runs it (never a second, different copy).
// - Locally (`run`, `up`, `test`), the handler's npm dependencies stay outside the bundle,
//   imported from where they are installed (resolved by esbuild from the handler's folder, as
//   Node would), so native addons and packages that read their own files keep working.
// - For Kubernetes, everything is bundled: the module travels alone in a ConfigMap.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { builtinModules } from 'node:module'
import { build, stop as stopEsbuild, type BuildFailure, type Message, type Plugin } from 'esbuild'

/** A handler module that cannot be used, with the fix in the message. */
export class HandlerLoadError extends Error {
  override name = 'HandlerLoadError'
}

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * What `import … from 'tidewatch'` means inside a compiled handler: the handler API module of
 * this Tidewatch. From a clone (dist/src/functions) that is src/functions/api.ts; in an installed
 * package, whose sources are not shipped, the compiled api.js beside this file. The API module
 * imports only types, so it inlines to a few lines.
 */
export function handlerApiModule (): string {
  const candidates = [
    path.resolve(here, '..', '..', '..', 'src', 'functions', 'api.ts'),
    path.resolve(here, 'api.ts'),
    path.resolve(here, 'api.js')
  ]
  return candidates.find(f => fs.existsSync(f)) ?? candidates[candidates.length - 1]
}

// Bundled CommonJS code calls require('node:…'), which an ES module lacks. Declared with `var`
// and without an import declaration, so compiling an already-compiled handler (the pod's bundle,
// which the replica loads) repeats it harmlessly instead of declaring a binding twice.
const REQUIRE_SHIM = "var require = (await import('node:module')).createRequire(import.meta.url);"

const BUILTINS = new Set(builtinModules)

/** Bare imports (npm packages) become imports of the absolute file esbuild resolved them to. */
function externalPackages (): Plugin {
  return {
    name: 'tidewatch-external-packages',
    setup (b) {
      b.onResolve({ filter: /^[^./]/ }, async args => {
        if (args.path === 'tidewatch' || args.pluginData === 'resolving') return undefined
        if (args.path.startsWith('node:') || BUILTINS.has(args.path.split('/')[0])) return { path: args.path, external: true }
        const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' })
        if (resolved.errors.length > 0) return { errors: resolved.errors }
        return { path: resolved.path, external: true }
      })
    }
  }
}

export interface CompileOptions {
  /** 'external': dependencies imported from where they are installed; 'bundle': all inlined. */
  packages: 'external' | 'bundle'
  sourceMap: boolean
  /** Where the module will live; source map paths are relative to it. */
  outfile: string
  cwd?: string
}

/** Compiles the handler into one ES module's text; esbuild's problems as a HandlerLoadError naming each file:line:column. */
export async function compileHandler (handlerPath: string, o: CompileOptions): Promise<{ code: string, warnings: string[] }> {
  let result
  try {
    result = await build({
      entryPoints: [handlerPath],
      bundle: true,
      platform: 'node', // node builtins stay external imports
      format: 'esm',
      target: 'node20',
      alias: { tidewatch: handlerApiModule() },
      plugins: o.packages === 'external' ? [externalPackages()] : [],
      banner: { js: REQUIRE_SHIM },
      write: false,
      outfile: o.outfile,
      sourcemap: o.sourceMap ? 'inline' : false,
      sourcesContent: false,
      absWorkingDir: o.cwd ?? process.cwd(),
      logLevel: 'silent'
    })
  } catch (err) {
    if (!isBuildFailure(err)) throw err
    const lines = formatMessages(err.errors).map(l => `  ${l}`).join('\n')
    throw new HandlerLoadError(`${handlerPath}: cannot compile the handler:\n${lines}`, { cause: err })
  } finally {
    // esbuild keeps a service process alive for later builds; a replica builds once, and must
    // not carry a child process for the rest of its life (the next build starts a new one).
    await stopEsbuild()
  }
  return { code: result.outputFiles[0].text, warnings: formatMessages(result.warnings) }
}

/** esbuild's messages as `file:line:column: text`, paths relative to the working directory. */
export function formatMessages (messages: Message[]): string[] {
  return messages.map(m => m.location === null ? m.text : `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}`)
}

function isBuildFailure (err: unknown): err is BuildFailure {
  return err instanceof Error && Array.isArray((err as Partial<BuildFailure>).errors)
}
