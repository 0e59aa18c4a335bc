// The records around one record of one partition, in exact offset order: what a log line looked
// like in its stream when an alert fired. With `samePod`, only records from the anchor's pod
// (kubernetes.pod_name, and namespace_name when the anchor has one) count, and reading goes on
// past other pods' records until N are found, the partition's ends are reached, or the scan
// budget is spent (then `truncated` says so).
import { LogStoreError, badParam } from './errors.js'
import { recordsForward, windowsBackward } from './partition-reader.js'
import { parseJsonValue, podOf } from './field-path.js'
import type { StoredRecord } from '../protocol/record-batch/index.js'
import type { PartitionSource, TopicStore } from './topic-store.js'

export const DEFAULT_CONTEXT_SIZE = 20
export const MAX_CONTEXT_SIZE = 200
/** Records examined on each side before a same-pod context gives up. */
export const MAX_CONTEXT_SCAN = 100_000

export interface ContextRequest {
  topic: string
  partition: number
  offset: number
  before: number
  after: number
  samePod: boolean
}

export interface ContextResult {
  topic: string
  partition: number
  /** The anchor's pod when `samePod` was asked. */
  pod: { namespace: string | null, pod: string } | null
  /** Oldest first, ending just before the anchor. */
  before: StoredRecord[]
  anchor: StoredRecord
  /** Oldest first, starting just after the anchor. */
  after: StoredRecord[]
  /** The partition's first offset still stored, and the offset the next record will get. */
  logStartOffset: number
  logEndOffset: number
  /** True when a side has fewer than asked because the partition starts / ends there. */
  reachedStart: boolean
  reachedEnd: boolean
  /** True when a same-pod scan stopped at MAX_CONTEXT_SCAN records on a side. */
  truncated: boolean
}

/** Validates the path and query parameters of a context request. */
export function parseContextParams (params: { topic: string, partition: string, offset: string }, query: { before?: string, after?: string, samePod?: string }): ContextRequest {
  const partition = wholeNumber(params.partition, 'partition')
  const offset = wholeNumber(params.offset, 'offset')
  const size = (v: string | undefined, name: string): number => {
    if (v === undefined || v === '') return DEFAULT_CONTEXT_SIZE
    const n = wholeNumber(v, name)
    if (n > MAX_CONTEXT_SIZE) throw badParam(name, `${name} must be at most ${MAX_CONTEXT_SIZE}, got ${n}`)
    return n
  }
  const samePod = query.samePod === undefined || query.samePod === '' ? false : query.samePod === 'true' || query.samePod === '1' ? true : query.samePod === 'false' || query.samePod === '0' ? false : null
  if (samePod === null) throw badParam('samePod', `samePod must be true or false, got '${query.samePod}'`)
  return { topic: params.topic, partition, offset, before: size(query.before, 'before'), after: size(query.after, 'after'), samePod }
}

function wholeNumber (v: string, name: string): number {
  if (!/^\d{1,15}$/.test(v)) throw badParam(name, `${name} must be a whole number ≥ 0, got '${v}'`)
  return Number(v)
}

export async function readContext (store: TopicStore, req: ContextRequest): Promise<ContextResult> {
  const partitions = await store.topic(req.topic)
  if (partitions === null) throw new LogStoreError(404, `topic '${req.topic}' does not exist`, 'topic')
  const log = partitions[req.partition]
  if (log === undefined) throw new LogStoreError(404, `topic '${req.topic}' has no partition ${req.partition} (it has ${partitions.length}: 0-${partitions.length - 1})`, 'partition')
  const anchor = await findAnchor(log, req)
  const pod = req.samePod ? podOf(parseJsonValue(anchor.value)) : null
  if (req.samePod && pod === null) throw badParam('samePod', `the record at offset ${req.offset} has no kubernetes.pod_name, so there is no pod to follow`)
  const keep = pod === null ? null : samePodAs(pod)
  const before = await readBefore(log, req.offset, req.before, keep)
  const after = await readAfter(log, req.offset, req.after, keep)
  return {
    topic: req.topic,
    partition: req.partition,
    pod,
    before: before.records,
    anchor,
    after: after.records,
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    reachedStart: before.records.length < req.before && !before.truncated,
    reachedEnd: after.records.length < req.after && !after.truncated,
    truncated: before.truncated || after.truncated
  }
}

async function findAnchor (log: PartitionSource, req: ContextRequest): Promise<StoredRecord> {
  const where = `offset ${req.offset} of ${req.topic}/${req.partition}`
  if (req.offset >= log.logEndOffset) {
    const last = log.logEndOffset > log.logStartOffset ? `the last record is at ${log.logEndOffset - 1}` : 'the partition holds no records'
    throw new LogStoreError(404, `${where} is beyond the end of the partition: ${last}`, 'offset')
  }
  if (req.offset < log.logStartOffset) {
    throw new LogStoreError(410, `${where} has been deleted by retention: the partition now starts at offset ${log.logStartOffset}`, 'offset')
  }
  for await (const r of recordsForward(log, req.offset, req.offset + 1)) return r
  throw new LogStoreError(404, `no record at ${where}: it was never written there or could not be read (compressed with an unsupported codec?)`, 'offset')
}

function samePodAs (pod: { namespace: string | null, pod: string }): (r: StoredRecord) => boolean {
  return r => {
    // Cheap rejection before parsing: the pod name must appear in the value's text.
    if (r.value === null || !r.value.includes(pod.pod)) return false
    const other = podOf(parseJsonValue(r.value))
    return other !== null && other.pod === pod.pod && (pod.namespace === null || other.namespace === pod.namespace)
  }
}

/** `keep` null means every record counts. */
type Keep = ((r: StoredRecord) => boolean) | null

async function readBefore (log: PartitionSource, offset: number, n: number, keep: Keep): Promise<{ records: StoredRecord[], truncated: boolean }> {
  const found: StoredRecord[] = []
  let scanned = 0
  if (n === 0) return { records: found, truncated: false }
  // Small windows when every record counts; larger ones when most may be another pod's.
  const windowOffsets = keep === null ? n : 1000
  for await (const w of windowsBackward(log, log.logStartOffset, offset, { windowOffsets })) {
    for (const r of w.records) {
      if (keep === null || keep(r)) { found.push(r); if (found.length === n) return { records: found.reverse(), truncated: false } }
      if (++scanned >= MAX_CONTEXT_SCAN) return { records: found.reverse(), truncated: true }
    }
  }
  return { records: found.reverse(), truncated: false }
}

async function readAfter (log: PartitionSource, offset: number, n: number, keep: Keep): Promise<{ records: StoredRecord[], truncated: boolean }> {
  const found: StoredRecord[] = []
  let scanned = 0
  if (n === 0) return { records: found, truncated: false }
  for await (const r of recordsForward(log, offset + 1)) {
    if (keep === null || keep(r)) { found.push(r); if (found.length === n) break }
    if (++scanned >= MAX_CONTEXT_SCAN) return { records: found, truncated: true }
  }
  return { records: found, truncated: false }
}
