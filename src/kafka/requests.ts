// The bodies of the consumer's Fetch and ListOffsets requests (the generated encoder writes the
// fields each version has). Both read_committed: transactions are handled as Kafka's consumers
// handle them (batch-reader.ts).
const READ_COMMITTED = 1

// v4 is the oldest Fetch a Kafka 4 broker serves; v12 the newest that names topics (v13+ use ids).
export const FETCH_VERSIONS = [4, 12] as const

/** A Fetch request body (v4-12) for `partitions` of `topic`, read_committed, without a fetch session. */
export function fetchBody (topic: string, partitions: { partition: number, offset: number, leaderEpoch: number }[], o: { maxWaitMs: number, maxBytes: number, partitionMaxBytes: number }): unknown {
  return {
    replicaId: -1,
    maxWaitMs: o.maxWaitMs,
    minBytes: 1,
    maxBytes: o.maxBytes,
    isolationLevel: READ_COMMITTED,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: partitions.map(p => ({ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, fetchOffset: p.offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: o.partitionMaxBytes })) }],
    forgottenTopicsData: [],
    rackId: ''
  }
}

// v1 is the oldest ListOffsets a Kafka 4 broker serves; later versions than 7 add kinds of
// timestamp this consumer does not ask for.
export const LIST_OFFSETS_VERSIONS = [1, 7] as const

/** ListOffsets for where `startFrom` begins in each of `partitions`: the log start or its end. */
export function listOffsetsBody (topic: string, partitions: number[], startFrom: 'earliest' | 'latest'): unknown {
  return {
    replicaId: -1,
    isolationLevel: READ_COMMITTED,
    topics: [{ name: topic, partitions: partitions.map(partitionIndex => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: startFrom === 'earliest' ? -2 : -1, maxNumOffsets: 1 })) }]
  }
}
