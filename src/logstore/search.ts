// Search over a topic, newest first, across all partitions.
//
// Each partition is read newest-first in windows (partition-reader.ts). Partitions advance in
// lockstep by time: a match is handed out only once no partition can still hold a newer record
// (its scan "frontier" — the oldest timestamp it has read — is not above the match), otherwise
// the partition whose frontier is newest reads its next window. So results come out in
// timestamp order (exactly when each partition's timestamps rise with offsets, as they do for a
// producer's own records; otherwise to within one window), and when a scan budget stops the
// search, every partition has been covered down to about the same time (`scannedDownTo`).
//
// The time range uses the source's time index (the broker's, or ListOffsets by time on a
// cluster): the first offset at or after `from` is exact;
// the scan starts below the first record later than `to` + TO_SLACK_MS, so records up to that
// far out of timestamp order are still found.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { LogStoreError } from './errors.js'
import { windowsBackward, type BackwardWindow } from './partition-reader.js'
import { compileFilters, type SearchQuery } from './search-query.js'
import { searchRegexMatches } from './safe-regex.js'
import type { Re2 } from '../shared/re2.js'
import type { StoredRecord } from '../protocol/record-batch/index.js'
import type { PartitionSource, TopicStore } from './topic-store.js'

const TO_SLACK_MS = 5 * 60_000
// Windows start small, so partitions stay in step while a search is young (most end at their
// limit early), and grow for long scans, where fewer larger reads are cheaper.
const FIRST_WINDOW_OFFSETS = 100
const MAX_WINDOW_OFFSETS = 2000
/** Longest stretch of synchronous scanning before other requests get a turn. */
const SLICE_MS = 20

export interface SearchBudget {
  /** Records decoded before the search stops (default 500,000). */
  maxScanRecords: number
  /** Stored batch bytes read before the search stops (default 256 MiB). */
  maxScanBytes: number
  /** Wall time before the search stops (default 10 s). */
  maxDurationMs: number
}

export const DEFAULT_SEARCH_BUDGET: SearchBudget = { maxScanRecords: 500_000, maxScanBytes: 256 * 1024 * 1024, maxDurationMs: 10_000 }

export interface SearchHit extends StoredRecord { type: 'record', topic: string, partition: number }

export interface SearchSummary {
  type: 'summary'
  matched: number
  scannedRecords: number
  scannedBytes: number
  /** True when the search stopped before covering the whole range; `reason` says why. */
  truncated: boolean
  reason: 'limit' | 'max-scan-records' | 'max-scan-bytes' | 'time' | 'aborted' | null
  /** When truncated: every record newer than this was examined (epoch ms); continue with to=scannedDownTo. */
  scannedDownTo: number | null
  /** Batches whose records could not be read, with why (e.g. zstd on Node 20). */
  skipped: { partition: number, fromOffset: number, toOffset: number, reason: string }[]
  tookMs: number
}

export type SearchLine = SearchHit | SearchSummary

/** Picks the matching records of one window, giving other requests a turn on long windows. */
type WindowFilter = (records: StoredRecord[]) => Promise<StoredRecord[]>

class PartitionCursor {
  readonly partition: number
  readonly #windows: AsyncGenerator<BackwardWindow>
  /** Matches read but not yet handed out, newest first. */
  pending: StoredRecord[] = []
  /** Oldest timestamp read so far: no unread record is expected to be newer. */
  frontier = Infinity
  done = false

  constructor (partition: number, windows: AsyncGenerator<BackwardWindow>) {
    this.partition = partition
    this.#windows = windows
  }

  /** Reads one window; returns what it cost. */
  async advance (filter: WindowFilter, skipped: SearchSummary['skipped']): Promise<{ records: number, bytes: number }> {
    const next = await this.#windows.next()
    if (next.done === true) { this.done = true; return { records: 0, bytes: 0 } }
    const w = next.value
    for (const s of w.skipped) skipped.push({ partition: this.partition, ...s })
    const kept = await filter(w.records)
    for (const r of w.records) if (r.timestamp < this.frontier) this.frontier = r.timestamp
    // Windows come newest-offset first; order by time within one (stable: offset desc on ties).
    this.pending = this.pending.concat(kept.sort((a, b) => b.timestamp - a.timestamp))
    return { records: w.records.length, bytes: w.bytes }
  }
}

/**
 * Validates `query` against the store (unknown topic → 404, bad regex → 400) and returns the
 * result stream: matching records newest first, then exactly one summary line.
 */
export async function startSearch (store: TopicStore, query: SearchQuery, opts: { budget?: Partial<SearchBudget>, signal?: AbortSignal } = {}): Promise<AsyncGenerator<SearchLine>> {
  const partitions = await store.topic(query.topic)
  if (partitions === null) throw new LogStoreError(404, `topic '${query.topic}' does not exist`, 'topic')
  const { prefilter, regex } = compileFilters(query)
  const from = query.from ?? -Infinity
  const to = query.to ?? Infinity
  const keep = (r: StoredRecord): boolean => r.timestamp >= from && r.timestamp <= to && prefilter(r)
  const cursors = partitions.map(log => new PartitionCursor(log.partition, windowsFor(log, query)))
  return run(query, cursors, keep, regex, { ...DEFAULT_SEARCH_BUDGET, ...opts.budget }, opts.signal)
}

// The time lookups happen when the partition reads its first window.
async function * windowsFor (log: PartitionSource, q: SearchQuery): AsyncGenerator<BackwardWindow> {
  const floor = q.from === undefined ? log.logStartOffset : await log.offsetForTimestamp(q.from) ?? log.logEndOffset
  const ceiling = q.to === undefined ? log.logEndOffset : await log.offsetForTimestamp(q.to + TO_SLACK_MS) ?? log.logEndOffset
  yield * windowsBackward(log, floor, ceiling, { minTimestamp: q.from, windowOffsets: FIRST_WINDOW_OFFSETS, maxWindowOffsets: MAX_WINDOW_OFFSETS })
}

async function * run (query: SearchQuery, cursors: PartitionCursor[], keep: (r: StoredRecord) => boolean, regex: Re2 | null, budget: SearchBudget, signal?: AbortSignal): AsyncGenerator<SearchLine> {
  const filter: WindowFilter = async records => {
    const kept: StoredRecord[] = []
    let sliceStart = Date.now()
    for (const r of records) {
      if (keep(r) && (regex === null || searchRegexMatches(regex, r.value ?? ''))) kept.push(r)
      if (Date.now() - sliceStart >= SLICE_MS) {
        await yieldToEventLoop()
        sliceStart = Date.now()
      }
    }
    return kept
  }
  yield * scan(query, cursors, filter, budget, Date.now(), signal)
}

async function * scan (query: SearchQuery, cursors: PartitionCursor[], filter: WindowFilter, budget: SearchBudget, started: number, signal?: AbortSignal): AsyncGenerator<SearchLine> {
  const summary: SearchSummary = { type: 'summary', matched: 0, scannedRecords: 0, scannedBytes: 0, truncated: false, reason: null, scannedDownTo: null, skipped: [], tookMs: 0 }
  let sliceStart = Date.now()
  const stop = (reason: SearchSummary['reason']): void => {
    summary.truncated = true
    summary.reason = reason
    const open = cursors.filter(c => !c.done)
    const downTo = open.length === 0 ? null : Math.max(...open.map(c => c.frontier))
    // Infinity: some partition was not read at all, so nothing is complete.
    summary.scannedDownTo = downTo === null || downTo === Infinity ? null : downTo
  }
  for (;;) {
    if (summary.matched >= query.limit) { if (cursors.some(c => !c.done || c.pending.length > 0)) stop('limit'); break }
    if (signal?.aborted === true) { stop('aborted'); break }
    let best: PartitionCursor | null = null
    for (const c of cursors) if (c.pending.length > 0 && (best === null || c.pending[0].timestamp > best.pending[0].timestamp)) best = c
    let newestUnread: PartitionCursor | null = null
    for (const c of cursors) if (!c.done && (newestUnread === null || c.frontier > newestUnread.frontier)) newestUnread = c
    if (best !== null && (newestUnread === null || best.pending[0].timestamp >= newestUnread.frontier)) {
      const r = best.pending.shift()!
      summary.matched++
      yield { type: 'record', topic: query.topic, partition: best.partition, ...r }
      continue
    }
    if (newestUnread === null) break
    const budgetHit = summary.scannedRecords >= budget.maxScanRecords
      ? 'max-scan-records'
      : summary.scannedBytes >= budget.maxScanBytes ? 'max-scan-bytes' : Date.now() - started >= budget.maxDurationMs ? 'time' : null
    // Every partition reads its newest window even past the budget: until it has, no result
    // can be known to be the newest (a window is at least one stored batch).
    if (budgetHit !== null && newestUnread.frontier !== Infinity) { stop(budgetHit); break }
    const cost = await newestUnread.advance(filter, summary.skipped)
    summary.scannedRecords += cost.records
    summary.scannedBytes += cost.bytes
    if (Date.now() - sliceStart >= SLICE_MS) {
      await yieldToEventLoop()
      sliceStart = Date.now()
    }
  }
  // Matches already read but not handed out are dropped, not reported: the limit was reached
  // or a budget stopped the search, and the summary says which.
  summary.tookMs = Date.now() - started
  yield summary
}
