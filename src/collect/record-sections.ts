// The records of one batch being filled, written straight into Kafka's record format per
// partition (the records section of a RecordBatch), and turned into RecordBatches when sent.
// Writing bytes as lines are read, instead of an object and a string per record handed to a
// client that encodes them again, is what makes the collector fast (bench/RESULTS.md).
//
// A record: length varint | attributes 0 | timestampDelta varlong | offsetDelta varint |
// key -1 | value length varint | value | 0 headers (KIP-98 record format, magic 2).
import { JsonBytes } from './json-bytes.js'
import { compressRecords, updateCrc, writeInt64, HEADER_SIZE, LOG_OVERHEAD, CODEC_NAMES } from '../protocol/record-batch/index.js'

const INITIAL_BYTES = 64 * 1024

// Section buffers are reused from batch to batch: allocating (and collecting) a megabyte or
// more of buffers per batch kept the garbage collector busy for a quarter of the time.
const pool: Buffer[] = []
const POOL_MAX = 64

function take (bytes: number): Buffer {
  // The largest there is: a section that starts in a batch-sized buffer never grows (and copies).
  let best = -1
  for (let i = 0; i < pool.length; i++) if (pool[i].length >= bytes && (best < 0 || pool[i].length > pool[best].length)) best = i
  if (best >= 0) return pool.splice(best, 1)[0]
  return Buffer.allocUnsafeSlow(Math.max(bytes, INITIAL_BYTES))
}

function give (buf: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(buf)
}

// The parts of the envelope around a CRI line's fields; the same bytes JSON.stringify writes
// for envelope() (collect/envelope.ts): {"time":…,"stream":…,"log":…,"kubernetes":…}.
const TIME_OPEN = Buffer.from('{"time":"')
const STDOUT = Buffer.from('","stream":"stdout","log":"')
const STDERR = Buffer.from('","stream":"stderr","log":"')
const QUOTE = 0x22
const CLOSE = 0x7d // }
const json = new JsonBytes()

class Section {
  buf = take(INITIAL_BYTES)
  // The batch header's room comes first: uncompressed, the section becomes the batch in place.
  pos = HEADER_SIZE
  count = 0
  base = 0
  max = 0

  /** Room for `n` more bytes. */
  ensure (n: number): void {
    if (this.pos + n <= this.buf.length) return
    const bigger = take(Math.max(this.buf.length * 2, this.pos + n))
    this.buf.copy(bigger, 0, 0, this.pos)
    give(this.buf)
    this.buf = bigger
  }

  /** Writes a record's header for a value of `valueBytes`; the value goes right after. */
  head (timestamp: number, valueBytes: number): void {
    if (this.count === 0) { this.base = timestamp; this.max = timestamp }
    else if (timestamp > this.max) this.max = timestamp
    const delta = timestamp - this.base
    const body = 1 + varintSize(zigzag(delta)) + varintSize(zigzag(this.count)) + 1 + varintSize(zigzag(valueBytes)) + valueBytes + 1
    this.ensure(body + 5)
    const b = this.buf
    let p = writeVarint(b, this.pos, zigzag(body))
    b[p++] = 0 // attributes
    p = writeVarint(b, p, zigzag(delta))
    p = writeVarint(b, p, zigzag(this.count))
    b[p++] = 1 // key: null (-1)
    p = writeVarint(b, p, zigzag(valueBytes))
    this.pos = p
    this.count++
  }
}

export class RecordSections {
  readonly #sections = new Map<number, Section>()
  /** Bytes written (record headers included). */
  bytes = 0
  records = 0

  #lastPartition = -1
  #last: Section | null = null

  #section (partition: number): Section {
    if (partition === this.#lastPartition) return this.#last!
    let s = this.#sections.get(partition)
    if (s === undefined) this.#sections.set(partition, s = new Section())
    this.#lastPartition = partition
    this.#last = s
    return s
  }

  /** A record whose value is `value` (a JSON document); returns the bytes it took. */
  add (partition: number, timestamp: number, value: string): number {
    const s = this.#section(partition)
    const start = s.pos
    const n = Buffer.byteLength(value)
    s.head(timestamp, n)
    s.pos += s.buf.write(value, s.pos, 'utf8')
    s.buf[s.pos++] = 0 // no headers
    return this.#added(s.pos - start)
  }

  /**
   * A CRI line's envelope written from the file's bytes: the time as it is in `src` (it holds no
   * character JSON escapes), the stream, the message [msgStart, msgEnd) escaped as a JSON string
   * (valid UTF-8: json-bytes.ts), and the file's `kubernetes` member (`,"kubernetes":{…}` or empty).
   */
  addCri (partition: number, timestamp: number, src: Buffer, timeStart: number, timeEnd: number, stderr: boolean, msgStart: number, msgEnd: number, kubernetes: Buffer): number {
    const s = this.#section(partition)
    const start = s.pos
    const n = criValueBytes(src, timeStart, timeEnd, msgStart, msgEnd, kubernetes)
    s.head(timestamp, n)
    const b = s.buf
    let p = s.pos
    b.set(TIME_OPEN, p)
    p += TIME_OPEN.length
    // The line from its timestamp to its end in one copy; the message then moves on to make
    // room for `","stream":…,"log":"` where ` stdout F ` was, escaped as it goes: one copy of
    // the line's bytes instead of one per part (per call, copying costs more than the bytes).
    const middle = stderr ? STDERR : STDOUT
    json.copy(src, timeStart, msgEnd, b, p)
    const mid = p + (timeEnd - timeStart)
    p = json.escapeInPlace(b, mid + (msgStart - timeEnd), middle.length - (msgStart - timeEnd))
    b.set(middle, mid)
    b[p++] = QUOTE
    b.set(kubernetes, p)
    p += kubernetes.length
    b[p++] = CLOSE
    b[p++] = 0 // no headers
    s.pos = p
    return this.#added(p - start)
  }

  #added (n: number): number {
    this.bytes += n
    this.records++
    return n
  }

  /** Section buffers that became batches (uncompressed): back to the pool after `release`. */
  readonly #held: Buffer[] = []

  /**
   * One RecordBatch per partition, compressed with `codec` (a CODEC_NAMES index), CRC set.
   * Uncompressed batches are the sections' own buffers: call `release` once they are sent.
   */
  build (codec: number): Map<number, Buffer> {
    if (codec < 0 || codec >= CODEC_NAMES.length) throw new Error(`unknown codec ${codec}`)
    const out = new Map<number, Buffer>()
    for (const [partition, s] of this.#sections) {
      if (s.count === 0) continue
      let batch: Buffer
      if (codec === 0) {
        batch = s.buf.subarray(0, s.pos)
        this.#held.push(s.buf)
      } else {
        const payload = compressRecords(codec, s.buf.subarray(HEADER_SIZE, s.pos))
        batch = Buffer.allocUnsafe(HEADER_SIZE + payload.length)
        payload.copy(batch, HEADER_SIZE)
        give(s.buf)
      }
      writeInt64(batch, 0, 0) // baseOffset: the broker assigns it
      batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8)
      batch.writeInt32BE(-1, 12) // partitionLeaderEpoch
      batch.writeInt8(2, 16) // magic
      batch.writeUInt32BE(0, 17) // crc, below
      batch.writeInt16BE(codec, 21) // attributes: codec, create time, not transactional
      batch.writeInt32BE(s.count - 1, 23) // lastOffsetDelta
      writeInt64(batch, 27, s.base)
      writeInt64(batch, 35, s.max)
      writeInt64(batch, 43, -1) // producerId
      batch.writeInt16BE(-1, 51) // producerEpoch
      batch.writeInt32BE(-1, 53) // baseSequence
      batch.writeInt32BE(s.count, 57)
      updateCrc(batch, 0, batch.length)
      out.set(partition, batch)
    }
    for (const s of this.#sections.values()) if (s.count === 0) give(s.buf)
    this.#sections.clear()
    this.#lastPartition = -1
    this.#last = null
    return out
  }

  /** The built batches are no longer needed (stored): their buffers serve later sections. */
  release (): void {
    for (const buf of this.#held.splice(0)) give(buf)
  }
}

/** Bytes of the value addCri writes for these fields. */
export function criValueBytes (src: Buffer, timeStart: number, timeEnd: number, msgStart: number, msgEnd: number, kubernetes: Buffer): number {
  // The message's quotes are in its measure; STDOUT holds the first.
  return TIME_OPEN.length + (timeEnd - timeStart) + STDOUT.length - 1 + json.measure(src, msgStart, msgEnd) + kubernetes.length + 1
}

function zigzag (n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1
}

function varintSize (z: number): number {
  if (z < 128) return 1
  if (z < 16384) return 2
  let size = 1
  while (z >= 128) { z = Math.floor(z / 128); size++ }
  return size
}

/** Writes the (already zigzagged, non-negative) value as an unsigned varint; returns the end. */
function writeVarint (b: Buffer, p: number, z: number): number {
  // Lengths and deltas mostly fit 31 bits, where shifts do what divisions do for larger ones.
  if (z < 0x80000000) {
    while (z >= 128) { b[p++] = (z & 0x7f) | 0x80; z >>>= 7 }
    b[p++] = z
    return p
  }
  while (z >= 128) {
    b[p++] = (z % 128) | 0x80
    z = Math.floor(z / 128)
  }
  b[p++] = z
  return p
}
