// Where the log store's records live: the one interface search, context, the topic list and
// every ingest API read and write through. Two sources implement it — the embedded broker in
// this process (embedded-store.ts: PartitionLog read and appended directly, no network) and a
// Kafka cluster (cluster-store.ts: Fetch, ListOffsets, Produce and DescribeConfigs through
// Tidewatch's own client). Everything above it is the same code for both.

/** One partition's offsets as last seen. `sizeBytes` is null where the source cannot tell (a cluster). */
export interface PartitionBounds {
  partition: number
  logStartOffset: number
  logEndOffset: number
  sizeBytes: number | null
}

export interface TopicInfo { name: string, partitions: PartitionBounds[] }

/** What a read of one partition gave. */
export type PartitionRead =
  /** Whole batches starting with the one that holds the offset asked for (null or empty: none). */
  | { records: Buffer | null }
  /** The offset is below the log start now (retention moved it): the bounds are updated. */
  | 'out-of-range'

/** One partition of a topic, read as a Fetch reads it. */
export interface PartitionSource {
  readonly partition: number
  /** The first offset still stored and the offset the next record will get, as last seen (each read updates them). */
  readonly logStartOffset: number
  readonly logEndOffset: number
  /** Whole batches from the one holding `offset`: at least one when there is one, about `maxBytes` in all. */
  read: (offset: number, maxBytes: number) => Promise<PartitionRead>
  /** The first offset whose record is at or after `timestamp` (epoch ms), or null when none is. */
  offsetForTimestamp: (timestamp: number) => Promise<number | null>
}

/** Where appends to a topic go: its partition count and the largest batch it takes. */
export interface AppendTarget { partitions: number, maxBatchBytes: number }

/** What one append call stored, and why it stopped when it did not store everything. */
export interface AppendOutcome {
  /** Base offset per partition whose batch was stored. */
  stored: Map<number, number>
  /** Null when every batch was stored; otherwise the HTTP status and why (without "retry"). */
  failure: { status: number, reason: string } | null
}

export interface TopicStore {
  /** Now, as the source's clock says (records without a time of their own get this). */
  now: () => number
  listTopics: () => Promise<TopicInfo[]>
  /** The topic's partitions, bounds read now; null when the topic does not exist. */
  topic: (name: string) => Promise<PartitionSource[] | null>
  /** Finds the topic for appending, creating it where the source auto-creates topics; throws LogStoreError. */
  appendTarget: (name: string) => Promise<AppendTarget>
  /** Stores one batch per partition (built by the caller within maxBatchBytes). */
  append: (name: string, batches: Map<number, Buffer>) => Promise<AppendOutcome>
  /** The largest batch `name` accepts (its max.message.bytes), for checking records before appending. */
  maxMessageBytes: (name: string) => Promise<number>
}
