// The reference example's Function file (examples/logs-handler) rewritten for a test against a
// remote cluster: its own name and topic, read from the earliest offset, lag polled every 2 s.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const EXAMPLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'logs-handler')

/** Writes `<dir>/<name>.yaml`: the example function reading `topic` as `name`, with `kafka` appended. */
export function exampleFunctionFile (dir: string, name: string, topic: string, kafka = ''): string {
  const f = path.join(dir, `${name}.yaml`)
  fs.writeFileSync(f, fs.readFileSync(path.join(EXAMPLE_DIR, 'function.yaml'), 'utf8')
    .replace('name: logs-handler', `name: ${name}`)
    .replace('topic: logs', `topic: ${topic}`)
    .replace('startFrom: latest', 'startFrom: earliest')
    // A remote cluster's lag is polled (no append events): every 2 s instead of KEDA's 30.
    .replace('  lagThreshold: 10', '  lagThreshold: 10\n  pollingInterval: 2')
    .replace('handler: ./handler.ts', `handler: ${path.join(EXAMPLE_DIR, 'handler.ts')}`) + kafka)
  return f
}
