// The common CRI line read straight from the file's bytes: a whole line (tag `F`), a timestamp
// JSON needs no escapes for, `stdout` or `stderr`. Such a line needs no joining, so the agent
// writes its record without making a string of the line or an entry object (the fast path; a
// line this does not accept goes through formats.ts and the decoder like any other).
// Timestamps: one Date.parse per second of log time, per file; the fraction is added as read.

export interface CriFields {
  /** End of the timestamp (it starts at the line's start). */
  timeEnd: number
  stderr: boolean
  /** Where the message starts (it ends at the line's end). */
  msgStart: number
}

const SPACE = 0x20

/**
 * The fields of the whole CRI line at [start, end) (no newline), or null when the line is not
 * one (a part `P`, tags beyond `F`, another format, a timestamp with characters JSON escapes).
 */
export function criWholeLine (b: Buffer, start: number, end: number): CriFields | null {
  // `2006-01-02T15:04:05Z` at least, then ` stdout F`.
  if (end - start < 29 || b[start + 4] !== 0x2d || b[start + 10] !== 0x54) return null
  let s1 = start + 19
  while (s1 < end && b[s1] !== SPACE) {
    const c = b[s1]
    if (c < 0x20 || c === 0x22 || c === 0x5c) return null
    s1++
  }
  for (let i = start; i < start + 19; i++) {
    const c = b[i]
    if (c < 0x20 || c === 0x22 || c === 0x5c) return null
  }
  if (s1 + 9 > end || b[s1 + 7] !== SPACE || b[s1 + 1] !== 0x73 /* s */ || b[s1 + 2] !== 0x74 /* t */ || b[s1 + 3] !== 0x64 /* d */) return null
  let stderr: boolean
  if (b[s1 + 4] === 0x6f && b[s1 + 5] === 0x75 && b[s1 + 6] === 0x74) stderr = false // out
  else if (b[s1 + 4] === 0x65 && b[s1 + 5] === 0x72 && b[s1 + 6] === 0x72) stderr = true // err
  else return null
  if (b[s1 + 8] !== 0x46 /* F */) return null
  // `<ts> stdout F` alone is an empty line; otherwise a space and the message.
  if (s1 + 9 === end) return { timeEnd: s1, stderr, msgStart: end }
  if (b[s1 + 9] !== SPACE) return null
  return { timeEnd: s1, stderr, msgStart: s1 + 10 }
}

/** Epoch ms of RFC 3339 timestamps as bytes, remembering the last second seen. */
export class CriTimes {
  #key = -1
  #zone = ''
  #ms = 0

  /** Epoch ms of the timestamp at [start, end), or null when it is not RFC 3339. */
  ms (b: Buffer, start: number, end: number): number | null {
    // YYYY-MM-DDTHH:MM:SS as one number, the fraction's first three digits, then the zone.
    let key = 0
    for (let i = 0; i < 19; i++) {
      if (i === 4 || i === 7 || i === 10 || i === 13 || i === 16) continue
      const d = b[start + i] - 0x30
      if (d < 0 || d > 9) return null
      key = key * 10 + d
    }
    let p = start + 19
    let frac = 0
    if (b[p] === 0x2e) {
      let digits = 0
      p++
      for (; p < end; p++) {
        const d = b[p] - 0x30
        if (d < 0 || d > 9) break
        if (digits < 3) { frac = frac * 10 + d; digits++ }
      }
      if (digits === 0) return null
      for (; digits < 3; digits++) frac *= 10
    }
    const sameZone = end - p === this.#zone.length && (this.#zone === 'Z' ? b[p] === 0x5a : b.toString('latin1', p, end) === this.#zone)
    if (key !== this.#key || !sameZone) {
      const zone = b.toString('latin1', p, end)
      const base = Date.parse(b.toString('latin1', start, start + 19) + zone)
      if (!Number.isFinite(base)) return null
      this.#key = key
      this.#zone = zone
      this.#ms = base
    }
    return this.#ms + frac
  }
}
