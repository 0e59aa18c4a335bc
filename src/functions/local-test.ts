import readline from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import type { FunctionConfig } from './config/load.js'
import { loadHandler } from './loader.js'
import { createContext, Outbox, parseData, prefilter } from './context.js'
import { silentLogger, type Logger } from '../shared/logger.js'
import { Deadline } from './deadline.js'

export interface LocalTestSummary { lines: number, sends: number, errors: number }

/**
 * The local development loop: runs the handler on each line of `input`, with no broker and no
 * outputs contacted, and writes one JSON line per send (or per handler error) to `out` — exactly
 * what the function would deliver, and where.
 */
export async function runLocalTest (config: FunctionConfig, input: Readable, out: Writable, logger: Logger = silentLogger()): Promise<LocalTestSummary> {
  const handler = await loadHandler(config)
  const outputs = [...config.outputs.keys()]
  const env = { ...process.env, ...config.env }
  const summary: LocalTestSummary = { lines: 0, sends: 0, errors: 0 }
  const wanted = prefilter(config.input.prefilter)
  const deadline = new Deadline(config.timeoutMs)
  const rl = readline.createInterface({ input, crlfDelay: Infinity })
  for await (const line of rl) {
    const n = ++summary.lines
    if (line.trim() === '' || !wanted(Buffer.from(line))) continue
    const outbox = new Outbox(outputs)
    const record = { topic: config.input.topic, partition: 0, offset: n - 1, timestamp: Date.now(), key: null, headers: {} }
    const ctx = createContext({ name: config.name, record, env, log: logger.child({ line: n }), outbox })
    try {
      await deadline.run(() => handler.handle(ctx, parseData(line)))
    } catch (err) {
      summary.errors++
      out.write(JSON.stringify({ line: n, error: (err as Error).message, stack: (err as Error).stack }) + '\n')
      continue
    }
    for (const [name, payloads] of outbox.byOutput) {
      const type = config.outputs.get(name)!.type
      for (const payload of payloads) {
        summary.sends++
        out.write(JSON.stringify({ line: n, output: name, type, payload }) + '\n')
      }
    }
  }
  return summary
}
