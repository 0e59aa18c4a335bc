// The consume path against a cluster of several brokers whose leaders and coordinator move. The
// cluster is played by a proxy in front of the embedded broker (test/helpers/kafka-proxy.ts): two
// nodes, each relaying to the one real broker, answering as a real cluster's brokers do when they
// do not lead a partition (NOT_LEADER_OR_FOLLOWER), when the consumer's leader epoch is stale
// (FENCED_LEADER_EPOCH), or when they are not the group's coordinator (NOT_COORDINATOR).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KafkaClient } from '../src/kafka/client.js'
import type { GroupSubscription } from '../src/kafka/subscription.js'
import { ErrorCode } from '../src/protocol/error-codes.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { KafkaProxy } from './helpers/kafka-proxy.js'
import { run } from './helpers/processes.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'

async function produce (bootstrap: string, partition: number, values: string[]): Promise<void> {
  const r = await run('kcat', ['-b', bootstrap, '-P', '-t', 'spread', '-p', String(partition)], { input: values.join('\n') + '\n' })
  assert.equal(r.code, 0, r.stderr)
}

/** Polls and commits until every partition's position reaches `ends`; returns the values seen. */
async function drain (sub: GroupSubscription, ends: number[]): Promise<string[]> {
  const values: string[] = []
  const at = new Map<number, number>()
  const deadline = Date.now() + 60_000
  while (ends.some((end, p) => (at.get(p) ?? 0) < end)) {
    if (Date.now() > deadline) throw new Error(`stopped at ${JSON.stringify([...at])} of ${JSON.stringify(ends)}`)
    const polled = await sub.poll({ maxRecords: 100, maxWaitMs: 300 })
    for (const r of polled.records) values.push(r.value!.toString())
    for (const p of polled.positions) at.set(p.partition, p.offset)
    if (polled.positions.length > 0) await sub.commit(polled.positions.map(p => ({ topic: sub.topic, ...p })))
  }
  return values
}

test('two brokers (a proxy playing them): each partition is fetched from its leader; when leaders move or their epoch changes, and when the coordinator moves, consumption and commits follow without losing or repeating a record', async () => {
  const broker = await startTempBroker({ defaultPartitions: 4 })
  const proxy = await KafkaProxy.start({ host: broker.host, port: broker.port }, [1, 2])
  const leaders = new Map([[0, 1], [1, 2], [2, 1], [3, 2]])
  const epochs = new Map([[0, 0], [1, 0], [2, 0], [3, 0]])
  proxy.leader = (_topic, p) => leaders.get(p)!
  proxy.epoch = (_topic, p) => epochs.get(p)!
  proxy.coordinator = 2
  // Only node 1 is given: the rest of the cluster is learnt from it.
  const client = new KafkaClient({ settings: plaintextSettings([proxy.bootstrap(1)]), clientId: 'cluster-test' })
  const values = (round: number, p: number): string[] => Array.from({ length: 100 }, (_, i) => `r${round}-p${p}-${i}`)
  try {
    for (let p = 0; p < 4; p++) await produce(broker.bootstrap, p, values(1, p))
    const sub = await client.subscribe({ groupId: 'g', topics: ['spread'], startFrom: 'earliest' })
    try {
      const first = await drain(sub, [100, 100, 100, 100])
      assert.deepEqual(first.sort(), [0, 1, 2, 3].flatMap(p => values(1, p)).sort())
      for (const f of proxy.fetches.filter(f => f.topic === 'spread' && f.errorCode === 0)) assert.equal(f.node, leaders.get(f.partition), `partition ${f.partition} fetched from its leader`)
      assert.ok(proxy.commits.length > 0 && proxy.commits.every(c => c.node === 2), 'commits go to the coordinator, node 2')
      const before = { fetches: proxy.fetches.length, commits: proxy.commits.length, refused: proxy.refused.length }

      // Partition 0 moves to node 2; partition 1 keeps node 2 with a new epoch; the coordinator moves to node 1.
      leaders.set(0, 2)
      epochs.set(0, 1)
      epochs.set(1, 1)
      proxy.coordinator = 1
      for (let p = 0; p < 4; p++) await produce(broker.bootstrap, p, values(2, p))
      const second = await drain(sub, [200, 200, 200, 200])
      assert.deepEqual(second.sort(), [0, 1, 2, 3].flatMap(p => values(2, p)).sort(), 'every new record once, none again')

      const after = proxy.fetches.slice(before.fetches)
      assert.ok(after.some(f => f.partition === 0 && f.node === 1 && f.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER), 'the old leader of partition 0 turned a fetch away')
      assert.ok(after.some(f => f.partition === 1 && f.node === 2 && f.errorCode === ErrorCode.FENCED_LEADER_EPOCH), 'a fetch with the old epoch of partition 1 was fenced')
      assert.ok(after.some(f => f.partition === 0 && f.node === 2 && f.errorCode === 0), 'partition 0 is then fetched from node 2')
      assert.ok(proxy.refused.slice(before.refused).some(r => r.node === 2 && r.errorCode === ErrorCode.NOT_COORDINATOR), 'the old coordinator turned a group request away')
      const commits = proxy.commits.slice(before.commits)
      assert.ok(commits.length > 0 && commits.every(c => c.node === 1), 'commits then go to node 1')
    } finally {
      await sub.close()
    }
    const committed = await client.committedOffsets('g', 'spread')
    assert.deepEqual([0, 1, 2, 3].map(p => committed.get(p)), [200, 200, 200, 200])
  } finally {
    await client.close()
    await proxy.close()
    await broker.close()
  }
})
