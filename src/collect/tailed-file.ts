// One open log file: reads from a position, splits lines, hands them to its decoder. Identity
// (device, inode, fingerprint) is fixed while it is open; the path it is reached under may
// change (rename) or point elsewhere (rotation, a symlink retargeted), which the watcher tells
// it. Reads are synchronous and bounded per call (page-cache reads of at most `chunkBytes`),
// so many files share one thread fairly.
import fs from 'node:fs'
import { createHash } from 'node:crypto'
import { isUtf8 } from 'node:buffer'
import { FileDecoder, type Entry } from './decoder.js'
import { detectFormat, type Format, type FormatOption } from './formats.js'
import type { MultilineMode } from './multiline.js'
import type { KubernetesMeta } from './kubernetes.js'
import { CriLine } from './cri-bytes.js'

/** Bytes of a file's beginning that identify it with its device and inode. */
export const FINGERPRINT_BYTES = 256

export interface TailedFileOptions {
  format: FormatOption
  multiline: MultilineMode | null
  maxLineBytes: number
  chunkBytes: number
  onEntry: (file: TailedFile, e: Entry) => void
  /**
   * A whole CRI line nothing is held for, as bytes (the fast path): [start, end) in `buf`, its
   * fields (valid until the next line), and the offset to resume from once it is stored.
   * Without it every line goes through the decoder.
   */
  onCriLine?: (file: TailedFile, buf: Buffer, start: number, end: number, cri: CriLine, resume: number) => void
  onInvalidUtf8: () => void
  /** Shared by the agent's files: physical lines read. */
  counters: { lines: number }
}

export class TailedFile {
  path: string
  readonly dev: number
  readonly ino: number
  readonly meta: KubernetesMeta | null
  fp: string
  fpLength: number
  /** When it stopped being reachable under a watched path (rotated away, deleted); else null. */
  orphanedAt: number | null = null
  /** Last time bytes were read, for the multiline idle flush. */
  lastReadAt = 0
  lines = 0
  readonly #fd: number
  readonly #o: TailedFileOptions
  #decoder: FileDecoder | null = null
  #buf: Buffer
  #bufStart: number // file offset of #buf[0]
  #filled = 0
  #continuing = false
  #closed = false
  readonly #cri = new CriLine()

  constructor (path: string, fd: number, st: fs.Stats, offset: number, meta: KubernetesMeta | null, o: TailedFileOptions) {
    this.path = path
    this.#fd = fd
    this.dev = st.dev
    this.ino = st.ino
    this.meta = meta
    this.#o = o
    this.#buf = Buffer.allocUnsafe(o.chunkBytes)
    this.#bufStart = offset
    const fp = fingerprint(fd, st.size)
    this.fp = fp.hash
    this.fpLength = fp.length
  }

  /** Where reading starts (a checkpoint's offset); call before the first read. */
  seek (offset: number): void {
    this.#bufStart = offset
    this.#filled = 0
  }

  static fingerprintOf (fd: number, length: number): string { return fingerprint(fd, length).hash }

  /** Next byte offset to be read. */
  get position (): number { return this.#bufStart + this.#filled }

  get closed (): boolean { return this.#closed }

  size (): number { return fs.fstatSync(this.#fd).size }

  get format (): Format | null { return this.#decoder?.format ?? null }

  /**
   * Reads at most `maxBytes` more, handing complete lines on. Returns the bytes read (0 at the
   * end of the file). Detects truncation (copytruncate): the file shrank below the position, or
   * its first bytes changed, and it is then read again from 0.
   */
  read (now: number, maxBytes: number): number {
    if (this.#closed) return 0
    const st = fs.fstatSync(this.#fd)
    if (st.size < this.position || (this.fpLength > 0 && st.size >= this.fpLength && fingerprint(this.#fd, this.fpLength).hash !== this.fp)) {
      this.#truncated(st.size)
    } else if (this.fpLength < FINGERPRINT_BYTES && st.size > this.fpLength) {
      // Grown since it was fingerprinted: the longer fingerprint is the better identity.
      const fp = fingerprint(this.#fd, st.size)
      this.fp = fp.hash
      this.fpLength = fp.length
    }
    if (st.size <= this.position) return 0
    let room = this.#buf.length - this.#filled
    if (room === 0) {
      // A line longer than the buffer and shorter than the limit: grow (up to the limit).
      const bigger = Buffer.allocUnsafe(Math.min(this.#buf.length * 2, this.#o.maxLineBytes + this.#o.chunkBytes))
      this.#buf.copy(bigger, 0, 0, this.#filled)
      this.#buf = bigger
      room = bigger.length - this.#filled
    }
    const n = fs.readSync(this.#fd, this.#buf, this.#filled, Math.min(room, maxBytes), this.position)
    if (n <= 0) return 0
    this.#filled += n
    this.lastReadAt = now
    this.#scan(now, this.#filled - n, false)
    return n
  }

  #truncated (size: number): void {
    this.#decoder?.flushAll()
    this.#bufStart = 0
    this.#filled = 0
    this.#continuing = false
    const fp = fingerprint(this.#fd, size)
    this.fp = fp.hash
    this.fpLength = fp.length
    this.generation++
  }

  /** Incremented at each truncation: positions of an earlier generation no longer apply. */
  generation = 0

  // Complete lines in #buf go to the decoder; the incomplete rest moves to the buffer's start.
  #scan (now: number, from: number, atEnd: boolean): void {
    const buf = this.#buf
    const end = this.#filled
    // The complete lines, the one carried from the last read included, checked at once; up to
    // the last newline, so a read that ends inside a character does not count as invalid.
    const lastNl = buf.lastIndexOf(10, end - 1)
    const valid = lastNl >= from && isUtf8(buf.subarray(0, lastNl + 1))
    let lineStart = 0
    const max = this.#o.maxLineBytes
    for (;;) {
      const nl = buf.indexOf(10, Math.max(lineStart, from))
      if (nl < 0 || nl >= end) break
      // A whole line over the limit (read at once, when chunks exceed it) is cut as below.
      while (nl - lineStart > max) {
        const cut = cutPoint(buf, lineStart, lineStart + max)
        this.#line(buf, lineStart, cut, cut - lineStart, now, true, false)
        lineStart = cut
      }
      this.#line(buf, lineStart, nl, nl + 1 - lineStart, now, false, valid)
      lineStart = nl + 1
    }
    let rest = end - lineStart
    while (rest >= this.#o.maxLineBytes || (atEnd && rest > 0)) {
      // Over the limit (or the file's final line without a newline): cut at a character boundary.
      const cut = atEnd && rest < this.#o.maxLineBytes ? end : cutPoint(buf, lineStart, lineStart + this.#o.maxLineBytes)
      this.#line(buf, lineStart, cut, cut - lineStart, now, !atEnd || cut < end, false)
      lineStart = cut
      rest = end - lineStart
    }
    if (lineStart > 0) {
      buf.copy(buf, 0, lineStart, end)
      this.#bufStart += lineStart
      this.#filled = end - lineStart
    }
  }

  #line (buf: Buffer, start: number, end: number, bytes: number, now: number, cut: boolean, knownValid: boolean): void {
    this.#o.counters.lines++
    const d = this.#decoder
    if (knownValid && !cut && !this.#continuing && d !== null && d.format === 'cri' && this.#o.multiline === null && this.#o.onCriLine !== undefined && !d.holding) {
      if (this.#cri.parse(buf, start, end)) { this.lines++; this.#o.onCriLine(this, buf, start, end, this.#cri, this.#bufStart + start + bytes); return }
    }
    if (!knownValid && !isUtf8(buf.subarray(start, end))) this.#o.onInvalidUtf8()
    const text = buf.toString('utf8', start, end)
    if (this.#decoder === null) {
      const format = this.#o.format === 'auto' ? detectFormat(text) : this.#o.format
      this.#decoder = new FileDecoder({ format, multiline: this.#o.multiline, maxBytes: this.#o.maxLineBytes, emit: e => this.#o.onEntry(this, e) })
    }
    this.lines++
    const continued = this.#continuing
    this.#continuing = cut
    this.#decoder.line(text, this.#bufStart + start, bytes, now, cut, continued)
  }

  /** Emits multiline records idle for `idleMs` while nothing more is being written. */
  flushIdle (now: number, idleMs: number): void {
    if (now - this.lastReadAt >= idleMs) this.#decoder?.flushIdle(now, idleMs)
  }

  /** True while lines are held waiting for more (a partial line, an open multiline record). */
  get holding (): boolean { return this.#filled > 0 || (this.#decoder?.holding ?? false) }

  /** The file will not grow any more (rotated away and drained): emit what is held, close. */
  finish (now: number): void {
    if (this.#closed) return
    if (this.#filled > 0) this.#scan(now, this.#filled, true)
    this.#decoder?.flushAll()
    this.close()
  }

  close (): void {
    if (this.#closed) return
    this.#closed = true
    fs.closeSync(this.#fd)
  }
}

/** Where to cut [start, limit): at `limit`, moved back to a UTF-8 character boundary. */
function cutPoint (buf: Buffer, start: number, limit: number): number {
  let cut = limit
  while (cut > start && (buf[cut] & 0xc0) === 0x80) cut--
  return cut === start ? limit : cut // not UTF-8 at all
}

/** SHA-256 of the first min(size, FINGERPRINT_BYTES) bytes. */
export function fingerprint (fd: number, size: number): { hash: string, length: number } {
  const length = Math.min(size, FINGERPRINT_BYTES)
  const buf = Buffer.alloc(length)
  const n = length === 0 ? 0 : fs.readSync(fd, buf, 0, length, 0)
  return { hash: createHash('sha256').update(buf.subarray(0, n)).digest('hex'), length: n }
}
