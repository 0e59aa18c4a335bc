// Appending what an ingest API accepted, through the log store's own append path
// (logstore/ingest.ts: the broker's batches, appended in slices that yield, to the embedded
// broker or a cluster). A record too large for the topic is refused on its own (the APIs report it per item)
// rather than failing its whole request; a storage failure fails the request with 503, which
// every shipper retries (so does a batch a cluster did not store) (the part already stored is then stored again: at-least-once).
import { LogStoreError } from '../logstore/errors.js'
import { ingestRecords } from '../logstore/ingest.js'
import type { IngestRecord } from '../logstore/ingest-body.js'
import type { TopicStore } from '../logstore/topic-store.js'

/** Bytes a record adds to a batch beyond its value, and the batch header (as logstore counts). */
const OVERHEAD = 32 + 61

export interface IngestLimits {
  /** Largest body, compressed and decompressed. */
  maxBytes: number
  /** Most records in one request. */
  maxRecords: number
}

/** The largest record value `topic` accepts (its max.message.bytes, else the broker's). */
export async function maxRecordBytes (store: TopicStore, topic: string): Promise<number> {
  return await store.maxMessageBytes(topic) - OVERHEAD
}

/** Too many records: 413 naming the limit. */
export function tooManyRecords (maxRecords: number): LogStoreError {
  return new LogStoreError(413, `the request holds more than ${maxRecords} records, the ingest limit per request (ingest.maxRecords in the project file); send smaller requests`, 'body')
}

/**
 * Stores `records` (null entries are items refused earlier) and returns, per item, null when
 * stored or the reason it was refused.
 */
export async function appendAccepted (store: TopicStore, topic: string, records: (IngestRecord | null)[]): Promise<(string | null)[]> {
  const limit = await maxRecordBytes(store, topic)
  const results: (string | null)[] = []
  const keep: IngestRecord[] = []
  for (const r of records) {
    if (r === null) { results.push('refused'); continue }
    const size = Buffer.byteLength(r.value)
    if (size > limit) { results.push(`the record is ${size} bytes; topic '${topic}' accepts records of at most ${limit} (max.message.bytes)`); continue }
    results.push(null)
    keep.push(r)
  }
  if (keep.length > 0) await ingestRecords(store, topic, keep)
  return results
}

export { LogStoreError }
