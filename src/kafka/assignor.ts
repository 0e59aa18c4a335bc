// The consumer protocol's bytes inside JoinGroup and SyncGroup, and the assignment the group
// leader computes. Pure functions. The protocol is named "roundrobin" and the bytes are Kafka's
// ConsumerProtocolSubscription / ConsumerProtocolAssignment, so a group may mix these members with
// other clients that speak roundrobin (@platformatic/kafka's default, one of librdkafka's), during
// an upgrade for instance, and lag tools can read who owns what.
import { Reader } from '../protocol/reader.js'
import { Writer } from '../protocol/writer.js'
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../protocol/generated/consumer-protocol-assignment.js'
import { encodeConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.js'

export const PROTOCOL_NAME = 'roundrobin'

/** Subscription metadata: version 0 (topics, no user data) is what every reader understands. */
export function encodeSubscription (topics: string[]): Buffer {
  const w = new Writer()
  w.writeInt16(0)
  encodeConsumerProtocolSubscription(w, 0, { topics, userData: null })
  return w.toBuffer()
}

/**
 * The topics a member subscribed to. Only the version and the topic list are read: members
 * write versions 0-3 with more fields after them (and some write version 1 without them).
 */
export function decodeSubscriptionTopics (metadata: Buffer): string[] {
  const r = new Reader(metadata)
  r.readInt16()
  const n = r.readArrayLength(false)
  const topics: string[] = []
  for (let i = 0; i < n; i++) topics.push(r.readString(false))
  return topics
}

export function encodeAssignment (assigned: Map<string, number[]>): Buffer {
  const w = new Writer()
  w.writeInt16(0)
  encodeConsumerProtocolAssignment(w, 0, { assignedPartitions: [...assigned].map(([topic, partitions]) => ({ topic, partitions })), userData: null })
  return w.toBuffer()
}

/** The partitions assigned to this member, by topic. An empty assignment may be zero bytes. */
export function decodeAssignment (bytes: Buffer): Map<string, number[]> {
  const out = new Map<string, number[]>()
  if (bytes.length < 2) return out
  const r = new Reader(bytes)
  const version = r.readInt16()
  const a = decodeConsumerProtocolAssignment(r, Math.min(version, 3))
  for (const t of a.assignedPartitions) out.set(t.topic, [...(out.get(t.topic) ?? []), ...t.partitions].sort((x, y) => x - y))
  return out
}

/**
 * Round robin: every partition of every subscribed topic, in order, to the members subscribed to
 * it, in member-id order. Deterministic, so every leader computes the same split.
 */
export function assignRoundRobin (members: { memberId: string, topics: string[] }[], partitionCounts: Map<string, number>): Map<string, Map<string, number[]>> {
  const sorted = [...members].sort((a, b) => a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)
  const out = new Map<string, Map<string, number[]>>(sorted.map(m => [m.memberId, new Map()]))
  const topics = [...new Set(sorted.flatMap(m => m.topics))].sort()
  let next = 0
  for (const topic of topics) {
    const subscribed = sorted.filter(m => m.topics.includes(topic))
    for (let p = 0; p < (partitionCounts.get(topic) ?? 0); p++) {
      const member = subscribed[next++ % subscribed.length]
      const mine = out.get(member.memberId)!
      mine.set(topic, [...(mine.get(topic) ?? []), p])
    }
  }
  return out
}
