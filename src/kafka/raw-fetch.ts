// One Fetch request, sent and read with Tidewatch's own Kafka codec (src/protocol), returning each
// partition's record batches as raw bytes. The consumer client parses every batch of a Fetch
// response before handing any record over, so one batch it cannot decode fails the whole
// response; this is how a replica looks at those bytes itself to find the batch at fault.
import { BrokerConnection } from './connection.js'

const API_VERSIONS = 18
const FETCH = 1
// v4 is the oldest Fetch a Kafka 4 broker serves; v12 the newest that names topics (v13+ use ids).
const FETCH_MIN = 4
const FETCH_MAX = 12

export interface RawPartitionData { partition: number, errorCode: number, records: Buffer }

/**
 * Fetches `partitions` of `topic` from their leader at `broker`, from each given offset, and
 * returns what each partition's answer holds: its error code and its record batches as bytes
 * (whole batches, possibly followed by a truncated one, exactly as the broker sent them).
 */
export async function fetchRawBatches (o: {
  broker: { host: string, port: number }
  clientId: string
  topic: string
  partitions: { partition: number, offset: number }[]
  maxBytesPerPartition: number
  timeoutMs: number
}): Promise<RawPartitionData[]> {
  const conn = await BrokerConnection.open(o.broker.host, o.broker.port, o.timeoutMs)
  try {
    const versions = await conn.request(API_VERSIONS, 0, {}, o.clientId, o.timeoutMs) as { errorCode: number, apiKeys: { apiKey: number, minVersion: number, maxVersion: number }[] }
    const fetch = versions.apiKeys.find(k => k.apiKey === FETCH)
    const version = fetch === undefined ? -1 : Math.min(FETCH_MAX, fetch.maxVersion)
    if (fetch === undefined || version < Math.max(FETCH_MIN, fetch.minVersion)) throw new Error(`the broker serves no Fetch version between ${FETCH_MIN} and ${FETCH_MAX}`)
    const res = await conn.request(FETCH, version, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: o.maxBytesPerPartition * o.partitions.length,
      // READ_COMMITTED, as the consumer reads: the same batches it was given.
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: o.topic, partitions: o.partitions.map(p => ({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: o.maxBytesPerPartition })) }]
    }, o.clientId, o.timeoutMs) as { errorCode: number, responses: { topic: string, partitions: { partitionIndex: number, errorCode: number, records: Buffer | null }[] }[] }
    const out: RawPartitionData[] = []
    for (const t of res.responses) {
      for (const p of t.partitions) out.push({ partition: p.partitionIndex, errorCode: p.errorCode !== 0 ? p.errorCode : res.errorCode, records: p.records ?? Buffer.alloc(0) })
    }
    return out
  } finally {
    conn.close()
  }
}
