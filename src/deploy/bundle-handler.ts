// The handler travels to the cluster as one self-contained ES module inside a ConfigMap: no
// npm install in the pod, no TypeScript compiler at run time, the same image for every function.
import path from 'node:path'
import { compileHandler, HandlerLoadError } from '../functions/compile-handler.js'

export interface HandlerBundle {
  /** The ES module text (handler.mjs). */
  code: string
  /** Whether an inline source map (stack traces at the .ts lines) fit within the size limit. */
  sourceMap: boolean
  /** esbuild's warnings, as file:line:column: text. */
  warnings: string[]
}

async function esbuildBundle (handlerPath: string, sourceMap: boolean, cwd: string): Promise<{ code: string, warnings: string[] }> {
  // The outfile is never written; it anchors the source map's paths next to the handler, so a
  // stack trace in the pod names handler.ts rather than a path on this machine.
  return await compileHandler(handlerPath, { packages: 'bundle', sourceMap, outfile: path.join(path.dirname(handlerPath), 'tidewatch-bundle.mjs'), cwd })
}

/**
 * Bundles the handler (TypeScript or JavaScript, with its npm dependencies) into one ES module
 * of at most `maxBytes`: with an inline source map when that fits, else without. Throws a
 * HandlerLoadError naming the handler when esbuild fails or the bundle is too large.
 */
export async function bundleHandler (handlerPath: string, opts: { maxBytes: number, cwd?: string }): Promise<HandlerBundle> {
  const cwd = opts.cwd ?? process.cwd()
  const mapped = await esbuildBundle(handlerPath, true, cwd)
  if (Buffer.byteLength(mapped.code) <= opts.maxBytes) return { code: mapped.code, sourceMap: true, warnings: mapped.warnings }
  const plain = await esbuildBundle(handlerPath, false, cwd)
  const size = Buffer.byteLength(plain.code)
  if (size <= opts.maxBytes) return { code: plain.code, sourceMap: false, warnings: plain.warnings }
  throw new HandlerLoadError(`${handlerPath}: the bundled handler is ${size} bytes, but only ${opts.maxBytes} fit: ` +
    'it travels in a ConfigMap with the Function file, and Kubernetes limits a ConfigMap to 1 MiB. ' +
    'Import less (a smaller dependency, or a sub-path of a large one)')
}
