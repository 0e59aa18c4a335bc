// kill -9 the broker while an acks=all producer streams, tear the tail of a segment, restart:
// every acknowledged record is there exactly once, nothing after the torn tail is served, and a
// consumer group resumes from its committed offsets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { BrokerProcess, LineProcess, PYTHON, run, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { fullyCommitted } from './helpers/lag.js'

const STREAM = `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 2, 'message.timeout.ms': 4000, 'reconnect.backoff.max.ms': 200})
def done(err, msg):
    if err is None:
        sys.stdout.write(msg.value().decode() + '\\n')
        sys.stdout.flush()
i = 0
while i < 2000000:
    try:
        p.produce(sys.argv[2], value=('n-%d' % i).encode(), on_delivery=done)
        i += 1
    except BufferError:
        pass
    p.poll(0 if i % 100 else 0.001)
`

function lastSegment (dataDir: string, topic: string, partition: number): string {
  const dir = path.join(dataDir, 'topics', topic, String(partition))
  const logs = fs.readdirSync(dir).filter(f => f.endsWith('.log')).sort()
  return path.join(dir, logs[logs.length - 1])
}

test('kill -9 during an acks=all stream loses no acknowledged record; a torn tail is dropped; the group resumes', async () => {
  const dataDir = tempDir()
  const topic = 'crash'
  let broker = await BrokerProcess.start(dataDir)
  let producer: LineProcess | undefined
  try {
    // A group consumes and commits a first part, then goes away.
    const pre = Array.from({ length: 50 }, (_, i) => `pre-${i}`)
    assert.equal((await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic], { input: pre.join('\n') + '\n' })).code, 0)
    const early = new LineProcess('kcat', ['-b', broker.bootstrap, '-G', 'survivor', '-q', '-u', '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=100', topic])
    await waitFor(() => early.lines.length >= pre.length, { what: 'the group to consume the first part', timeoutMs: 60_000 })
    await waitFor(() => fullyCommitted(broker.bootstrap, 'survivor', topic), { what: 'the group to commit', timeoutMs: 30_000 })
    await early.stop('SIGINT')
    producer = new LineProcess(PYTHON, ['-c', STREAM, broker.bootstrap, topic])
    const stream = producer

    // Stream, and kill the broker without warning once a few thousand records are acknowledged.
    await waitFor(() => stream.lines.length >= 3000, { what: '3000 acknowledged records', timeoutMs: 60_000 })
    broker.child.kill('SIGKILL')
    await broker.exited
    await stream.stop('SIGKILL')
    const acked = stream.lines.filter(l => l.startsWith('n-'))
    assert.ok(acked.length >= 3000)

    // A crash in the middle of a write leaves half a batch at the end of a segment.
    const torn = lastSegment(dataDir, topic, 0)
    const sizeBefore = fs.statSync(torn).size
    fs.appendFileSync(torn, Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 1, 0]), Buffer.alloc(40, 0xab)]))

    broker = await BrokerProcess.start(dataDir)
    await waitFor(() => broker.stderr.includes('torn tail'), { what: 'the broker to report the torn tail it dropped' })
    assert.equal(fs.statSync(torn).size, sizeBefore, 'the segment is cut back to its last valid batch')

    const all = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-q'], { timeoutMs: 120_000 })
    assert.equal(all.code, 0, all.stderr)
    const values = all.stdout.split('\n').filter(l => l !== '')
    assert.ok(values.every(v => /^(pre|n)-\d+$/.test(v)), 'no garbage is served')
    const stored = new Set(values)
    assert.equal(stored.size, values.length, 'no record is stored twice')
    const missing = acked.filter(v => !stored.has(v))
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged records missing`)

    // The group picks up exactly where it committed: nothing from the first part again.
    const resumed = new LineProcess('kcat', ['-b', broker.bootstrap, '-G', 'survivor', '-q', '-u', '-X', 'auto.offset.reset=earliest', topic])
    try {
      const wanted = new Set(values.filter(v => v.startsWith('n-')))
      await waitFor(() => resumed.lines.length >= wanted.size, { what: `the resumed group to catch up (${wanted.size} records)`, timeoutMs: 120_000 })
        .catch(err => { throw new Error(`${(err as Error).message}; got ${resumed.lines.length}; kcat: ${resumed.stderr.slice(-500)}`) })
      assert.equal(resumed.lines.filter(l => l.startsWith('pre-')).length, 0, 'committed records are not delivered again')
      assert.deepEqual(new Set(resumed.lines), wanted)
    } finally {
      await resumed.stop('SIGKILL')
    }
  } finally {
    await producer?.stop('SIGKILL')
    await broker.stop('SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
