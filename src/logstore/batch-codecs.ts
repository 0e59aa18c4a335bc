// Decompression of a RecordBatch's records section. The broker stores batches exactly as
// producers sent them and does not look at the codec, so any of Kafka's five can be on disk.
// - gzip: node:zlib.
// - snappy and lz4: the WASM codecs @platformatic/kafka already ships (no native build). This is
//   the one place outside src/kafka that imports that package, and only for these pure
//   functions; the Kafka client interface is untouched.
// - zstd: node:zlib has it only from Node 22.15/23.8; on older Node the batch is reported as
//   skipped, never guessed at.
import zlib from 'node:zlib'
import { compressionsAlgorithms } from '@platformatic/kafka'

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

// Java clients (snappy-java) frame snappy data: this magic, two int32 versions, then
// [int32 length, raw snappy block] chunks. librdkafka writes raw snappy but reads both.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER = 16

type ZstdZlib = typeof zlib & { zstdDecompressSync?: (b: Buffer) => Buffer }

/** The decompressed bytes, or why they cannot be had (an unsupported or unknown codec). */
export function decompressRecords (codec: number, data: Buffer): Buffer | { unsupported: string } {
  switch (codec) {
    case 0: return data
    case 1: return zlib.gunzipSync(data)
    case 2: return isXerial(data) ? unframeXerial(data) : compressionsAlgorithms.snappy.decompressSync(data)
    case 3: return compressionsAlgorithms.lz4.decompressSync(data)
    case 4: {
      const zstd = (zlib as ZstdZlib).zstdDecompressSync
      if (typeof zstd !== 'function') return { unsupported: `zstd-compressed batch skipped: this Node.js (${process.version}) has no zstd in node:zlib (needs 22.15+)` }
      return zstd(data)
    }
    default: return { unsupported: `batch skipped: unknown compression codec ${codec}` }
  }
}

function isXerial (data: Buffer): boolean {
  return data.length >= XERIAL_HEADER && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)
}

function unframeXerial (data: Buffer): Buffer {
  const parts: Buffer[] = []
  let pos = XERIAL_HEADER
  while (pos + 4 <= data.length) {
    const length = data.readInt32BE(pos)
    pos += 4
    if (length < 0 || pos + length > data.length) throw new Error('truncated xerial snappy chunk')
    parts.push(compressionsAlgorithms.snappy.decompressSync(data.subarray(pos, pos + length)))
    pos += length
  }
  return Buffer.concat(parts)
}
