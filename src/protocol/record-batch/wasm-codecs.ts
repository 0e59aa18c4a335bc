// lz4 (frame) and snappy (raw) in WebAssembly: the module @platformatic/wasm-utils ships
// (lz4_flex and snap, no native build), instantiated here instead of through that package's
// JavaScript functions. Those copy every output out of WebAssembly memory into a new Buffer.
// For a consumer that is most of the cost: a 600 KB records section decoded in ~380 µs took
// ~650 µs with the copy, and each copy was a fresh 600 KB allocation for the garbage collector
// (measured in docs/architecture.md, "Decision: the decoders of compressed batches"). Here a
// reader can take the output as a view of WebAssembly memory, walk it, and copy only the
// records it keeps.
//
// A view is valid until the next call into this module: that call frees the output before it
// (and may grow the memory, which detaches every view). Everything runs on one thread and every
// call is synchronous, so a caller that finishes with a view before calling again is safe.
//
// Malformed input makes the module trap (a RuntimeError "unreachable"); the instance stays usable.
import fs from 'node:fs'

interface Exports {
  memory: { buffer: ArrayBuffer }
  alloc: (len: number) => number
  dealloc: (ptr: number, len: number) => void
  lz4_compress: (ptr: number, len: number) => bigint
  lz4_decompress: (ptr: number, len: number) => bigint
  snappy_compress: (ptr: number, len: number) => bigint
  snappy_decompress: (ptr: number, len: number) => bigint
}

// Node's WebAssembly global (the compiler's lib here has no DOM/WebAssembly types).
const { Module, Instance } = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object, Instance: new (module: object) => { exports: unknown } } }).WebAssembly
const wasm = new Instance(new Module(fs.readFileSync(new URL('native.wasm', import.meta.resolve('@platformatic/wasm-utils'))))).exports as Exports

/** The input area, reused and grown as needed. */
let inPtr = wasm.alloc(64 * 1024)
let inLen = 64 * 1024
/** The last output handed out as a view, freed by the next call. */
let outPtr = 0
let outLen = 0

function run (fn: (ptr: number, len: number) => bigint, input: Uint8Array): Buffer {
  // The last output itself (compressing a section just decompressed): it is freed, and the
  // memory may grow, before it is read.
  const data = input.buffer === wasm.memory.buffer ? Buffer.from(input) : input
  if (outLen > 0) { wasm.dealloc(outPtr, outLen); outLen = 0 }
  if (data.length > inLen) {
    wasm.dealloc(inPtr, inLen)
    inLen = Math.max(data.length, inLen * 2)
    inPtr = wasm.alloc(inLen)
  }
  new Uint8Array(wasm.memory.buffer, inPtr, data.length).set(data)
  const combined = fn(inPtr, data.length)
  outLen = Number(BigInt.asUintN(32, combined))
  outPtr = Number(combined >> 32n)
  return Buffer.from(wasm.memory.buffer, outPtr, outLen)
}

/** Whether `buf` is a view into this module's memory (valid only until the next call). */
export function isTransient (buf: Uint8Array): boolean { return buf.buffer === wasm.memory.buffer }

/** An lz4 frame's content, as a view valid until the next call into this module. */
export function lz4DecompressView (data: Uint8Array): Buffer { return run(wasm.lz4_decompress, data) }

/** A raw snappy block's content, as a view valid until the next call into this module. */
export function snappyDecompressView (data: Uint8Array): Buffer { return run(wasm.snappy_decompress, data) }

/** `data` as an lz4 frame, in a Buffer of its own. */
export function lz4Compress (data: Uint8Array): Buffer { return Buffer.from(run(wasm.lz4_compress, data)) }

/** `data` as a raw snappy block, in a Buffer of its own. */
export function snappyCompress (data: Uint8Array): Buffer { return Buffer.from(run(wasm.snappy_compress, data)) }
