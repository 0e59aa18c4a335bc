// Replicas joining and leaving a group mid-stream: real `tidewatch replica` processes with a
// handler slow enough that every rebalance lands in the middle of someone's batch, while records
// keep arriving. One joins, two more join, one stops (SIGTERM, it leaves the group), one is
// killed (kill -9, its session expires). Every record is handled at least once, the committed
// offsets reach the end of every partition, and no commit is ever sent for a partition the
// member does not own in the generation it commits in — checked on the wire by a proxy in front
// of the broker that sees each SyncGroup's assignment and each OffsetCommit.
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaClient } from '../src/kafka/client.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { KafkaProxy } from './helpers/kafka-proxy.js'
import { CLI, LineProcess, tempDir } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'

const PARTITIONS = 6

function writeFunction (dir: string): string {
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
  // About a millisecond per record: a batch of a few hundred is in hand for a good part of a second.
  fs.writeFileSync(path.join(dir, 'handler.ts'), `export default async (ctx: any) => {
  await new Promise(resolve => setTimeout(resolve, 1))
  await ctx.send({ p: ctx.record.partition, o: ctx.record.offset }, 'seen')
}
`)
  const file = path.join(dir, 'function.yaml')
  fs.writeFileSync(file, 'name: churn\ninput: { topic: work, startFrom: earliest }\nhandler: ./handler.ts\noutputs:\n  seen: { type: log }\n')
  return file
}

/** Every (partition, offset) a replica reported handling, from its log output. */
function handled (replicas: LineProcess[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of replicas) {
    for (const line of r.lines) {
      if (!line.startsWith('{"output":"seen"')) continue
      const { payload } = JSON.parse(line) as { payload: { p: number, o: number } }
      const key = `${payload.p}/${payload.o}`
      out.set(key, (out.get(key) ?? 0) + 1)
    }
  }
  return out
}

test('replicas joining and leaving mid-stream (SIGTERM and kill -9, records still arriving): every record handled at least once, commits reach every partition\'s end, and no member ever commits a partition it does not own (commits seen by a proxy)', async () => {
  const broker = await startTempBroker({ defaultPartitions: PARTITIONS })
  const proxy = await KafkaProxy.start({ host: broker.host, port: broker.port }, [1])
  const dir = tempDir()
  const file = writeFunction(dir)
  const client = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'churn-test' })
  const replicas: LineProcess[] = []
  const start = (): LineProcess => {
    const r = new LineProcess(process.execPath, [CLI, 'replica', file, '--brokers', proxy.bootstrap(1)])
    replicas.push(r)
    return r
  }
  let produced = 0
  let producing = true
  const producer = (async () => {
    while (producing) {
      await client.produce(Array.from({ length: 150 }, (_, i) => ({ topic: 'work', key: `k${produced + i}`, value: `v${produced + i}` })))
      produced += 150
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  })()
  try {
    const seenBy = (r: LineProcess): boolean => r.lines.some(l => l.startsWith('{"output":"seen"'))
    const a = start()
    await waitFor(() => seenBy(a), { what: 'the first replica to handle records', timeoutMs: 60_000 })
    const b = start()
    const c = start()
    await waitFor(() => seenBy(b) && seenBy(c), { what: 'the two new replicas to handle records', timeoutMs: 60_000 })
    assert.equal(await a.stop('SIGTERM'), 0)
    const beforeKill = handled([b]).size
    await waitFor(() => handled([b]).size > beforeKill + 100, { what: 'the second replica to take more after the first left', timeoutMs: 60_000 })
    await b.stop('SIGKILL')
    const d = start()
    await waitFor(() => seenBy(d), { what: 'a fourth replica to handle records', timeoutMs: 60_000 })
    producing = false
    await producer

    const ends = await client.endOffsets('work')
    assert.equal(ends.reduce((x, y) => x + y, 0), produced)
    await waitFor(async () => {
      const committed = await client.committedOffsets('churn', 'work')
      return ends.every((end, p) => committed.get(p) === end)
    }, { what: 'every partition committed to its end (after the killed member\'s session expired)', timeoutMs: 90_000 })

    const seen = handled(replicas)
    const missing: string[] = []
    for (const [p, end] of ends.entries()) for (let o = 0; o < end; o++) if (!seen.has(`${p}/${o}`)) missing.push(`${p}/${o}`)
    assert.deepEqual(missing, [], 'every record handled at least once')

    assert.ok(proxy.commits.length > 0)
    for (const commit of proxy.commits) {
      const owned = proxy.assignments.get(`${commit.memberId} ${commit.generationId}`)
      assert.ok(owned !== undefined, `a commit by ${commit.memberId} in generation ${commit.generationId}, which it never synced`)
      for (const p of commit.partitions) assert.ok(owned.includes(p), `${commit.memberId} committed partition ${p} in generation ${commit.generationId}, owning ${owned.join(',')}`)
    }
    assert.ok(new Set(proxy.commits.map(c => c.generationId)).size >= 3, 'commits were made across the rebalances')
  } finally {
    producing = false
    await producer.catch(() => {})
    for (const r of replicas) await r.stop('SIGTERM').catch(() => r.stop('SIGKILL'))
    await client.close()
    await proxy.close()
    await broker.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
