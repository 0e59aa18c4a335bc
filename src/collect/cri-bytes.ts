// The common CRI line read straight from the file's bytes: a whole line (tag `F`), an RFC 3339
// timestamp, `stdout` or `stderr`. Such a line needs no joining, so the agent writes its record
// without making a string of the line or an entry object (the fast path; a line this does not
// accept goes through formats.ts and the decoder like any other, with the same result).
// One CriLine per file: `parse` leaves what it read in the object's fields rather than in a
// new object per line, and remembers the last second of log time, so a line costs one
// Date.parse per second of log time, the fraction added as read.

const SPACE = 0x20

function digit (b: Buffer, i: number): number {
  const d = b[i] - 0x30
  return d >= 0 && d <= 9 ? d : NaN
}

export class CriLine {
  /** End of the timestamp (it starts at the line's start). */
  timeEnd = 0
  stderr = false
  /** Where the message starts (it ends at the line's end). */
  msgStart = 0
  /** Epoch ms of the timestamp. */
  ms = 0
  #key = -1
  #zone = ''
  #second = 0

  /**
   * Whether [start, end) (no newline) is a whole CRI line with an RFC 3339 timestamp JSON needs
   * no escapes for; if so its fields are set. Not for parts (`P`), tags beyond `F`, other formats.
   */
  parse (b: Buffer, start: number, end: number): boolean {
    // `2006-01-02T15:04:05` exactly, then an optional fraction, a zone, and ` stdout F`.
    if (end - start < 29 || b[start + 4] !== 0x2d || b[start + 7] !== 0x2d || b[start + 10] !== 0x54 || b[start + 13] !== 0x3a || b[start + 16] !== 0x3a) return false
    // YYYYMMDDHHMMSS as one number: the same second as the line before needs no Date.parse.
    // A byte that is not a digit makes it NaN (digit()), which no comparison passes.
    const o = start
    const key = (((((digit(b, o) * 10 + digit(b, o + 1)) * 10 + digit(b, o + 2)) * 10 + digit(b, o + 3)) * 100 +
      digit(b, o + 5) * 10 + digit(b, o + 6)) * 100 + digit(b, o + 8) * 10 + digit(b, o + 9)) * 1e6 +
      ((digit(b, o + 11) * 10 + digit(b, o + 12)) * 100 + digit(b, o + 14) * 10 + digit(b, o + 15)) * 100 + digit(b, o + 17) * 10 + digit(b, o + 18)
    if (!(key >= 0)) return false
    let p = start + 19
    let frac = 0
    if (b[p] === 0x2e) {
      let digits = 0
      for (p++; p < end; p++) {
        const d = b[p] - 0x30
        if (d < 0 || d > 9) break
        if (digits < 3) frac = frac * 10 + d
        digits++
      }
      if (digits === 0) return false
      for (; digits < 3; digits++) frac *= 10
    }
    const zone = p
    while (p < end && b[p] !== SPACE) {
      const c = b[p]
      if (c < 0x20 || c === 0x22 || c === 0x5c) return false
      p++
    }
    if (p === zone || p + 9 > end || b[p + 7] !== SPACE || b[p + 1] !== 0x73 /* s */ || b[p + 2] !== 0x74 /* t */ || b[p + 3] !== 0x64 /* d */) return false
    if (b[p + 4] === 0x6f && b[p + 5] === 0x75 && b[p + 6] === 0x74) this.stderr = false // out
    else if (b[p + 4] === 0x65 && b[p + 5] === 0x72 && b[p + 6] === 0x72) this.stderr = true // err
    else return false
    if (b[p + 8] !== 0x46 /* F */) return false
    // `<ts> stdout F` alone is an empty line; otherwise a space and the message.
    if (p + 9 === end) this.msgStart = end
    else if (b[p + 9] === SPACE) this.msgStart = p + 10
    else return false
    const sameZone = p - zone === this.#zone.length && (this.#zone === 'Z' ? b[zone] === 0x5a : b.toString('latin1', zone, p) === this.#zone)
    if (key !== this.#key || !sameZone) {
      const zoneText = b.toString('latin1', zone, p)
      const second = Date.parse(b.toString('latin1', start, start + 19) + zoneText)
      if (!Number.isFinite(second)) return false
      this.#key = key
      this.#zone = zoneText
      this.#second = second
    }
    this.timeEnd = p
    this.ms = this.#second + frac
    return true
  }
}
