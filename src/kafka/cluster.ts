// What the consumer knows of a cluster — its brokers, each partition's leader and leader epoch,
// group coordinators — and one pooled connection per broker. The embedded broker is simply a
// cluster of one node; nothing here knows the difference.
import { ErrorCode } from '../protocol/error-codes.js'
import { openConnection, describeAddress, ConnectionError, type BrokerAddress, type BrokerConnection, type ConnectionOptions } from './connection.js'
import type { MetadataResponse } from '../protocol/generated/metadata-response.js'
import type { FindCoordinatorResponse } from '../protocol/generated/find-coordinator-response.js'

const FETCH = 1
const METADATA = 3
const FIND_COORDINATOR = 10

/**
 * Requests a broker may hold go on connections of their own: a broker answers a connection's
 * requests one at a time, in order, so a commit, heartbeat or LeaveGroup behind a Fetch held for
 * maxWaitMs, or behind a JoinGroup held until every member has rejoined, would wait that long.
 */
type Lane = 'fetch' | 'join' | 'control'
const JOIN_GROUP = 11
const SYNC_GROUP = 14
const laneOf = (apiKey: number): Lane => apiKey === FETCH ? 'fetch' : apiKey === JOIN_GROUP || apiKey === SYNC_GROUP ? 'join' : 'control'

export interface PartitionLeader { partition: number, leader: number, leaderEpoch: number, errorCode: number }

/** A Kafka error code in a response, with what it was about. */
export class KafkaProtocolError extends Error {
  override name = 'KafkaProtocolError'
  readonly code: number
  constructor (message: string, code: number) { super(message); this.code = code }
}

export function parseBootstrap (list: string[]): BrokerAddress[] {
  return list.map(entry => {
    const at = entry.lastIndexOf(':')
    const port = Number(entry.slice(at + 1))
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`broker address '${entry}' is not host:port`)
    return { host: entry.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port }
  })
}

export class Cluster {
  readonly #bootstrap: BrokerAddress[]
  readonly #opts: ConnectionOptions
  readonly #brokers = new Map<number, BrokerAddress>()
  readonly #topics = new Map<string, PartitionLeader[]>()
  readonly #connections = new Map<string, Promise<BrokerConnection>>()
  readonly #coordinators = new Map<string, number>()
  #nextBootstrap = 0
  #closed = false
  /** When a broker last answered a request (ms since the epoch); see reachable(). */
  lastContact = Date.now()

  constructor (bootstrap: string[], opts: ConnectionOptions) {
    this.#bootstrap = parseBootstrap(bootstrap)
    if (this.#bootstrap.length === 0) throw new Error('no broker address given')
    this.#opts = opts
  }

  get clientId (): string { return this.#opts.clientId }

  /** The pooled connection to `address` (per lane), opened on first use and again after it failed. */
  async connectTo (address: BrokerAddress, lane: Lane = 'control'): Promise<BrokerConnection> {
    if (this.#closed) throw new ConnectionError('the consumer is closed')
    const key = `${lane} ${describeAddress(address)}`
    let conn = this.#connections.get(key)
    if (conn === undefined) {
      conn = openConnection(address, this.#opts)
      this.#connections.set(key, conn)
      conn.then(c => c.onClose(() => { if (this.#connections.get(key) === conn) this.#connections.delete(key) }), () => { if (this.#connections.get(key) === conn) this.#connections.delete(key) })
    }
    return await conn
  }

  /** A connection to broker `nodeId` as the last metadata named it. */
  async node (nodeId: number, lane: Lane = 'control'): Promise<BrokerConnection> {
    const address = this.#brokers.get(nodeId)
    if (address === undefined) throw new KafkaProtocolError(`broker ${nodeId} is not in the cluster metadata`, ErrorCode.LEADER_NOT_AVAILABLE)
    return await this.connectTo(address, lane)
  }

  /** A connection to any broker: known brokers first, then the bootstrap list, in turn. */
  async any (): Promise<BrokerConnection> {
    const candidates = [...this.#brokers.values(), ...this.#bootstrap]
    let last: Error | null = null
    for (let i = 0; i < candidates.length; i++) {
      const address = candidates[(this.#nextBootstrap + i) % candidates.length]
      try {
        return await this.connectTo(address)
      } catch (err) {
        last = err as Error
      }
    }
    this.#nextBootstrap++
    throw last ?? new ConnectionError('no broker to connect to')
  }

  /**
   * Sends one request to broker `target` (or any broker) at the highest version of `apiKey` both
   * sides speak within `min`..`max`, the body built for that version.
   */
  async request (target: number | 'any', apiKey: number, min: number, max: number, body: (version: number) => unknown, extraTimeoutMs = 0): Promise<any> {
    const conn = target === 'any' ? await this.any() : await this.node(target, laneOf(apiKey))
    const version = conn.version(apiKey, min, max)
    const res = await conn.request(apiKey, version, body(version), extraTimeoutMs)
    this.lastContact = Date.now()
    return res
  }

  /** Whether a broker has answered within the last `withinMs`. */
  reachable (withinMs: number): boolean { return Date.now() - this.lastContact < withinMs }

  /** Asks any broker for the brokers and the leaders of `topics`' partitions. */
  async refreshMetadata (topics: string[]): Promise<void> {
    const res = await this.request('any', METADATA, 1, 12, version => ({
      topics: topics.map(name => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false
    })) as MetadataResponse
    this.#brokers.clear()
    for (const b of res.brokers) this.#brokers.set(b.nodeId, { host: b.host, port: b.port })
    for (const t of res.topics) {
      if (t.name === null) continue
      if (t.errorCode !== ErrorCode.NONE) { this.#topics.delete(t.name); continue }
      const partitions: PartitionLeader[] = []
      for (const p of t.partitions) partitions[p.partitionIndex] = { partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, errorCode: p.errorCode }
      this.#topics.set(t.name, partitions)
    }
  }

  /** Partitions of `topic` as the last metadata gave them (undefined: not known to exist). */
  partitions (topic: string): PartitionLeader[] | undefined { return this.#topics.get(topic) }

  /** The broker coordinating `groupId`, asked once and again after forgetCoordinator(). */
  async coordinator (groupId: string): Promise<number> {
    const known = this.#coordinators.get(groupId)
    if (known !== undefined) return known
    const res = await this.request('any', FIND_COORDINATOR, 0, 4, version => version >= 4
      ? { keyType: 0, coordinatorKeys: [groupId] }
      : { key: groupId, keyType: 0 }) as FindCoordinatorResponse
    const found = res.coordinators.length > 0
      ? res.coordinators[0]
      : { nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage }
    if (found.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(`no coordinator for group ${groupId}: ${found.errorMessage ?? `error ${found.errorCode}`}`, found.errorCode)
    this.#brokers.set(found.nodeId, { host: found.host, port: found.port })
    this.#coordinators.set(groupId, found.nodeId)
    return found.nodeId
  }

  forgetCoordinator (groupId: string): void { this.#coordinators.delete(groupId) }

  close (): void {
    this.#closed = true
    for (const conn of this.#connections.values()) conn.then(c => c.close(), () => {})
    this.#connections.clear()
  }
}
