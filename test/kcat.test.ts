// kcat (librdkafka 2.0.2, as in Fluent Bit's client library) against the broker CLI.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { BrokerProcess, CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { Admin } from '@platformatic/kafka'
import { waitFor } from './helpers/wait.js'
import { fullyCommitted, groupOffsets } from './helpers/lag.js'

let broker: BrokerProcess
let dataDir: string

before(async () => {
  dataDir = tempDir()
  broker = await BrokerProcess.start(dataDir)
})

after(async () => {
  // Ctrl-C: a clean shutdown with exit status 0.
  assert.equal(await broker.stop('SIGINT'), 0, broker.stderr)
  assert.match(broker.stderr, /broker stopped/)
  fs.rmSync(dataDir, { recursive: true, force: true })
})

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)

async function produce (topic: string, input: string[], args: string[] = []): Promise<void> {
  const r = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, ...args], { input: input.join('\n') + '\n' })
  assert.equal(r.code, 0, `kcat -P failed: ${r.stderr}`)
}

async function consumeAll (topic: string, args: string[] = []): Promise<string[]> {
  const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-q', ...args])
  assert.equal(r.code, 0, `kcat -C failed: ${r.stderr}`)
  return r.stdout.split('\n').filter(l => l !== '')
}

test('every compression codec is stored and served as sent, each line exactly once, in order per key', async () => {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const topic = `codec-${codec}`
    // Keys pin each line to a partition, so per-key order is per-partition order.
    const sent = lines(codec, 300).map((l, i) => `k${i % 7}:${l}`)
    await produce(topic, sent, ['-z', codec, '-K:'])
    const got = await consumeAll(topic, ['-f', '%k:%s\n'])
    assert.equal(got.length, sent.length, `${codec}: count`)
    assert.deepEqual([...got].sort(), [...sent].sort(), `${codec}: same lines`)
    for (let k = 0; k < 7; k++) {
      const key = `k${k}:`
      assert.deepEqual(got.filter(l => l.startsWith(key)), sent.filter(l => l.startsWith(key)), `${codec}: order of key ${key}`)
    }
  }
})

test('consume from an offset and from a point in time', async () => {
  const topic = 'by-position'
  await produce(topic, lines('early', 10), ['-p', '0'])
  const t = Date.now()
  await waitFor(() => Date.now() > t + 2, { what: 'the clock to move past the first batch' })
  await produce(topic, lines('late', 5), ['-p', '0'])

  assert.deepEqual(await consumeAll(topic, ['-p', '0', '-o', '7']), ['early-7', 'early-8', 'early-9', ...lines('late', 5)])
  assert.deepEqual(await consumeAll(topic, ['-p', '0', '-o', `s@${t + 1}`]), lines('late', 5))
  assert.deepEqual(await consumeAll(topic, ['-p', '0', '-o', '-3']), ['late-2', 'late-3', 'late-4'], 'relative to the end')
})

function balancedMember (group: string, topic: string): LineProcess {
  return new LineProcess('kcat', ['-b', broker.bootstrap, '-G', group, '-q', '-u', '-f', '%p %o %s\n',
    '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=100', '-X', 'session.timeout.ms=6000', topic])
}

test('balanced consumers share a 10-partition topic, rebalance when one leaves, and a restarted group resumes from its commits', async () => {
  const topic = 'shared'
  const group = 'kcat-group'
  await produce(topic, ['warm-up'], ['-p', '0'])
  const members = [balancedMember(group, topic), balancedMember(group, topic), balancedMember(group, topic)]
  try {
    const first = lines('a', 300).map((l, i) => `k${i}:${l}`)
    // Produce once the group is stable with all three members, so no rebalance happens while
    // these records are consumed and each is consumed by exactly one member.
    await waitFor(async () => {
      const offsets = await groupOffsets(broker.bootstrap, group, topic)
      return offsets[0].committed === 1
    }, { what: 'the group to consume the warm-up record', timeoutMs: 60_000 })
    await waitFor(async () => {
      const admin = new Admin({ clientId: 'test-describe', bootstrapBrokers: [broker.bootstrap] })
      try {
        const g = (await admin.describeGroups({ groups: [group] })).get(group)
        return g?.state === 'STABLE' && g.members.size === 3
      } finally {
        await admin.close()
      }
    }, { what: 'a stable group of three members', timeoutMs: 60_000 })
    await produce(topic, first, ['-K:'])
    const seen = (): string[] => members.flatMap(m => m.lines.map(l => l.split(' ')[2]))
    await waitFor(() => seen().filter(v => v.startsWith('a-')).length >= 300, { what: '300 records across three members', timeoutMs: 60_000 })
    const values = seen().filter(v => v.startsWith('a-'))
    assert.equal(values.length, 300, 'no record consumed twice')
    assert.equal(new Set(values).size, 300)
    const byMember = members.map(m => new Set(m.lines.map(l => l.split(' ')[0])))
    assert.ok(byMember.filter(s => s.size > 0).length >= 2, 'partitions are shared between members')

    // One member leaves; the others take over its partitions.
    const leaver = members.pop()!
    const leaverPartitions = new Set(leaver.lines.map(l => l.split(' ')[0]))
    await waitFor(() => fullyCommitted(broker.bootstrap, group, topic), { what: 'offsets committed before the leave', timeoutMs: 30_000 })
    await leaver.stop('SIGINT')
    const second = lines('b', 200).map((l, i) => `k${i}:${l}`)
    await produce(topic, second, ['-K:'])
    await waitFor(() => new Set(seen().filter(v => v.startsWith('b-'))).size === 200, { what: 'the remaining members to consume all new records', timeoutMs: 60_000 })
    const takenOver = members.flatMap(m => m.lines.filter(l => l.split(' ')[2].startsWith('b-')).map(l => l.split(' ')[0]))
    assert.ok([...leaverPartitions].some(p => takenOver.includes(p)), 'the leaver\'s partitions were reassigned')

    await waitFor(() => fullyCommitted(broker.bootstrap, group, topic), { what: 'all offsets committed', timeoutMs: 30_000 })
    for (const m of members.splice(0)) await m.stop('SIGINT')

    // Records produced while the group is away are exactly what a restarted member gets.
    const third: string[] = []
    for (let p = 0; p < 10; p++) {
      const batch = lines(`c${p}`, 3)
      third.push(...batch)
      await produce(topic, batch, ['-p', String(p)])
    }
    const restarted = balancedMember(group, topic)
    members.push(restarted)
    await waitFor(() => restarted.lines.length >= third.length, { what: 'the restarted member to catch up', timeoutMs: 60_000 })
    assert.deepEqual(restarted.lines.map(l => l.split(' ')[2]).sort(), [...third].sort(), 'nothing consumed before is delivered again')
  } finally {
    for (const m of members) await m.stop('SIGKILL')
  }
})

test('the broker CLI refuses a bad option with a message naming it', async () => {
  const r = await run(process.execPath, [CLI, 'broker', '--port', 'abc'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /--port expects a whole number, got 'abc'/)
})
