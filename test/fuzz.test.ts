// Thousands of random and mutated frames against the broker process; afterwards it must still
// be running and serve a real client. The PRNG is seeded (FUZZ_SEED) so a failure reproduces.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import { RawClient } from './helpers/raw-client.js'
import { buildBatch } from '../src/protocol/record-batch/index.js'
import { BrokerProcess, run, tempDir } from './helpers/processes.js'

function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const batch = buildBatch([{ key: 'k', value: 'fuzz value' }, { value: 'second' }])
const VALID: [number, number, unknown][] = [
  [18, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }],
  [18, 0, {}],
  [3, 12, { topics: [{ name: 'fuzz-topic' }], allowAutoTopicCreation: true }],
  [3, 4, { topics: [{ name: 'fuzz-topic' }], allowAutoTopicCreation: true }],
  [0, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: 'fuzz-topic', partitionData: [{ index: 0, records: batch }] }] }],
  [0, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'fuzz-topic', partitionData: [{ index: 1, records: batch }] }] }],
  [1, 11, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'fuzz-topic', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }],
  [1, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'fuzz-topic', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }],
  [2, 7, { replicaId: -1, topics: [{ name: 'fuzz-topic', partitions: [{ partitionIndex: 0, timestamp: -2 }] }] }],
  [10, 3, { key: 'fuzz-group', keyType: 0 }],
  [11, 5, { groupId: 'fuzz-group', sessionTimeoutMs: 6000, rebalanceTimeoutMs: 100, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 0, 0, 0, 0]) }] }],
  [8, 8, { groupId: 'fuzz-group', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'fuzz-topic', partitions: [{ partitionIndex: 0, committedOffset: 1 }] }] }],
  [9, 8, { groups: [{ groupId: 'fuzz-group', topics: null }] }],
  [19, 7, { topics: [{ name: 'fuzz-created', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000 }],
  [32, 4, { resources: [{ resourceType: 2, resourceName: 'fuzz-topic', configurationKeys: null }] }],
  [15, 5, { groups: ['fuzz-group'] }],
  [16, 4, { statesFilter: [] }]
]

function mutate (rand: () => number, frame: Buffer): Buffer {
  const f = Buffer.from(frame)
  switch (Math.floor(rand() * 6)) {
    case 0: { // flip bytes of the body, keep the size
      const n = 1 + Math.floor(rand() * 8)
      for (let i = 0; i < n; i++) f[4 + Math.floor(rand() * (f.length - 4))] = Math.floor(rand() * 256)
      return f
    }
    case 1: { // truncate the body, with a consistent size prefix
      const len = 8 + Math.floor(rand() * Math.max(1, f.length - 12))
      const out = Buffer.alloc(4 + len)
      f.copy(out, 4, 4, 4 + len)
      out.writeInt32BE(len, 0)
      return out
    }
    case 2: { // a lying size prefix
      f.writeInt32BE(Math.floor(rand() * 0x7fffffff) * (rand() < 0.2 ? -1 : 1), 0)
      return f
    }
    case 3: { // huge length fields: write 0x7fffffff / 0xff.. at a random place
      const at = 4 + Math.floor(rand() * (f.length - 8))
      f.writeInt32BE(rand() < 0.5 ? 0x7fffffff : -2, at)
      return f
    }
    case 4: { // pure garbage frame
      const len = Math.floor(rand() * 200)
      const out = Buffer.alloc(4 + len)
      for (let i = 4; i < out.length; i++) out[i] = Math.floor(rand() * 256)
      out.writeInt32BE(len, 0)
      return out
    }
    default: { // a valid header for an unknown or unsupported version
      f.writeInt16BE(Math.floor(rand() * 40), 6)
      return f
    }
  }
}

const PROBE_ID = 424242

/**
 * Sends frames then one valid request; resolves with whether that request was answered (false:
 * the broker closed the connection first, as it must after an unreadable frame).
 */
async function send (port: number, frames: Buffer[]): Promise<boolean> {
  const probe = RawClient.frame(18, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' }, PROBE_ID)
  const probeId = Buffer.alloc(4)
  probeId.writeInt32BE(PROBE_ID)
  return await new Promise<boolean>(resolve => {
    let answered = false
    const s = net.connect({ port, host: '127.0.0.1' })
    const timer = setTimeout(() => s.destroy(), 10_000)
    let got = Buffer.alloc(0)
    s.on('connect', () => { s.write(Buffer.concat([...frames, probe])) })
    s.on('data', d => {
      got = Buffer.concat([got, d])
      if (got.includes(probeId)) { answered = true; s.destroy() }
    })
    s.on('error', () => {})
    s.on('close', () => { clearTimeout(timer); resolve(answered) })
  })
}

test('random and mutated frames never take the broker down; a real client works afterwards', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 20261123)
  console.log(`fuzz seed ${seed} (set FUZZ_SEED to reproduce)`)
  const rand = prng(seed)
  const dataDir = tempDir()
  const broker = await BrokerProcess.start(dataDir, ['--request-max-bytes', '1048576'])
  try {
    const valid = VALID.map(([key, version, body], i) => RawClient.frame(key, version, body, i + 1))
    let sent = 0
    for (let conn = 0; conn < 400; conn++) {
      const frames: Buffer[] = []
      // One connection in five carries only valid frames: all of them, and the probe after
      // them, must be answered (a broker that closed on valid input would fail here).
      const allValid = conn % 5 === 0
      for (let i = 0; i < 10; i++) {
        const base = valid[Math.floor(rand() * valid.length)]
        frames.push(allValid || rand() < 0.25 ? base : mutate(rand, base))
      }
      const answered = await send(broker.port, frames)
      sent += frames.length
      assert.equal(broker.child.exitCode, null, `broker died after ${sent} frames (seed ${seed}): ${broker.stderr.slice(-2000)}`)
      if (allValid) assert.ok(answered, `connection ${conn}: only valid frames, yet the probe after them was not answered (seed ${seed})`)
    }

    // Requests that decode are answered with error codes, never by a handler throwing.
    assert.ok(!broker.stderr.includes('request handler failed'), broker.stderr.split('\n').filter(l => l.includes('handler failed')).slice(0, 3).join('\n'))
    const produced = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'after-fuzz'], { input: 'still alive\n' })
    assert.equal(produced.code, 0, produced.stderr)
    const consumed = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'after-fuzz', '-e', '-q'])
    assert.equal(consumed.stdout.trim(), 'still alive')
  } finally {
    await broker.stop('SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
