// One Fetch request, sent and read with Tidewatch's own Kafka codec (src/protocol), returning each
// partition's record batches as raw bytes. The consumer client parses every batch of a Fetch
// response before handing any record over, so one batch it cannot decode fails the whole
// response; this is how a replica looks at those bytes itself to find the batch at fault.
import net from 'node:net'
import { Reader } from '../protocol/reader.js'
import { apiMessages } from '../protocol/generated/index.js'
import { encodeRequestFrame } from '../protocol/headers.js'

const API_VERSIONS = 18
const FETCH = 1
// v4 is the oldest Fetch a Kafka 4 broker serves; v12 the newest that names topics (v13+ use ids).
const FETCH_MIN = 4
const FETCH_MAX = 12

export interface RawPartitionData { partition: number, errorCode: number, records: Buffer }

/** A socket speaking one request at a time, with a deadline on each answer. */
class OneShotConnection {
  readonly #socket: net.Socket
  #buf = Buffer.alloc(0)
  #pending: { resolve: (frame: Buffer) => void, reject: (err: Error) => void } | null = null
  #failure: Error | null = null
  #correlationId = 0

  private constructor (socket: net.Socket) {
    this.#socket = socket
    socket.on('data', chunk => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
      if (this.#buf.length < 4) return
      const size = this.#buf.readInt32BE(0)
      if (this.#buf.length < 4 + size) return
      const frame = this.#buf.subarray(4, 4 + size)
      this.#buf = Buffer.alloc(0)
      const p = this.#pending
      this.#pending = null
      p?.resolve(frame)
    })
    const fail = (err: Error): void => {
      this.#failure ??= err
      const p = this.#pending
      this.#pending = null
      p?.reject(this.#failure)
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('the broker closed the connection')))
  }

  static async open (host: string, port: number, timeoutMs: number): Promise<OneShotConnection> {
    return await new Promise((resolve, reject) => {
      const socket = net.connect({ host, port })
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`)) }, timeoutMs)
      socket.once('connect', () => { clearTimeout(timer); socket.removeListener('error', reject); resolve(new OneShotConnection(socket)) })
      socket.once('error', err => { clearTimeout(timer); reject(err) })
    })
  }

  async request (apiKey: number, version: number, body: unknown, clientId: string, timeoutMs: number): Promise<any> {
    if (this.#failure !== null) throw this.#failure
    const correlationId = ++this.#correlationId
    const frame = encodeRequestFrame(apiKey, version, body, correlationId, clientId)
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => { this.#pending = null; reject(new Error(`no answer to ${apiMessages[apiKey].name} within ${timeoutMs} ms`)) }, timeoutMs)
      this.#pending = { resolve: f => { clearTimeout(timer); resolve(f) }, reject: e => { clearTimeout(timer); reject(e) } }
      this.#socket.write(frame)
    })
    const r = new Reader(answer)
    if (r.readInt32() !== correlationId) throw new Error('the broker answered another request')
    // ApiVersions answers with header v0 whatever its version; others use v1 when flexible.
    const m = apiMessages[apiKey]
    if (apiKey !== API_VERSIONS && m.flexibleFrom >= 0 && version >= m.flexibleFrom) r.skipTaggedFields()
    return m.decodeResponse(r, version)
  }

  close (): void { this.#socket.destroy() }
}

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
  const conn = await OneShotConnection.open(o.broker.host, o.broker.port, o.timeoutMs)
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
