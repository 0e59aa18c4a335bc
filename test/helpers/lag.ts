import { Admin } from '@platformatic/kafka'

/** Committed offset and log end offset per partition, read with the client Tidewatch itself uses. */
export async function groupOffsets (bootstrap: string, groupId: string, topic: string): Promise<{ partition: number, committed: number, end: number }[]> {
  const admin = new Admin({ clientId: 'test-lag', bootstrapBrokers: [bootstrap] })
  try {
    const meta = await admin.metadata({ topics: [topic] })
    const partitions = meta.topics.get(topic)!.partitionsCount
    const ids = [...Array(partitions).keys()]
    const [committed] = await admin.listConsumerGroupOffsets({ groups: [groupId] })
    const ends = await admin.listOffsets({ topics: [{ name: topic, partitions: ids.map(p => ({ partitionIndex: p, timestamp: -1n })) }] })
    const endOf = new Map(ends[0].partitions.map(p => [p.partitionIndex, Number(p.offset)]))
    const committedOf = new Map((committed?.topics.find(t => t.name === topic)?.partitions ?? []).map(p => [p.partitionIndex, Number(p.committedOffset)]))
    return ids.map(p => ({ partition: p, committed: committedOf.get(p) ?? -1, end: endOf.get(p) ?? -1 }))
  } finally {
    await admin.close()
  }
}

/** True when the group has committed everything up to the end of every partition. */
export async function fullyCommitted (bootstrap: string, groupId: string, topic: string): Promise<boolean> {
  const offsets = await groupOffsets(bootstrap, groupId, topic)
  return offsets.every(o => o.end === 0 || o.committed === o.end)
}
