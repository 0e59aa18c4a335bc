// Reading zstd records sections (codec 4), on every supported Node:
// - node:zlib's zstd (libzstd, native) where Node has it (22.15+ / 23.8+);
// - else libzstd built to WebAssembly, the module zstddec ships: 6-10x faster than fzstd
//   (docs/architecture.md, "Consumption"). It is called directly rather than through zstddec's
//   decode(), which copies every output out of WebAssembly memory into a new array and mallocs
//   and frees both areas per call: for a consumer that copy and its garbage were a third of the
//   decoder's cost. Here the input and output areas are kept and reused, and the output can be
//   read as a view (zstdDecompressView), valid until the next call, as wasm-codecs.ts does for
//   lz4 and snappy. libzstd's one-shot decoder needs an output size, which the frames librdkafka
//   and Java clients write do not carry (no Frame_Content_Size), so an upper bound is read from
//   the frames' block headers (RFC 8878), as libzstd's ZSTD_decompressBound does. (zstddec's
//   streaming decoder, which needs no size, loops forever on corrupt input.) The same bound
//   sizes node:zlib's output, which is then one buffer instead of 16 KiB chunks joined (~1.5x).
// - fzstd (pure JavaScript) for the rest: the batches a process reads while the WebAssembly
//   module compiles (asynchronous: a consumer starts it when it starts, anything else with its
//   first zstd batch), a section whose bound is above MAX_BOUND, and any the WebAssembly decoder
//   refuses — so corrupt data fails with fzstd's message, and the faster decoder can only ever be
//   a shortcut to the same result.
import zlib from 'node:zlib'
import { decompress as fzstdDecompress } from 'fzstd'
import { ZSTDDecoder } from 'zstddec'

type ZstdZlib = typeof zlib & { zstdDecompressSync?: (b: Buffer, options?: zlib.ZlibOptions) => Buffer }
const nodeZstdDecompress = (zlib as ZstdZlib).zstdDecompressSync

/**
 * The largest decoded-size bound allocated at once for a section: in WebAssembly memory, which
 * grows to the largest section decoded and is not given back, or as node:zlib's output buffer.
 * 16 MiB is 16 times librdkafka's default batch.size (1,000,000 bytes before compression).
 * Larger sections still decode: with fzstd, or node:zlib in its default 16 KiB chunks.
 */
export const MAX_BOUND = 16 * 1024 * 1024
// node:zlib's smallest output chunk.
const MIN_CHUNK = 64

const FRAME_MAGIC = 0xfd2fb528
const SKIPPABLE_MAGIC = 0x184d2a50 // 0x184D2A50-5F: skippable frames (upper 28 bits)
const BLOCK_MAX = 128 * 1024
const DICT_ID_BYTES = [0, 1, 2, 4]

/** The exports of zstddec's module this file calls (emscripten's malloc/free, libzstd's API). */
interface ZstdExports {
  memory: { buffer: ArrayBuffer }
  malloc: (size: number) => number
  free: (ptr: number) => void
  ZSTD_decompress: (dst: number, dstCapacity: number, src: number, srcSize: number) => number
  ZSTD_isError: (code: number) => number
}

let wasm: ZstdExports | null = null
let loading: Promise<boolean> | null = null
/** The input and output areas in WebAssembly memory, kept between calls and grown as needed. */
let inPtr = 0
let inCap = 0
let outPtr = 0
let outCap = 0

/**
 * Compiles the WebAssembly decoder (once); resolves false where it cannot be loaded. zstddec
 * keeps its instance to itself; its (typed) `_init` receives it, so it is taken from there.
 */
export async function loadZstdWasm (): Promise<boolean> {
  loading ??= (async () => {
    const decoder = new ZSTDDecoder()
    let exports: ZstdExports | null = null
    decoder._init = result => {
      exports = result.instance.exports as unknown as ZstdExports
      ZSTDDecoder.prototype._init.call(decoder, result)
    }
    await decoder.init()
    if (exports === null) return false // another copy of zstddec initialised first
    wasm = exports
    return true
  })().catch(() => false)
  return await loading
}

/** Starts compiling the WebAssembly decoder where node:zlib has no zstd (a consumer, at its start). */
export function prepareZstd (): void {
  if (typeof nodeZstdDecompress !== 'function') loadZstdWasm().catch(() => {})
}

export function zstdDecompress (data: Buffer): Buffer {
  const section = zstdDecompressView(data)
  return isZstdView(section) ? Buffer.from(section) : section
}

/**
 * `data` decoded; where the WebAssembly decoder did it, as a view of its memory that the next
 * call into this file invalidates (isZstdView tells).
 */
export function zstdDecompressView (data: Buffer): Buffer {
  if (typeof nodeZstdDecompress === 'function') {
    const bound = zstdDecodedBound(data)
    return bound > 0 && bound <= MAX_BOUND ? nodeZstdDecompress(data, { chunkSize: Math.max(MIN_CHUNK, bound) }) : nodeZstdDecompress(data)
  }
  if (wasm === null) loadZstdWasm().catch(() => {})
  return decodeZstdWasm(data) ?? asBuffer(fzstdDecompress(data))
}

/** Whether `buf` is a view into the WebAssembly decoder's memory (valid only until the next call). */
export function isZstdView (buf: Uint8Array): boolean { return wasm !== null && buf.buffer === wasm.memory.buffer }

/**
 * `data` decoded by the WebAssembly decoder as a view of its memory (valid until the next call),
 * or null when it is not loaded yet, the section's bound is not known or above MAX_BOUND, or
 * the decoder refused the data.
 */
export function decodeZstdWasm (data: Buffer): Buffer | null {
  if (wasm === null) return null
  const bound = zstdDecodedBound(data)
  if (bound <= 0 || bound > MAX_BOUND) return null
  // A view of the last output (decoding a section just decoded) is copied before the areas move.
  const input = data.buffer === wasm.memory.buffer ? Buffer.from(data) : data
  if (input.length > inCap) {
    if (inCap > 0) wasm.free(inPtr)
    inCap = Math.max(input.length, inCap * 2, 64 * 1024)
    inPtr = wasm.malloc(inCap)
  }
  if (bound > outCap) {
    if (outCap > 0) wasm.free(outPtr)
    outCap = bound
    outPtr = wasm.malloc(outCap)
  }
  if (inPtr === 0 || outPtr === 0) {
    // Out of WebAssembly memory: both areas are given back, and fzstd decodes this section.
    if (inPtr !== 0) wasm.free(inPtr)
    if (outPtr !== 0) wasm.free(outPtr)
    inPtr = outPtr = inCap = outCap = 0
    return null
  }
  // Views are made after malloc, which may have grown (and so replaced) the memory's buffer.
  new Uint8Array(wasm.memory.buffer, inPtr, input.length).set(input)
  const size = wasm.ZSTD_decompress(outPtr, outCap, inPtr, input.length)
  if (wasm.ZSTD_isError(size) !== 0) return null
  return Buffer.from(wasm.memory.buffer, outPtr, size >>> 0)
}

/**
 * An upper bound of the decoded size of `data`'s zstd frames, from their block headers (a raw
 * or RLE block gives its size, a compressed one at most min(window, 128 KiB)); -1 when `data` is
 * not a sequence of whole zstd (or skippable) frames.
 */
export function zstdDecodedBound (data: Uint8Array): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const end = data.length
  let bound = 0
  let pos = 0
  while (pos < end) {
    if (pos + 8 > end) return -1
    const magic = view.getUint32(pos, true)
    if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) {
      pos += 8 + view.getUint32(pos + 4, true)
      if (pos > end) return -1
      continue
    }
    if (magic !== FRAME_MAGIC) return -1
    const descriptor = data[pos + 4]
    if ((descriptor & 0x08) !== 0) return -1 // the reserved bit
    const singleSegment = (descriptor & 0x20) !== 0
    const sizeFlag = descriptor >> 6
    let p = pos + 5
    let window = 0
    if (!singleSegment) {
      const w = data[p++]
      const base = 2 ** (10 + (w >> 3))
      window = base + (base / 8) * (w & 7)
    }
    p += DICT_ID_BYTES[descriptor & 3]
    const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag]
    if (p + sizeBytes > end) return -1
    // A single-segment frame's window is its content size.
    if (singleSegment) window = sizeBytes === 1 ? data[p] : sizeBytes === 2 ? view.getUint16(p, true) + 256 : sizeBytes === 4 ? view.getUint32(p, true) : Number(view.getBigUint64(p, true))
    p += sizeBytes
    const blockMax = Math.min(window, BLOCK_MAX)
    for (let last = false; !last;) {
      if (p + 3 > end) return -1
      const header = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16)
      p += 3
      last = (header & 1) !== 0
      const type = (header >> 1) & 3
      const size = header >>> 3
      if (type === 3) return -1
      bound += type === 2 ? blockMax : size
      p += type === 1 ? 1 : size
      if (p > end) return -1
    }
    if ((descriptor & 0x04) !== 0) p += 4 // content checksum
    if (p > end) return -1
    pos = p
  }
  return bound
}

/** A Buffer over the same memory (zstddec and fzstd hand back Uint8Arrays). */
function asBuffer (bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
