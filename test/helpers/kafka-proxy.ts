// A stand-in for what the embedded broker cannot be: a cluster of several brokers. Each "node"
// is a listener here; every connection is relayed to the one real
// broker behind it, with Tidewatch's codec reading what passes and changing only this:
// - Metadata names the proxy's nodes and says which one leads each partition (and its epoch);
//   FindCoordinator names the coordinator node;
// - a node answers Fetch for partitions it does not lead with NOT_LEADER_OR_FOLLOWER, and for a
//   stale leader epoch with FENCED_LEADER_EPOCH, as a real cluster after a leader moved;
// - a node that is not the coordinator answers group requests with NOT_COORDINATOR itself;
// - it records who fetched what from which node, each member's assignments and every commit.
import net from 'node:net'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { apiMessages } from '../../src/protocol/generated/index.js'
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion } from '../../src/protocol/headers.js'
import { ErrorCode } from '../../src/protocol/error-codes.js'
import { decodeAssignment } from '../../src/kafka/assignor.js'

const FETCH = 1
const METADATA = 3
const OFFSET_COMMIT = 8
const OFFSET_FETCH = 9
const FIND_COORDINATOR = 10
const JOIN_GROUP = 11
const HEARTBEAT = 12
const LEAVE_GROUP = 13
const SYNC_GROUP = 14
const GROUP_APIS = new Set([OFFSET_COMMIT, OFFSET_FETCH, JOIN_GROUP, HEARTBEAT, LEAVE_GROUP, SYNC_GROUP])

interface Pending { apiKey: number, version: number, request: any }

export class KafkaProxy {
  readonly #upstream: { host: string, port: number }
  readonly #servers = new Map<number, net.Server>()
  readonly #sockets = new Set<net.Socket>()
  readonly ports = new Map<number, number>()
  /** Who leads a partition, and its leader epoch; change them to move leaders. */
  leader: (topic: string, partition: number) => number
  epoch: (topic: string, partition: number) => number = () => 0
  coordinator: number
  readonly fetches: { node: number, topic: string, partition: number, offset: number, errorCode: number }[] = []
  readonly commits: { node: number, memberId: string, generationId: number, topic: string, partitions: number[] }[] = []
  /** `${memberId} ${generationId}` → the partitions SyncGroup gave that member in that generation. */
  readonly assignments = new Map<string, number[]>()
  readonly refused: { node: number, apiKey: number, errorCode: number }[] = []

  private constructor (upstream: { host: string, port: number }, nodes: number[]) {
    this.#upstream = upstream
    this.leader = () => nodes[0]
    this.coordinator = nodes[0]
  }

  static async start (upstream: { host: string, port: number }, nodes: number[]): Promise<KafkaProxy> {
    const proxy = new KafkaProxy(upstream, nodes)
    for (const node of nodes) {
      const server = net.createServer(client => proxy.#relay(node, client))
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      proxy.#servers.set(node, server)
      proxy.ports.set(node, (server.address() as net.AddressInfo).port)
    }
    return proxy
  }

  bootstrap (node: number): string { return `127.0.0.1:${this.ports.get(node)!}` }

  async close (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await Promise.all([...this.#servers.values()].map(async s => await new Promise(resolve => s.close(resolve))))
  }

  #relay (node: number, client: net.Socket): void {
    const upstream = net.connect(this.#upstream)
    this.#sockets.add(client).add(upstream)
    const pending = new Map<number, Pending>()
    const end = (): void => { client.destroy(); upstream.destroy(); this.#sockets.delete(client); this.#sockets.delete(upstream) }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
    frames(client, frame => {
      const r = new Reader(frame)
      const h = decodeRequestHeader(r)
      const m = apiMessages[h.apiKey]
      const request: any = m === undefined ? null : m.decodeRequest(r, h.apiVersion)
      if (GROUP_APIS.has(h.apiKey) && node !== this.coordinator) {
        this.refused.push({ node, apiKey: h.apiKey, errorCode: ErrorCode.NOT_COORDINATOR })
        client.write(encodeResponse(h.apiKey, h.apiVersion, h.correlationId, notCoordinator(h.apiKey, request)))
        return
      }
      if (h.apiKey === OFFSET_COMMIT) {
        for (const t of request.topics) this.commits.push({ node, memberId: request.memberId, generationId: request.generationIdOrMemberEpoch, topic: t.name, partitions: t.partitions.map((p: any) => p.partitionIndex) })
      }
      pending.set(h.correlationId, { apiKey: h.apiKey, version: h.apiVersion, request })
      upstream.write(withSize(frame))
    })
    frames(upstream, frame => {
      const correlationId = frame.readInt32BE(0)
      const p = pending.get(correlationId)
      pending.delete(correlationId)
      if (p === undefined || ![METADATA, FIND_COORDINATOR, FETCH, SYNC_GROUP].includes(p.apiKey)) { client.write(withSize(frame)); return }
      const r = new Reader(frame, 4)
      if (responseHeaderVersion(p.apiKey, p.version) === 1) r.skipTaggedFields()
      const res = apiMessages[p.apiKey].decodeResponse(r, p.version) as any
      this.#rewrite(node, p, res)
      client.write(encodeResponse(p.apiKey, p.version, correlationId, res))
    })
  }

  #rewrite (node: number, p: Pending, res: any): void {
    const nodes = [...this.ports].map(([nodeId, port]) => ({ nodeId, host: '127.0.0.1', port, rack: null }))
    switch (p.apiKey) {
      case METADATA:
        res.brokers = nodes
        res.controllerId = nodes[0].nodeId
        for (const t of res.topics) {
          for (const part of t.partitions) {
            part.leaderId = this.leader(t.name, part.partitionIndex)
            part.leaderEpoch = this.epoch(t.name, part.partitionIndex)
            part.replicaNodes = [part.leaderId]
            part.isrNodes = [part.leaderId]
          }
        }
        return
      case FIND_COORDINATOR: {
        const c = nodes.find(n => n.nodeId === this.coordinator)!
        Object.assign(res, { nodeId: c.nodeId, host: c.host, port: c.port })
        for (const x of res.coordinators ?? []) Object.assign(x, { nodeId: c.nodeId, host: c.host, port: c.port })
        return
      }
      case SYNC_GROUP:
        if (res.errorCode === 0) this.assignments.set(`${p.request.memberId} ${p.request.generationId}`, [...decodeAssignment(res.assignment).values()].flat())
        return
      case FETCH:
        for (const t of res.responses) {
          const asked = p.request.topics.find((x: any) => x.topic === t.topic)
          for (const part of t.partitions) {
            const req = asked?.partitions.find((x: any) => x.partition === part.partitionIndex)
            const epoch = this.epoch(t.topic, part.partitionIndex)
            let code = part.errorCode
            if (this.leader(t.topic, part.partitionIndex) !== node) code = ErrorCode.NOT_LEADER_OR_FOLLOWER
            else if (req !== undefined && req.currentLeaderEpoch >= 0 && req.currentLeaderEpoch < epoch) code = ErrorCode.FENCED_LEADER_EPOCH
            if (code !== part.errorCode) { part.errorCode = code; part.records = Buffer.alloc(0) }
            this.fetches.push({ node, topic: t.topic, partition: part.partitionIndex, offset: req?.fetchOffset ?? -1, errorCode: part.errorCode })
          }
        }
    }
  }
}

function notCoordinator (apiKey: number, req: any): unknown {
  const code = ErrorCode.NOT_COORDINATOR
  switch (apiKey) {
    case OFFSET_COMMIT: return { topics: req.topics.map((t: any) => ({ name: t.name, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) }
    case OFFSET_FETCH: return { errorCode: code, topics: [], groups: (req.groups ?? []).map((g: any) => ({ groupId: g.groupId, topics: [], errorCode: code })) }
    case JOIN_GROUP: return { errorCode: code, generationId: -1, protocolName: null, leader: '', memberId: req.memberId, members: [] }
    case SYNC_GROUP: return { errorCode: code, assignment: Buffer.alloc(0) }
    default: return { errorCode: code, members: [] }
  }
}

function encodeResponse (apiKey: number, version: number, correlationId: number, body: unknown): Buffer {
  const w = new Writer()
  encodeResponseHeader(w, responseHeaderVersion(apiKey, version), correlationId)
  apiMessages[apiKey].encodeResponse(w, version, body)
  return withSize(w.toBuffer())
}

function withSize (frame: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(frame.length)
  return Buffer.concat([size, frame])
}

/** Calls `onFrame` with each size-prefixed frame (without the prefix) arriving on `socket`. */
function frames (socket: net.Socket, onFrame: (frame: Buffer) => void): void {
  let buf = Buffer.alloc(0)
  socket.on('data', chunk => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
      const size = buf.readInt32BE(0)
      onFrame(buf.subarray(4, 4 + size))
      buf = buf.subarray(4 + size)
    }
  })
}
