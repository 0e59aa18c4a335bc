// `tidewatch tail` at its limits, as a user runs it against a real broker: the progress lines on
// a real terminal (util-linux `script` gives it a pseudo-terminal), lines over --max-line-bytes,
// a file rewritten in place under the same inode while the agent was stopped, and records the
// broker refuses as too large.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { startTempBroker } from './helpers/temp-broker.js'
import { CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { containerLogName, criLine, readTopic, startTail, waitForRecords, writeFile } from './helpers/tail.js'
import type { RunningBroker } from '../src/broker/broker.js'

let broker: RunningBroker
const running: LineProcess[] = []

// A small max.message.bytes, so that a record can be too large for the broker.
const MAX_MESSAGE_BYTES = 16 * 1024

before(async () => { broker = await startTempBroker({ defaultPartitions: 2, maxMessageBytes: MAX_MESSAGE_BYTES }) })
after(async () => {
  for (const p of running) await p.stop('SIGKILL').catch(() => {})
  await broker.close()
})

async function tail (args: string[]): Promise<LineProcess> {
  const p = await startTail(['--brokers', broker.bootstrap, ...args])
  running.push(p)
  return p
}

async function metric (url: string, name: string): Promise<number> {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(url)).text())?.[1] ?? NaN)
}

function metricsUrl (p: LineProcess): string { return p.lines.find(l => l.includes('metrics on '))!.split('metrics on ')[1] }

test('on a terminal, tail prints the files watched, lines/s and each file\'s lag every few seconds', async () => {
  const root = tempDir('tidewatch-tail-tty-')
  const file = path.join(root, 'logs', containerLogName('tty-0', 'progress', 'app'))
  writeFile(file, Array.from({ length: 500 }, (_, i) => criLine(`line ${i}`)).join(''))
  const command = [process.execPath, CLI, 'tail', '--brokers', broker.bootstrap, '--topic', 'tty', '--checkpoints', path.join(root, 'cp'), path.join(root, 'logs', '*.log')].map(a => `'${a}'`).join(' ')
  const pty = new LineProcess('script', ['-qfec', command, '/dev/null'], { TIDEWATCH_LOG_LEVEL: 'warn' })
  try {
    // The first interval covers the 500 lines; a later one shows them acknowledged (lag 0).
    await waitFor(() => pty.lines.some(l => /tidewatch tail: 1 file\(s\), [1-9]\d* lines\/s/.test(l)), { what: 'a progress line with lines/s', timeoutMs: 60_000 })
    await waitFor(() => pty.lines.some(l => /^\s*lag\s+0 B\s+\S+tty-0_progress_app-/.test(l)), { what: 'the file\'s lag at 0', timeoutMs: 60_000 })
    assert.ok(pty.lines.some(l => /500 records acknowledged/.test(l)), pty.lines.join('\n'))
  } finally {
    // `script` ends its session on SIGTERM; the agent inside is its child.
    const children = fs.readFileSync(`/proc/${pty.child.pid}/task/${pty.child.pid}/children`, 'utf8').trim().split(/\s+/).filter(s => s !== '').map(Number)
    await pty.stop('SIGTERM')
    for (const pid of children) { try { process.kill(pid, 'SIGKILL') } catch {} }
  }
  assert.equal((await readTopic(broker.bootstrap, 'tty')).length, 500)
})

test('lines over --max-line-bytes arrive in parts marked split, whole and in order, and are counted', async () => {
  const root = tempDir('tidewatch-tail-long-')
  const file = path.join(root, 'logs', containerLogName('long-0', 'limits', 'app'))
  const long = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('')
  // One CRI line read whole in one read (over the limit), one plain-format file line of 3x the limit.
  writeFile(file, criLine('before') + criLine(long) + criLine('after'))
  const plain = path.join(root, 'logs', 'app.log')
  writeFile(plain, 'é'.repeat(6000) + '\nshort\n')
  const p = await tail(['--topic', 'long', '--checkpoints', path.join(root, 'cp'), '--max-line-bytes', '4096', '--port', '0', path.join(root, 'logs', '*.log')])
  // 'before', 3 parts, 'after'; 3 parts of the plain line, 'short'.
  const records = await waitForRecords(broker.bootstrap, 9, { topic: 'long' })
  const cri = records.filter(r => r.doc.kubernetes?.pod_name === 'long-0').map(r => r.doc)
  assert.equal(cri[0].log, 'before')
  const parts = cri.filter(d => d.split !== undefined)
  assert.equal(parts.map(d => d.log).join(''), long)
  assert.deepEqual(parts.map(d => d.split), parts.map((_, i) => ({ part: i + 1, last: i === parts.length - 1 })))
  assert.ok(parts.every(d => Buffer.byteLength(d.log) <= 4096))
  assert.equal(cri.at(-1)!.log, 'after')
  const plainDocs = records.filter(r => r.doc.kubernetes === undefined).map(r => r.doc)
  assert.equal(plainDocs.filter(d => d.split !== undefined).map(d => d.log).join(''), 'é'.repeat(6000))
  assert.equal(plainDocs.at(-1)!.log, 'short')
  const counted = await metric(metricsUrl(p), 'tidewatch_tail_split_parts_total')
  assert.equal(counted, parts.length + plainDocs.filter(d => d.split !== undefined).length)
})

test('a file rewritten in place while the agent was stopped (same inode, other first bytes) is read from its start', async () => {
  const root = tempDir('tidewatch-tail-reuse-')
  const file = path.join(root, 'logs', containerLogName('reuse-0', 'identity', 'app'))
  writeFile(file, Array.from({ length: 50 }, (_, i) => criLine(`old ${i}`)).join(''))
  const args = ['--topic', 'reuse', '--checkpoints', path.join(root, 'cp'), path.join(root, 'logs', '*.log')]
  const first = await tail(args)
  await waitForRecords(broker.bootstrap, 50, { topic: 'reuse' })
  assert.equal(await first.stop('SIGTERM'), 0)
  const inode = fs.statSync(file).ino
  // Longer than the checkpointed offset, so only the fingerprint tells it is another file.
  const fd = fs.openSync(file, 'r+')
  fs.ftruncateSync(fd, 0)
  fs.writeSync(fd, Array.from({ length: 80 }, (_, i) => criLine(`new ${i}`, { stream: 'stderr' })).join(''), 0)
  fs.closeSync(fd)
  assert.equal(fs.statSync(file).ino, inode)
  await tail(args)
  const records = await waitForRecords(broker.bootstrap, 130, { topic: 'reuse' })
  assert.deepEqual(records.map(r => r.doc.log).filter(l => l.startsWith('new ')), Array.from({ length: 80 }, (_, i) => `new ${i}`))
})

test('a file deleted with lines the agent has not read yet: they are read from the open file, then it is let go', async () => {
  const root = tempDir('tidewatch-tail-deleted-')
  const file = path.join(root, 'logs', containerLogName('gone-0', 'identity', 'app'))
  writeFile(file, Array.from({ length: 20 }, (_, i) => criLine(`line ${i}`)).join(''))
  const p = await tail(['--topic', 'deleted', '--checkpoints', path.join(root, 'cp'), '--rotate-wait-ms', '300', '--port', '0', path.join(root, 'logs', '*.log')])
  await waitForRecords(broker.bootstrap, 20, { topic: 'deleted' })
  // Stopped (SIGSTOP), the agent cannot read what is appended before the file is deleted.
  p.child.kill('SIGSTOP')
  try {
    fs.appendFileSync(file, Array.from({ length: 30 }, (_, i) => criLine(`line ${20 + i}`)).join(''))
    fs.rmSync(file)
  } finally {
    p.child.kill('SIGCONT')
  }
  const records = await waitForRecords(broker.bootstrap, 50, { topic: 'deleted' })
  assert.deepEqual(records.map(r => r.doc.log), Array.from({ length: 50 }, (_, i) => `line ${i}`))
  await waitFor(async () => await metric(metricsUrl(p), 'tidewatch_tail_files') === 0, { what: 'the deleted file to be let go' })
  assert.equal(await metric(metricsUrl(p), 'tidewatch_tail_rotations_total'), 1)
})

test('records too large for the broker: a batch is sent again in halves, a single record is logged and counted, and the lines after it still arrive', async () => {
  const root = tempDir('tidewatch-tail-too-large-')
  const file = path.join(root, 'logs', containerLogName('big-0', 'limits', 'app'))
  const medium = (i: number): string => criLine(`medium ${i} ${'m'.repeat(6000)}`)
  writeFile(file, medium(0) + medium(1) + medium(2) + criLine(`huge ${'h'.repeat(MAX_MESSAGE_BYTES * 2)}`) + criLine('after the huge one'))
  const p = await tail(['--topic', 'too-large', '--checkpoints', path.join(root, 'cp'), '--compression', 'none', '--port', '0', path.join(root, 'logs', '*.log')])
  const records = await waitForRecords(broker.bootstrap, 4, { topic: 'too-large' })
  assert.deepEqual(records.map(r => (r.doc.log as string).slice(0, 18)).sort(), ['after the huge one', 'medium 0 mmmmmmmmm', 'medium 1 mmmmmmmmm', 'medium 2 mmmmmmmmm'])
  await waitFor(async () => await metric(metricsUrl(p), 'tidewatch_tail_records_refused_total') === 1, { what: 'the refused record counted' })
  assert.match(p.stderr, /larger than the topic accepts \(max\.message\.bytes\).*--max-line-bytes/)
  assert.equal(await metric(metricsUrl(p), 'tidewatch_tail_records_acked_total'), 4)
})

test('/metrics off loopback needs a token: refused without one; with one, every request needs it', async () => {
  const root = tempDir('tidewatch-tail-metrics-')
  const args = ['--topic', 'metrics-token', '--checkpoints', path.join(root, 'cp'), '--port', '0', path.join(root, '*.log')]
  const refused = await run(process.execPath, [CLI, 'tail', '--brokers', broker.bootstrap, '--metrics-host', '0.0.0.0', ...args], { env: { TIDEWATCH_API_TOKEN: '' } })
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /refusing to serve \/metrics on 0\.0\.0\.0 without a token/)
  // Behind the token (on loopback here, so the test exposes nothing).
  const p = await startTail(['--brokers', broker.bootstrap, ...args], { TIDEWATCH_API_TOKEN: 'tail-metrics-token' })
  running.push(p)
  const url = metricsUrl(p)
  assert.equal((await fetch(url)).status, 401)
  const ok = await fetch(url, { headers: { authorization: 'Bearer tail-metrics-token' } })
  assert.equal(ok.status, 200)
  assert.match(await ok.text(), /tidewatch_tail_files 0/)
})
