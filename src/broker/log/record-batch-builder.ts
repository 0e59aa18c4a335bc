import { crc32c } from '@node-rs/crc32'
import { Writer } from '../protocol/writer.js'

export interface BatchRecord { key?: string | null, value: string | null, timestamp?: number, headers?: [string, string][] }
export interface BatchOptions { baseOffset?: number, producerId?: number, producerEpoch?: number, baseSequence?: number, timestamp?: number }

/**
 * Builds an uncompressed RecordBatch (magic 2) the way a producer does, CRC-32C included: for
 * HTTP ingest, which appends without a Kafka client, and for tests that need exact bytes.
 */
export function buildBatch (records: BatchRecord[], opts: BatchOptions = {}): Buffer {
  const base = opts.timestamp ?? records[0]?.timestamp ?? Date.now()
  const body = new Writer()
  let maxTimestamp = base
  records.forEach((r, i) => {
    const ts = r.timestamp ?? base
    maxTimestamp = Math.max(maxTimestamp, ts)
    const rec = new Writer()
    rec.writeInt8(0)
    rec.writeVarlong(ts - base)
    rec.writeVarint(i)
    const bytes = (s: string | null | undefined): void => {
      if (s === null || s === undefined) { rec.writeVarint(-1); return }
      const b = Buffer.from(s)
      rec.writeVarint(b.length)
      rec.writeRaw(b)
    }
    bytes(r.key)
    bytes(r.value)
    rec.writeVarint(r.headers?.length ?? 0)
    for (const [k, v] of r.headers ?? []) { bytes(k); bytes(v) }
    const encoded = rec.toBuffer()
    body.writeVarint(encoded.length)
    body.writeRaw(encoded)
  })
  const recordsBytes = body.toBuffer()
  const afterCrc = new Writer()
  afterCrc.writeInt16(0) // attributes: no compression, CreateTime
  afterCrc.writeInt32(records.length - 1)
  afterCrc.writeInt64(base)
  afterCrc.writeInt64(maxTimestamp)
  afterCrc.writeInt64(opts.producerId ?? -1)
  afterCrc.writeInt16(opts.producerEpoch ?? -1)
  afterCrc.writeInt32(opts.baseSequence ?? -1)
  afterCrc.writeInt32(records.length)
  afterCrc.writeRaw(recordsBytes)
  const tail = afterCrc.toBuffer()
  const head = Buffer.alloc(21)
  head.writeBigInt64BE(BigInt(opts.baseOffset ?? 0), 0)
  head.writeInt32BE(9 + tail.length, 8) // batchLength: everything after this field
  head.writeInt32BE(-1, 12) // partitionLeaderEpoch
  head.writeInt8(2, 16) // magic
  head.writeUInt32BE(crc32c(tail), 17)
  return Buffer.concat([head, tail])
}

/** The values of the records in uncompressed batches (for checking what a read returned). */
export function batchValues (buf: Buffer): string[] {
  const out: string[] = []
  let pos = 0
  while (pos + 61 <= buf.length) {
    const size = buf.readInt32BE(pos + 8) + 12
    const count = buf.readInt32BE(pos + 57)
    let at = pos + 61
    const varint = (): number => {
      let result = 0
      let shift = 0
      for (;;) {
        const b = buf[at++]
        result += (b & 0x7f) * 2 ** shift
        if ((b & 0x80) === 0) break
        shift += 7
      }
      return result % 2 === 0 ? result / 2 : -(result + 1) / 2
    }
    for (let i = 0; i < count; i++) {
      varint() // length
      at++ // attributes
      varint() // timestamp delta
      varint() // offset delta
      const k = varint()
      if (k > 0) at += k
      const v = varint()
      out.push(v < 0 ? '' : buf.toString('utf8', at, at + v))
      if (v > 0) at += v
      const headers = varint()
      for (let h = 0; h < headers; h++) {
        const hk = varint(); at += Math.max(0, hk)
        const hv = varint(); at += Math.max(0, hv)
      }
    }
    pos += size
  }
  return out
}
