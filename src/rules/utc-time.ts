/**
 * An RFC 3339 UTC time read from a record's bytes, for the envelope scan: the common shape of a
 * shipper's `time` member, without making a string of it or handing it to Date.parse.
 */

// The day of the last RFC 3339 time read: its ten bytes and its epoch ms.
const lastDay = Buffer.alloc(10)
let lastDayMs = NaN

const digit = (c: number): number => c >= 0x30 && c <= 0x39 ? c - 0x30 : -1
function twoDigits (b: Buffer, i: number): number {
  const h = digit(b[i])
  const l = digit(b[i + 1])
  return h < 0 || l < 0 ? -1 : h * 10 + l
}

/**
 * The time in b[s, e) (a string's text without escapes) when it is exactly
 * YYYY-MM-DDTHH:MM:SS[.fraction of 1-9 digits]Z with an hour 00-23, minute and second 00-59: what
 * Math.floor(Date.parse(text)) gives for it (the day by Date.parse, milliseconds truncated, as
 * V8 does), if not before 1970; otherwise null and envelope.ts reads it.
 */
export function utcTime (b: Buffer, s: number, e: number): number | null {
  if (e - s < 20 || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || b[s + 10] !== 0x54 || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a || b[e - 1] !== 0x5a) return null
  if (twoDigits(b, s) < 0 || twoDigits(b, s + 2) < 0 || twoDigits(b, s + 5) < 0 || twoDigits(b, s + 8) < 0) return null
  const hour = twoDigits(b, s + 11)
  const minute = twoDigits(b, s + 14)
  const second = twoDigits(b, s + 17)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null
  let ms = 0
  if (e - s > 20) {
    // A fraction: a point and one to nine digits, of which the first three count. (V8 reads ten
    // or more digits otherwise: Date.parse, in envelope.ts, reads those.)
    if (b[s + 19] !== 0x2e || e - s < 22 || e - s > 30) return null
    for (let i = s + 20, scale = 100; i < e - 1; i++, scale /= 10) {
      const d = digit(b[i])
      if (d < 0) return null
      if (scale >= 1) ms += d * scale
    }
  }
  // Ten bytes compared here cost less than a call into Buffer#compare.
  let sameDay = true
  for (let i = 0; i < 10; i++) if (b[s + i] !== lastDay[i]) { sameDay = false; break }
  if (!sameDay) {
    b.copy(lastDay, 0, s, s + 10)
    lastDayMs = Date.parse(`${lastDay.toString('latin1')}T00:00:00Z`)
  }
  if (!Number.isFinite(lastDayMs) || lastDayMs < 0) return null
  return lastDayMs + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms
}
