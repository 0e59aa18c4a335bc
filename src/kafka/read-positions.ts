// Reading a topic from given positions without joining a group (KafkaClient.readFrom): one Fetch
// per partition leader on connections of its own, closed when done. read_committed, like the
// group consumer: records of aborted transactions are skipped.
import type { FetchResponse } from '../protocol/generated/fetch-response.js'
import { readPartitionBatches, type PartitionReading } from './batch-reader.js'
import { Cluster } from './cluster.js'
import type { ConnectionOptions } from './connection.js'
import { FETCH_VERSIONS, fetchBody } from './requests.js'

export type PositionReading = PartitionReading & { partition: number, from: number }

/**
 * Per partition, the records from its position up to the first batch that cannot be read, and
 * that batch. Throws when a leader cannot be read.
 */
export async function readPositions (bootstrap: string[], connection: ConnectionOptions, topic: string, positions: { partition: number, offset: number }[], maxBytesPerPartition: number): Promise<PositionReading[]> {
  if (positions.length === 0) return []
  const cluster = new Cluster(bootstrap, connection)
  try {
    await cluster.refreshMetadata([topic])
    const layout = cluster.partitions(topic) ?? []
    const byLeader = new Map<number, { partition: number, offset: number, leaderEpoch: number }[]>()
    for (const p of positions) {
      const leader = layout[p.partition]?.leader ?? -1
      if (leader >= 0) byLeader.set(leader, [...(byLeader.get(leader) ?? []), { ...p, leaderEpoch: layout[p.partition].leaderEpoch }])
    }
    const out: PositionReading[] = []
    const max = maxBytesPerPartition
    for (const [leader, wanted] of byLeader) {
      const res = await cluster.request(leader, 1, FETCH_VERSIONS[0], FETCH_VERSIONS[1], () => fetchBody(topic, wanted, { maxWaitMs: 0, maxBytes: max * wanted.length, partitionMaxBytes: max })) as FetchResponse
      for (const p of res.responses.flatMap(t => t.partitions)) {
        const from = wanted.find(w => w.partition === p.partitionIndex)?.offset
        if (from === undefined || p.errorCode !== 0 || res.errorCode !== 0) continue
        out.push({ partition: p.partitionIndex, from, ...readPartitionBatches(topic, p.partitionIndex, from, p.records ?? Buffer.alloc(0), p.abortedTransactions ?? []) })
      }
    }
    return out
  } finally {
    cluster.close()
  }
}
