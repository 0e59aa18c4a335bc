// `tidewatch tail` as a child process, the files it reads, and what reached the topic (read
// back with kcat, a real librdkafka consumer).
import fs from 'node:fs'
import path from 'node:path'
import { CLI, LineProcess, run } from './processes.js'
import { waitFor } from './wait.js'

export const CONTAINER_ID = 'c'.repeat(64)

/** A kubelet-style symlink name under /var/log/containers. */
export function containerLogName (pod: string, namespace: string, container: string, id = CONTAINER_ID): string {
  return `${pod}_${namespace}_${container}-${id}.log`
}

/** One CRI line: `<RFC3339Nano> <stream> <P|F> <message>\n`. */
export function criLine (message: string, o: { stream?: 'stdout' | 'stderr', partial?: boolean, at?: number } = {}): string {
  const ns = String((o.at ?? 0) % 1e9).padStart(9, '0')
  return `2024-05-01T12:00:${String(Math.floor((o.at ?? 0) / 1e9) % 60).padStart(2, '0')}.${ns}Z ${o.stream ?? 'stdout'} ${o.partial === true ? 'P' : 'F'} ${message}\n`
}

export function dockerLine (log: string, stream = 'stdout', time = '2024-05-01T12:00:00.000000000Z'): string {
  return JSON.stringify({ log, stream, time }) + '\n'
}

export async function startTail (args: string[], env: NodeJS.ProcessEnv = {}): Promise<LineProcess> {
  const p = new LineProcess(process.execPath, ['--enable-source-maps', CLI, 'tail', ...args], { TIDEWATCH_LOG_LEVEL: 'warn', ...env })
  await waitFor(() => {
    if (p.child.exitCode !== null) throw new Error(`tidewatch tail exited ${p.child.exitCode}: ${p.stderr}`)
    return p.lines.some(l => l.includes(' → topic '))
  }, { what: 'tidewatch tail to start', timeoutMs: 30_000 })
  return p
}

export interface Shipped { partition: number, offset: number, doc: Record<string, any> }

/** Every record of `topic`, read with kcat from the beginning to the current end. */
export async function readTopic (bootstrap: string, topic = 'logs'): Promise<Shipped[]> {
  const r = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-e', '-q', '-f', '%p %o %s\\n'], { timeoutMs: 60_000 })
  if (r.code !== 0) {
    if (/Unknown topic|UNKNOWN_TOPIC/i.test(r.stderr)) return []
    throw new Error(`kcat failed (${r.code}): ${r.stderr}`)
  }
  return r.stdout.split('\n').filter(l => l !== '').map(l => {
    const [p, o] = l.split(' ', 2)
    return { partition: Number(p), offset: Number(o), doc: JSON.parse(l.slice(p.length + o.length + 2)) }
  })
}

/** Waits until `topic` holds at least `count` records and returns them. */
export async function waitForRecords (bootstrap: string, count: number, o: { topic?: string, timeoutMs?: number, what?: string } = {}): Promise<Shipped[]> {
  let last: Shipped[] = []
  await waitFor(async () => { last = await readTopic(bootstrap, o.topic); return last.length >= count }, { what: o.what ?? `${count} records in ${o.topic ?? 'logs'}`, timeoutMs: o.timeoutMs ?? 60_000, intervalMs: 300 })
  return last
}

export function writeFile (file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
}
