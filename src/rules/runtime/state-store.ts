/**
 * Where an owner's state outlives it: `<name>.state`, one partition per contributions partition.
 * A snapshot is JSON, gzipped, cut into chunks of at most CHUNK_BYTES (the broker's message
 * limit is 1 MiB), written in one produce; its headers say which snapshot and chunk a record is.
 * Reading takes the tail of the partition and picks, among the complete snapshots there, the one
 * that covers the most contributions (the highest `next`): an owner that lost its partition in
 * a rebalance and wrote once more after the new owner did cannot roll the state back.
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import { randomUUID } from 'node:crypto'
import type { KafkaClient, KafkaRecord, OutgoingRecord } from '../../kafka/client.js'
import type { OwnerSnapshot } from '../owner-stage.js'

export const CHUNK_BYTES = 512 * 1024
/** Records read back from the end of a state partition to find the latest snapshot. */
export const SNAPSHOT_TAIL_RECORDS = 256

/** One owner's state for one contributions partition, as written to the state topic. */
export interface PartitionSnapshot {
  version: 1
  partition: number
  /** The next contributions offset this state has not seen: reading resumes here. */
  next: number
  /** Per input partition, the latest progress marker time. */
  marks: [number, number][]
  /** The owner stage's state without metric windows (those are rebuilt from the contributions topic). */
  owner: OwnerSnapshot
  /** Wall-clock time of writing (ms). */
  writtenAt: number
}

export async function writeSnapshot (kafka: KafkaClient, topic: string, s: PartitionSnapshot): Promise<number> {
  const bytes = gzipSync(JSON.stringify(s))
  const id = randomUUID()
  const chunks = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES))
  if (chunks > SNAPSHOT_TAIL_RECORDS) throw new Error(`the rules state of partition ${s.partition} is ${bytes.length} bytes gzipped, over the ${SNAPSHOT_TAIL_RECORDS * CHUNK_BYTES} a snapshot may take; fewer series (sum by, | drop) or fewer new_pattern templates would shrink it`)
  const records = []
  for (let i = 0; i < chunks; i++) {
    records.push({
      topic,
      partition: s.partition,
      value: bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES),
      headers: { 'tidewatch.snapshot': id, 'tidewatch.chunk': `${i}/${chunks}`, 'tidewatch.next': String(s.next) }
    })
  }
  await produceBounded(kafka, records)
  return bytes.length
}

/** Bytes of record values one produce call carries at most: a call's records to one partition become one batch, which the broker caps at 1 MiB. */
export const PRODUCE_CALL_BYTES = 768 * 1024

/** Produces `records` in order, in calls of at most PRODUCE_CALL_BYTES (one record over it goes alone). */
export async function produceBounded (kafka: KafkaClient, records: OutgoingRecord[]): Promise<void> {
  let call: OutgoingRecord[] = []
  let bytes = 0
  for (const r of records) {
    const size = typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length
    if (call.length > 0 && bytes + size > PRODUCE_CALL_BYTES) { await kafka.produce(call); call = []; bytes = 0 }
    call.push(r)
    bytes += size
  }
  if (call.length > 0) await kafka.produce(call)
}

/** Reads `partition` of `topic` from `from` up to (not including) `to`, in offset order; undecodable batches are skipped and reported. */
export async function * readRange (kafka: KafkaClient, topic: string, partition: number, from: number, to: number, onSkip?: (reason: string) => void): AsyncGenerator<KafkaRecord> {
  let at = from
  while (at < to) {
    const [r] = await kafka.readFrom(topic, [{ partition, offset: at }], { maxBytesPerPartition: 4 * 1024 * 1024 })
    if (r === undefined || r.next <= at) return
    for (const rec of r.records) if (rec.offset >= at && rec.offset < to) yield rec
    if (r.unreadable !== null) onSkip?.(`${topic}/${partition} ${r.unreadable.baseOffset}-${r.unreadable.lastOffset}: ${r.unreadable.reason}`)
    at = r.next
  }
}

/** The latest complete snapshot of `partition`, or null when there is none. */
export async function readLatestSnapshot (kafka: KafkaClient, topic: string, partition: number): Promise<{ snapshot: PartitionSnapshot, end: number } | null> {
  const offsets = await kafka.topicOffsets(topic)
  const p = offsets?.find(x => x.partition === partition)
  if (p === undefined || p.endOffset <= p.logStartOffset) return null
  const chunks = new Map<string, { parts: Buffer[], got: number, n: number, order: number }>()
  let order = 0
  for await (const r of readRange(kafka, topic, partition, Math.max(p.logStartOffset, p.endOffset - SNAPSHOT_TAIL_RECORDS), p.endOffset)) {
    const id = r.headers['tidewatch.snapshot']
    const [i, n] = (r.headers['tidewatch.chunk'] ?? '').split('/').map(Number)
    if (id === undefined || r.value === null || !Number.isInteger(i) || !Number.isInteger(n) || i >= n) continue
    let c = chunks.get(id)
    if (c === undefined) chunks.set(id, c = { parts: new Array<Buffer>(n), got: 0, n, order })
    if (c.parts[i] === undefined) { c.parts[i] = r.value; c.got++ }
    c.order = order++
  }
  let best: PartitionSnapshot | null = null
  let bestOrder = -1
  for (const c of chunks.values()) {
    if (c.got !== c.n) continue
    let s: PartitionSnapshot
    try {
      s = JSON.parse(gunzipSync(Buffer.concat(c.parts)).toString('utf8')) as PartitionSnapshot
    } catch {
      continue
    }
    if (s.version !== 1 || s.partition !== partition) continue
    if (best === null || s.next > best.next || (s.next === best.next && c.order > bestOrder)) { best = s; bestOrder = c.order }
  }
  return best === null ? null : { snapshot: best, end: p.endOffset }
}
