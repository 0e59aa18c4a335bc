// A message's bytes as a JSON string, written from the file's bytes into the record: no string
// per line. For valid UTF-8 the JSON string's UTF-8 is the message's own bytes with `"`, `\`
// and the bytes below 0x20 escaped (what JSON.stringify of the decoded text writes), so no
// decoding is needed; the caller hands over only lines it knows are valid UTF-8 (tailed-file.ts
// checks each chunk; invalid bytes go the decoder's way, to replacement characters, counted).
//
// Why it is written this way (bench/RESULTS.md, bench:tail): a byte-at-a-time loop in
// JavaScript costs ~1.5-2 ns a byte here, as much as JSON.stringify, so `measure` tests four
// bytes at a time (bit tricks on 32-bit words) for a byte that needs escaping, noting where;
// `write` copies the whole message at once and then opens a gap at each escape from the last to
// the first with copyWithin (a memmove, no allocation), so the bytes are moved natively.

const NEEDS = new Uint8Array(256) // extra bytes an escape takes: 1 (`\"`, `\n`), 5 (`\u001b`)
for (let c = 0; c < 0x20; c++) NEEDS[c] = 5
const SHORT = new Uint8Array(256) // the letter after the backslash, where JSON has one
for (const [c, letter] of [[0x22, '"'], [0x5c, '\\'], [0x08, 'b'], [0x0c, 'f'], [0x0a, 'n'], [0x0d, 'r'], [0x09, 't']] as const) {
  NEEDS[c] = 1
  SHORT[c] = letter.charCodeAt(0)
}
const HEX = Buffer.from('0123456789abcdef', 'latin1')
const QUOTE = 0x22
const HIGH = 0x80808080 | 0

/** Escapes JSON strings from bytes: `measure` a message, then `write` it (in that order). */
export class JsonBytes {
  #at = new Int32Array(1024) // where the escapes of the measured message are, in the source
  #count = 0
  #src: Buffer = Buffer.alloc(0)
  #start = -1
  #end = -1
  #length = 0
  #words: Int32Array = new Int32Array(0)
  #wordsSrc: Buffer | null = null
  #bytes: Uint8Array = new Uint8Array(0)

  /** Bytes the message at [start, end) of `src` takes as a JSON string, quotes included. */
  measure (src: Buffer, start: number, end: number): number {
    // Asked again for the same message before it is written (its size first, then to write
    // it): measured once. `write` forgets it, as the same range may hold other bytes next time.
    if (src === this.#src && start === this.#start && end === this.#end) return this.#length
    this.#src = src
    this.#start = start
    this.#end = end
    let n = 0
    let extra = 0
    // Absolute positions in src.buffer, so the 32-bit words are aligned whatever src's offset.
    const base = src.byteOffset
    const from = base + start
    const to = base + end
    const words = this.#wordsOf(src)
    const bytes = this.#bytes
    let i = from
    const aligned = Math.min(to, (from + 3) & ~3)
    for (; i < aligned; i++) {
      const e = NEEDS[bytes[i]]
      if (e !== 0) { n = this.#note(n, i - base); extra += e }
    }
    const lastWord = to >> 2
    let w = i >> 2
    for (; w < lastWord; w++) {
      const x = words[w]
      // Flipping bit 1 takes 0x22 below 0x21 and keeps the bytes below 0x20 there: one test for
      // both (whether some byte is below n: (v - n*0x01010101) & ~v & 0x80808080, exact for
      // n <= 0x80), and one for a zero byte after xor with 0x5c. `| 0` keeps it 32-bit integer
      // arithmetic (twice as fast as letting the subtraction leave int32).
      const q = x ^ 0x02020202
      const b = x ^ 0x5c5c5c5c
      if (((((q - 0x21212121) | 0) & ~q) | (((b - 0x01010101) | 0) & ~b)) & HIGH) {
        const p = w << 2
        let e = NEEDS[bytes[p]]
        if (e !== 0) { n = this.#note(n, p - base); extra += e }
        e = NEEDS[bytes[p + 1]]
        if (e !== 0) { n = this.#note(n, p + 1 - base); extra += e }
        e = NEEDS[bytes[p + 2]]
        if (e !== 0) { n = this.#note(n, p + 2 - base); extra += e }
        e = NEEDS[bytes[p + 3]]
        if (e !== 0) { n = this.#note(n, p + 3 - base); extra += e }
      }
    }
    if (w << 2 > i) i = w << 2
    for (; i < to; i++) {
      const e = NEEDS[bytes[i]]
      if (e !== 0) { n = this.#note(n, i - base); extra += e }
    }
    this.#count = n
    this.#length = end - start + extra + 2
    return this.#length
  }

  /** Writes the measured message as a JSON string at `pos` of `dst`; returns where it ends. */
  write (dst: Buffer, pos: number): number {
    dst[pos] = QUOTE
    this.copy(this.#src, this.#start, this.#end, dst, pos + 1)
    const end = this.escapeInPlace(dst, pos + 1, 0)
    dst[end] = QUOTE
    return end + 1
  }

  /**
   * The measured message's bytes, already copied as they are to `at` in `dst`, escaped where
   * they lie, moved `lead` bytes on (room the caller fills before them); returns where they end.
   * (So a caller copying more than the message in one go need not copy the message again.)
   */
  escapeInPlace (dst: Buffer, at: number, lead: number): number {
    const src = this.#src
    const start = this.#start
    const raw = this.#end - start
    // From the last escape back: the bytes after it move right by what the escapes up to it
    // (and the lead) add, then the escape is written in the room left.
    let shift = this.#length - 2 - raw + lead
    let tail = at + raw
    for (let k = this.#count - 1; k >= 0; k--) {
      const e = at + this.#at[k] - start
      const c = src[this.#at[k]]
      moveRight(dst, e + 1, tail, shift)
      shift -= NEEDS[c]
      const o = e + shift
      dst[o] = 0x5c
      if (SHORT[c] !== 0) dst[o + 1] = SHORT[c]
      else { dst[o + 1] = 0x75; dst[o + 2] = 0x30; dst[o + 3] = 0x30; dst[o + 4] = HEX[c >> 4]; dst[o + 5] = HEX[c & 15] }
      tail = e
    }
    if (lead > 0) moveRight(dst, at, tail, lead)
    this.#start = this.#end = -1
    return at + lead + this.#length - 2
  }

  /**
   * Copies [start, end) of `src` to `dst` at `pos`; returns the bytes copied. Through a plain
   * Uint8Array kept per source: Buffer#copy makes a view and checks its arguments per call,
   * which costs more than the copy of a line's bytes.
   */
  copy (src: Buffer, start: number, end: number, dst: Buffer, pos: number): number {
    if (src !== this.#wordsSrc) this.#wordsOf(src)
    dst.set(this.#bytes.subarray(src.byteOffset + start, src.byteOffset + end), pos)
    return end - start
  }

  #note (n: number, at: number): number {
    if (n === this.#at.length) {
      const bigger = new Int32Array(n * 2)
      bigger.set(this.#at)
      this.#at = bigger
    }
    this.#at[n] = at
    return n + 1
  }

  #wordsOf (src: Buffer): Int32Array {
    // Made again only for another source buffer (a typed array's .buffer is slow to ask per line).
    if (src !== this.#wordsSrc) {
      this.#words = new Int32Array(src.buffer, 0, src.buffer.byteLength >> 2)
      this.#bytes = new Uint8Array(src.buffer)
      this.#wordsSrc = src
    }
    return this.#words
  }
}

/** Moves [from, to) of `b` `by` bytes on: a few bytes one by one, more in one call (memmove). */
function moveRight (b: Buffer, from: number, to: number, by: number): void {
  const n = to - from
  if (n > 16) b.copyWithin(from + by, from, to)
  else for (let k = n - 1; k >= 0; k--) b[from + by + k] = b[from + k]
}
