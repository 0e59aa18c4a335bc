// At-least-once under faults, for real: the agent killed with SIGKILL at random points while
// lines are written, and the broker (a separate `tidewatch broker` process) stopped for 30 s
// mid-stream. Every line must arrive; duplicates are counted and bounded by what the agent
// may hold unacknowledged (its --buffer-bytes).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { BrokerProcess, tempDir, type LineProcess } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { containerLogName, criLine, readTopic, startTail } from './helpers/tail.js'

const LINES = 20_000
const CHUNK = 1000
const BUFFER = 64 * 1024

function line (file: number, seq: number): string {
  // ~200 bytes, each unique.
  return criLine(`f${file} seq=${String(seq).padStart(6, '0')} GET /api/v1/items?page=${seq % 97} 200 ${'p'.repeat(120)}`)
}

function countSeqs (logs: string[]): { unique: number, total: number, missing: number[] } {
  const seen = new Set<string>()
  for (const l of logs) seen.add(l.slice(0, 13))
  const missing: number[] = []
  for (let f = 0; f < 2; f++) {
    for (let s = 0; s < LINES / 2; s++) if (!seen.has(`f${f} seq=${String(s).padStart(6, '0')}`)) missing.push(f * LINES + s)
  }
  return { unique: seen.size, total: logs.length, missing }
}

test('kill -9 of the agent at 5 random points while 20,000 lines are written: every line arrives, duplicates bounded by the unacknowledged buffer', async t => {
  const root = tempDir('tidewatch-tail-kill-')
  const broker = await BrokerProcess.start(path.join(root, 'broker'), ['--partitions', '2'])
  const files = [0, 1].map(i => path.join(root, 'logs', containerLogName(`writer-${i}`, 'crash', 'app')))
  fs.mkdirSync(path.join(root, 'logs'))
  const args = ['--brokers', broker.bootstrap, '--checkpoints', path.join(root, 'cp'), '--buffer-bytes', String(BUFFER), '--batch-bytes', '16384', '--linger-ms', '5', path.join(root, 'logs', '*.log')]
  let agent: LineProcess = await startTail(args)
  const seed = Date.now()
  let state = seed
  const random = (): number => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 }
  const chunks = LINES / CHUNK
  const killAfter = new Set<number>()
  while (killAfter.size < 5) killAfter.add(Math.floor(random() * (chunks - 1)))
  let kills = 0
  try {
    for (let c = 0; c < chunks; c++) {
      const f = c % 2
      const from = Math.floor(c / 2) * CHUNK
      fs.appendFileSync(files[f], Array.from({ length: CHUNK }, (_, i) => line(f, from + i)).join(''))
      if (!killAfter.has(c)) continue
      // A random moment while the agent works through the 200 KB just written: reading,
      // batches in flight, checkpoints being written.
      await new Promise(resolve => setTimeout(resolve, Math.floor(random() * 60)))
      agent.child.kill('SIGKILL')
      await agent.exited
      kills++
      agent = await startTail(args)
    }
    let logs: string[] = []
    await waitFor(async () => {
      logs = (await readTopic(broker.bootstrap)).map(r => r.doc.log as string)
      return countSeqs(logs).missing.length === 0
    }, { what: 'every line to arrive', timeoutMs: 120_000, intervalMs: 500 }).catch(err => {
      const { missing } = countSeqs(logs)
      throw new Error(`${(err as Error).message}: ${missing.length} missing, first ${missing.slice(0, 10).join(',')} (seed ${seed}, kills after chunks ${[...killAfter].join(',')}); agent stderr: ${agent.stderr.slice(-2000)}`)
    })
    const { unique, total } = countSeqs(logs)
    const duplicates = total - unique
    const bound = kills * (Math.ceil(BUFFER / Buffer.byteLength(line(0, 0))) + 1)
    t.diagnostic(`seed ${seed}: ${kills} kills, ${total} records for ${unique} lines, ${duplicates} duplicates (bound ${bound})`)
    assert.equal(kills, 5)
    assert.equal(unique, LINES)
    assert.ok(duplicates <= bound, `${duplicates} duplicates exceed ${bound} (seed ${seed})`)
  } finally {
    await agent.stop('SIGKILL').catch(() => {})
    await broker.stop('SIGKILL').catch(() => {})
  }
})

test('the broker stopped for 30 s mid-stream: reading pauses within the buffer, resumes, nothing is lost', async () => {
  const root = tempDir('tidewatch-tail-outage-')
  const brokerDir = path.join(root, 'broker')
  let broker = await BrokerProcess.start(brokerDir, ['--partitions', '2'])
  const port = broker.port
  const file = path.join(root, 'logs', containerLogName('steady-0', 'outage', 'app'))
  fs.mkdirSync(path.dirname(file))
  fs.writeFileSync(file, '')
  const agent = await startTail(['--brokers', broker.bootstrap, '--checkpoints', path.join(root, 'cp'), '--buffer-bytes', String(BUFFER), '--port', '0', path.join(root, 'logs', '*.log')])
  const metricsUrl = agent.lines.find(l => l.includes('metrics on '))!.split('metrics on ')[1]
  const metric = async (name: string): Promise<number> => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(metricsUrl)).text())?.[1] ?? NaN)
  let written = 0
  const write = (n: number): void => {
    fs.appendFileSync(file, Array.from({ length: n }, (_, i) => line(0, written + i)).join(''))
    written += n
  }
  try {
    write(1000)
    await waitFor(async () => (await readTopic(broker.bootstrap)).length >= 1000, { what: 'the first 1000 lines' })
    await broker.stop('SIGTERM')
    // 30 s without a broker while the application keeps writing.
    const outageEnd = Date.now() + 30_000
    let maxBuffered = 0
    while (Date.now() < outageEnd) {
      write(250)
      maxBuffered = Math.max(maxBuffered, await metric('tidewatch_tail_buffered_bytes'))
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const lagDuringOutage = await metric('tidewatch_tail_file_lag_bytes\\{path="[^"]+"\\}')
    broker = await BrokerProcess.start(brokerDir, ['--partitions', '2', '--port', String(port)])
    write(1000)
    // Memory stayed bounded: what waited was a few buffers' worth, while the file grew by megabytes.
    assert.ok(maxBuffered <= 4 * BUFFER, `buffered ${maxBuffered} bytes with a ${BUFFER}-byte buffer`)
    assert.ok(lagDuringOutage > 1024 * 1024, `lag during the outage was only ${lagDuringOutage} bytes`)
    let logs: string[] = []
    await waitFor(async () => {
      logs = (await readTopic(broker.bootstrap)).map(r => r.doc.log as string)
      return new Set(logs.map(l => l.slice(0, 13))).size >= written
    }, { what: `all ${written} lines after the broker came back`, timeoutMs: 120_000, intervalMs: 500 })
    const seqs = new Set(logs.map(l => Number(/seq=(\d+)/.exec(l)![1])))
    for (let s = 0; s < written; s++) assert.ok(seqs.has(s), `line ${s} lost`)
  } finally {
    await agent.stop('SIGKILL').catch(() => {})
    await broker.stop('SIGKILL').catch(() => {})
  }
})
