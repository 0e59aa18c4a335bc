import { ErrorCode } from '../../protocol/error-codes.js'
import { CONTROL_FLAG } from '../../protocol/record-batch/index.js'
import type { BatchInfo } from './record-batch.js'

/** How many recent batches per producer are remembered for duplicate detection (Kafka: 5, the max in-flight). */
const REMEMBERED = 5
const INT32_RANGE = 2 ** 31

interface Remembered { firstSeq: number, lastSeq: number, baseOffset: number }
interface Producer { epoch: number, batches: Remembered[] }

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate', baseOffset: number }
  | { kind: 'error', errorCode: number }

function lastSequence (b: BatchInfo): number {
  return (b.baseSequence + b.lastOffsetDelta) % INT32_RANGE
}

/**
 * Idempotent-producer state of one partition: per producer id, its epoch and its last few
 * batches. A retried batch is recognised by its sequence numbers and not written twice.
 * The decision is pure; `record` updates the state after a batch is actually appended.
 */
export class ProducerState {
  #producers = new Map<number, Producer>()

  check (b: BatchInfo): SequenceCheck {
    if (b.producerId < 0) return { kind: 'append' }
    const p = this.#producers.get(b.producerId)
    // Unknown producer (new, or its state aged out of the log): accept, as Kafka does since KIP-360.
    if (p === undefined) return { kind: 'append' }
    if (b.producerEpoch < p.epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH }
    if (b.producerEpoch > p.epoch) {
      return b.baseSequence === 0 ? { kind: 'append' } : { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }
    }
    const last = lastSequence(b)
    const dup = p.batches.find(x => x.firstSeq === b.baseSequence && x.lastSeq === last)
    if (dup !== undefined) return { kind: 'duplicate', baseOffset: dup.baseOffset }
    const latest = p.batches[p.batches.length - 1]
    const expected = latest === undefined ? b.baseSequence : (latest.lastSeq + 1) % INT32_RANGE
    if (b.baseSequence !== expected) return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER }
    return { kind: 'append' }
  }

  /**
   * Remembers an appended batch (baseOffset already assigned). A transaction marker carries no
   * sequence, only the epoch it was written with: one the coordinator bumped (a fenced or timed
   * out producer) makes the older epoch's batches INVALID_PRODUCER_EPOCH from then on.
   */
  record (b: BatchInfo, baseOffset: number): void {
    if (b.producerId < 0) return
    let p = this.#producers.get(b.producerId)
    if ((b.attributes & CONTROL_FLAG) !== 0) {
      if (p === undefined || b.producerEpoch > p.epoch) this.#producers.set(b.producerId, { epoch: b.producerEpoch, batches: [] })
      return
    }
    if (p === undefined || b.producerEpoch > p.epoch) {
      p = { epoch: b.producerEpoch, batches: [] }
      this.#producers.set(b.producerId, p)
    }
    p.batches.push({ firstSeq: b.baseSequence, lastSeq: lastSequence(b), baseOffset })
    if (p.batches.length > REMEMBERED) p.batches.shift()
  }
}
