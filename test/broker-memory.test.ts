// Memory a client can make the broker hold. Before SASL authentication a frame may be at most
// 512 KiB (Kafka's sasl.server.max.receive.size): larger ones close the connection. After it (or
// with SASL off), requests received but not yet answered share one broker-wide budget
// (--queued-max-request-bytes); many connections each trickling in a huge frame do not take the
// broker's memory past it, and a normal client is still served meanwhile. RSS is read from
// /proc/<pid>/status of the broker child: a memory bound, not a timing threshold.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { BrokerProcess, run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'

const MiB = 1024 * 1024

function rssBytes (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  assert.ok(m !== null, 'VmRSS in /proc/<pid>/status')
  return Number(m[1]) * 1024
}

/** Samples the broker's RSS every 50 ms until stopped; `max` is the largest seen so far. */
function sampleRss (pid: number): { max: () => number, stop: () => number } {
  let max = rssBytes(pid)
  const timer = setInterval(() => { try { max = Math.max(max, rssBytes(pid)) } catch {} }, 50)
  timer.unref()
  return { max: () => Math.max(max, rssBytes(pid)), stop: () => { clearInterval(timer); return max } }
}

/**
 * A connection that declares a frame of `size` bytes and sends all of it but the last byte, as
 * fast as the broker reads it (honouring backpressure, so this process buffers nothing), then
 * stalls. `sent` grows as the broker accepts bytes; `closed` when the broker hangs up.
 */
class Trickler {
  readonly socket: net.Socket
  sent = 0
  closed = false

  constructor (port: number, size: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' })
    this.socket.on('error', () => {})
    this.socket.on('close', () => { this.closed = true })
    this.socket.on('connect', () => {
      const prefix = Buffer.alloc(4)
      prefix.writeInt32BE(size)
      this.socket.write(prefix)
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      const pump = (): void => {
        while (!this.closed && this.sent < size - 1) {
          const n = Math.min(chunk.length, size - 1 - this.sent)
          this.sent += n
          if (!this.socket.write(chunk.subarray(0, n))) { this.socket.once('drain', pump); return }
        }
      }
      pump()
    })
  }
}

async function produceAndConsume (bootstrap: string, topic: string, n: number): Promise<void> {
  const lines = Array.from({ length: n }, (_, i) => `${topic}-${i}`)
  const produced = await run('kcat', ['-b', bootstrap, '-P', '-t', topic, '-X', 'message.timeout.ms=120000'], { input: lines.join('\n') + '\n', timeoutMs: 150_000 })
  assert.equal(produced.code, 0, produced.stderr)
  const consumed = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-e', '-q'], { timeoutMs: 150_000 })
  assert.equal(consumed.code, 0, consumed.stderr)
  assert.deepEqual(consumed.stdout.split('\n').filter(l => l !== '').sort(), [...lines].sort())
}

test('before SASL authentication a frame over 512 KiB closes the connection: 25 connections declaring 99 MB each hold nothing; an authenticated client still produces large records', async (t) => {
  const dataDir = tempDir()
  const users = path.join(dataDir, '..', `users-${path.basename(dataDir)}`)
  fs.writeFileSync(users, 'alice:s3cret\n')
  const broker = await BrokerProcess.start(dataDir, ['--sasl-users-file', users])
  const attackers: Trickler[] = []
  try {
    const pid = broker.child.pid!
    const before = rssBytes(pid)
    const rss = sampleRss(pid)
    for (let i = 0; i < 25; i++) attackers.push(new Trickler(broker.port, 99 * MiB))
    await waitFor(() => attackers.every(a => a.closed), { what: 'every unauthenticated oversized connection to be closed', timeoutMs: 60_000 })
    await waitFor(() => broker.stderr.includes('before SASL authentication, outside [8, 524288] (--sasl-max-receive-bytes)'), { what: 'the reason to be logged' })

    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'sasl-big', logLevel: logLevel.NOTHING, sasl: { mechanism: 'plain', username: 'alice', password: 's3cret' } })
    const producer = kafka.producer()
    await producer.connect()
    const big = 'b'.repeat(600 * 1024)
    await producer.send({ topic: 'after-auth', acks: -1, messages: [{ value: big }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    assert.deepEqual((await admin.fetchTopicOffsets('after-auth')).reduce((n, p) => n + Number(p.high), 0), 1)
    await admin.disconnect()
    const grown = rss.stop() - before
    t.diagnostic(`broker RSS grew by ${(grown / MiB).toFixed(1)} MiB`)
    assert.ok(grown < 100 * MiB, `RSS grew by ${(grown / MiB).toFixed(0)} MiB while 25 connections declared 99 MB each (unbounded: ~2.5 GB)`)
  } finally {
    for (const a of attackers) a.socket.destroy()
    await broker.stop('SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
    fs.rmSync(users, { force: true })
  }
})

test('40 connections trickling 16 MiB frames share a 64 MiB request budget: RSS stays bounded, and a normal client produces and consumes meanwhile', async (t) => {
  const dataDir = tempDir()
  const budget = 64 * MiB
  // Frames sized so that four of them fill the budget exactly: nothing is left over for anyone.
  const frame = 16 * MiB - 4
  const broker = await BrokerProcess.start(dataDir, ['--queued-max-request-bytes', String(budget), '--request-max-bytes', String(16 * MiB), '--request-receive-timeout-ms', '2000'])
  const attackers: Trickler[] = []
  try {
    const pid = broker.child.pid!
    await produceAndConsume(broker.bootstrap, 'warm-up', 10)
    const before = rssBytes(pid)
    const rss = sampleRss(pid)
    for (let i = 0; i < 40; i++) attackers.push(new Trickler(broker.port, frame))
    await waitFor(() => attackers.filter(a => a.sent === frame - 1).length >= 4, { what: 'the first frames to fill the budget', timeoutMs: 60_000 })

    // Served while the budget is full: slow frames holding it are closed after 2 s of others
    // waiting, and the small requests of this client go first.
    await produceAndConsume(broker.bootstrap, 'meanwhile', 100)
    // Unbounded, the broker would hold 40 x 16 MiB = 640 MiB of partial frames by now.
    const bound = 3 * budget
    const grown = (): number => rss.max() - before
    assert.ok(grown() < bound, `RSS grew by ${(grown() / MiB).toFixed(0)} MiB with a budget of ${budget / MiB} MiB`)
    // Each stalled sender is closed in turn while others wait; the last four, with nobody left
    // waiting, keep their room (a slow sender harms no one then).
    await waitFor(() => attackers.filter(a => a.closed).length >= attackers.length - 4, { what: 'stalled senders to be closed in turn', timeoutMs: 120_000 })
    await waitFor(() => broker.stderr.includes('request not received within 2000 ms while other connections waited for the request budget'), { what: 'the reason to be logged' })
    t.diagnostic(`broker RSS grew by ${(grown() / MiB).toFixed(1)} MiB`)
    assert.ok(grown() < bound, `RSS grew by ${(grown() / MiB).toFixed(0)} MiB with a budget of ${budget / MiB} MiB`)
    rss.stop()
  } finally {
    for (const a of attackers) a.socket.destroy()
    await broker.stop('SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
