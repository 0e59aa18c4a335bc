// The five codecs of a RecordBatch's records section (attributes bits 0-2).
// - gzip: node:zlib.
// - snappy and lz4: WebAssembly (wasm-codecs.ts; no native build); Java clients' xerial-framed
//   snappy is unframed here (librdkafka writes raw snappy but reads both).
// - zstd: read on every supported Node (zstd.ts: node:zlib, else WebAssembly, else fzstd).
//   Compressing zstd needs node:zlib's.
import zlib from 'node:zlib'
import { isTransient as isLz4SnappyView, lz4Compress, lz4DecompressView, snappyCompress, snappyDecompressView } from './wasm-codecs.js'
import { isZstdView, prepareZstd, zstdDecompress, zstdDecompressView } from './zstd.js'

export { prepareZstd, zstdDecompress }

/** Whether `buf` is a view of a decoder's memory, which the next decompression may overwrite. */
export function isTransient (buf: Uint8Array): boolean { return isLz4SnappyView(buf) || isZstdView(buf) }

export const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
export type CodecName = typeof CODEC_NAMES[number]

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER = 16

type ZstdZlib = typeof zlib & { zstdDecompressSync?: (b: Buffer) => Buffer, zstdCompressSync?: (b: Buffer) => Buffer }
const nodeZstdCompress = (zlib as ZstdZlib).zstdCompressSync

export class CompressionError extends Error {}

/** Whether this Node can write zstd batches (reading works everywhere). */
export const canCompressZstd = typeof nodeZstdCompress === 'function'

/** The decompressed records section in a Buffer of its own; throws CompressionError naming the codec and the problem. */
export function decompressRecords (codec: number, data: Buffer): Buffer {
  const section = decompressRecordsTransient(codec, data)
  return isTransient(section) ? Buffer.from(section) : section
}

/**
 * The decompressed records section, possibly as a view that the next decompression (of any
 * batch) invalidates: for a reader that walks the section at once and copies what it keeps.
 * Throws CompressionError naming the codec and the problem.
 */
export function decompressRecordsTransient (codec: number, data: Buffer): Buffer {
  try {
    switch (codec) {
      case 0: return data
      case 1: return zlib.gunzipSync(data)
      case 2: return isXerial(data) ? unframeXerial(data) : snappyDecompressView(data)
      case 3: return lz4DecompressView(data)
      case 4: return zstdDecompressView(data)
    }
  } catch (err) {
    throw new CompressionError(`cannot decompress ${CODEC_NAMES[codec]} records: ${(err as Error).message}`)
  }
  throw new CompressionError(`unknown compression codec ${codec} (attributes bits 0-2; Kafka defines 0-4)`)
}

/** Compresses a records section with `codec` (gzip at `gzipLevel`, -1 for zlib's default). */
export function compressRecords (codec: number, data: Buffer, gzipLevel = -1): Buffer {
  switch (codec) {
    case 0: return data
    case 1: return zlib.gzipSync(data, { level: gzipLevel })
    case 2: return snappyCompress(data)
    case 3: return lz4Compress(data)
    case 4:
      if (nodeZstdCompress === undefined) throw new CompressionError(`zstd compression needs Node.js 22.15 or later (this is ${process.version}); use lz4 or gzip`)
      return nodeZstdCompress(data)
  }
  throw new CompressionError(`unknown compression codec ${codec}`)
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
    parts.push(Buffer.from(snappyDecompressView(data.subarray(pos, pos + length))))
    pos += length
  }
  return Buffer.concat(parts)
}
