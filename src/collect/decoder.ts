// One file's lines → log entries: a line's parts joined (CRI `P` … `F`, docker 16 KiB chunks),
// then consecutive lines of one stream joined by the multiline mode, each stream on its own (a
// stderr line never lands inside a stdout stack trace). Entries longer than `maxBytes` are cut
// into parts, each marked with its part number, so nothing is dropped and no record is huge.
//
// Positions: each entry carries `resume`, the byte offset from which a restart must read again
// so that nothing after this entry is lost: the start of the oldest line still held here (a `P`
// awaiting its `F`, an open stack trace), else the end of what has been read. It never goes
// backwards, so the checkpoint can advance to the `resume` of the last acknowledged entry.
import { parseLine, type Format } from './formats.js'
import type { MultilineMode, OpenRecord } from './multiline.js'

export interface Entry {
  text: string
  stream: string | null
  time: string | null
  /** Where to read again from after a restart, once this entry is stored. */
  resume: number
  /** Set on the parts of an entry cut at maxBytes: part 1, 2, …; `last` on the final one. */
  split?: { part: number, last: boolean }
}

interface Pending {
  texts: string[]
  bytes: number
  time: string | null
  /** File offset of the first line held. */
  start: number
  /** Parts already emitted of this entry (cut at maxBytes). */
  parts: number
}

interface OpenGroup extends Pending, OpenRecord { lastAt: number }

export interface DecoderOptions {
  format: Format
  multiline: MultilineMode | null
  maxBytes: number
  emit: (e: Entry) => void
}

export class FileDecoder {
  readonly #o: DecoderOptions
  // Keyed by stream ('' when the format has none); at most two of each.
  readonly #partials = new Map<string, Pending>()
  readonly #groups = new Map<string, OpenGroup>()
  #readTo = 0

  constructor (o: DecoderOptions) { this.#o = o }

  get format (): Format { return this.#o.format }

  /** True while lines are held (a partial line, an open multiline record). */
  get holding (): boolean { return this.#partials.size > 0 || this.#groups.size > 0 }

  /**
   * One physical line: `bytes` is its length in the file with its newline, `start` its offset.
   * `cut` when the reader cut an over-long line here (more of it follows as `continued` lines).
   */
  line (text: string, start: number, bytes: number, now: number, cut = false, continued = false): void {
    this.#readTo = start + bytes
    let frag
    if (continued) {
      const last = this.#lastContinuation
      frag = { time: last?.time ?? null, stream: last?.stream ?? null, partial: cut, text }
    } else {
      frag = parseLine(this.#o.format, text)
      if (cut) frag.partial = true
    }
    if (cut) this.#lastContinuation = { time: frag.time, stream: frag.stream }
    const key = frag.stream ?? ''
    let p = this.#partials.get(key)
    if (p === undefined && !frag.partial) {
      this.#logical(key, frag.text, frag.time, frag.stream, start, bytes, now)
      return
    }
    if (p === undefined) this.#partials.set(key, p = { texts: [], bytes: 0, time: frag.time, start, parts: 0 })
    if (p.bytes + bytes > this.#o.maxBytes && p.texts.length > 0) {
      // Over the limit: what is held goes out as a part, the rest of the line follows.
      this.#flushGroup(key)
      const text = p.texts.join('')
      p.parts++
      p.texts = []
      p.bytes = 0
      p.start = start
      this.#emit({ text, stream: frag.stream, time: p.time, split: { part: p.parts, last: false } }, start)
    }
    p.texts.push(frag.text)
    p.bytes += bytes
    if (frag.partial) return
    const joined = p.texts.join('')
    if (p.parts > 0) {
      this.#flushGroup(key) // while the line is still held, so its resume stays before it
      this.#partials.delete(key)
      this.#emit({ text: joined, stream: frag.stream, time: p.time, split: { part: p.parts + 1, last: true } })
    } else {
      this.#partials.delete(key)
      this.#logical(key, joined, p.time, frag.stream, p.start, p.bytes, now)
    }
  }

  #lastContinuation: { time: string | null, stream: string | null } | undefined

  // A whole line: into the stream's open multiline record, or out on its own.
  #logical (key: string, text: string, time: string | null, stream: string | null, start: number, bytes: number, now: number): void {
    const mode = this.#o.multiline
    if (mode === null) { this.#emit({ text, stream, time }); return }
    const g = this.#groups.get(key)
    if (g !== undefined && mode.continues(text, g) && g.bytes + bytes <= this.#o.maxBytes) {
      g.texts.push(text)
      g.bytes += bytes
      g.count++
      g.lastAt = now
      return
    }
    if (g !== undefined) {
      this.#groups.delete(key)
      // This line starts the next record: a restart must read it again.
      this.#emit({ text: g.texts.join('\n'), stream: this.#groupStreams.get(key) ?? null, time: g.time }, start)
    }
    const phase = mode.startPhase(text)
    this.#groups.set(key, { texts: [text], bytes, time, start, parts: 0, count: 1, phase, lastAt: now })
    this.#groupStreams.set(key, stream)
  }

  readonly #groupStreams = new Map<string, string | null>()

  #flushGroup (key: string): void {
    const g = this.#groups.get(key)
    if (g === undefined) return
    this.#groups.delete(key)
    this.#emit({ text: g.texts.join('\n'), stream: this.#groupStreams.get(key) ?? null, time: g.time })
  }


  #emit (e: Omit<Entry, 'resume'>, before?: number): void {
    (e as Entry).resume = this.#resume(before)
    this.#o.emit(e as Entry)
  }

  // The oldest byte still held here, else everything read (or `before`, for a part emitted
  // while the line it belongs to is still being read).
  #resume (before?: number): number {
    let min = before ?? this.#readTo
    for (const p of this.#partials.values()) if (p.texts.length > 0 && p.start < min) min = p.start
    for (const g of this.#groups.values()) if (g.start < min) min = g.start
    return min
  }

  /** Emits multiline records idle for `idleMs` (call when the file has nothing more to read). */
  flushIdle (now: number, idleMs: number): void {
    for (const [key, g] of this.#groups) {
      if (now - g.lastAt >= idleMs) this.#flushGroup(key)
    }
  }

  /** Emits everything held: the file has ended (rotated away, deleted, truncated). */
  flushAll (): void {
    for (const key of [...this.#groups.keys()]) this.#flushGroup(key)
    for (const [key, p] of this.#partials) {
      this.#partials.delete(key)
      if (p.texts.length === 0) continue
      this.#emit({ text: p.texts.join(''), stream: key === '' ? null : key, time: p.time, ...(p.parts > 0 ? { split: { part: p.parts + 1, last: true } } : {}) })
    }
  }
}
