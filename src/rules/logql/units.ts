/**
 * LogQL's literals and label-value conversions, as Loki reads them: Go string literals, Go
 * durations (`1h30m`, `1.5s`, `300ms`; query literals also take d, w, y), byte sizes in
 * go-humanize's notation (`20KB`, `1.5 KiB`, `3k`) and Go's float syntax.
 */

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600
}
const LONG_UNITS: Record<string, number> = { d: 86400, w: 7 * 86400, y: 365 * 86400 }

/**
 * Seconds in a Go duration (`time.ParseDuration`), or null. `long` also accepts d, w and y, as
 * LogQL query literals do (label values do not).
 */
export function parseDurationSeconds (text: string, long = false): number | null {
  let s = text
  let sign = 1
  if (s.startsWith('-') || s.startsWith('+')) { if (s[0] === '-') sign = -1; s = s.slice(1) }
  if (s === '0') return 0
  if (s === '') return null
  let total = 0
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)/
  while (s !== '') {
    const m = part.exec(s)
    if (m === null) return null
    const unit = DURATION_UNITS[m[2]] ?? (long ? LONG_UNITS[m[2]] : undefined)
    if (unit === undefined) return null
    total += Number(m[1]) * unit
    s = s.slice(m[0].length)
  }
  return sign * total
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1 }
for (const [i, p] of ['k', 'm', 'g', 't', 'p', 'e'].entries()) {
  BYTE_UNITS[p] = BYTE_UNITS[`${p}b`] = 1000 ** (i + 1)
  BYTE_UNITS[`${p}i`] = BYTE_UNITS[`${p}ib`] = 1024 ** (i + 1)
}

/** Bytes in a size such as `42MB`, `1.5 KiB`, `3k` (go-humanize's ParseBytes), or null. */
export function parseBytes (text: string): number | null {
  const m = /^([\d.,]*)(.*)$/s.exec(text)!
  const num = m[1].replace(/,/g, '')
  if (!/^(\d+\.?\d*|\.\d+)$/.test(num)) return null
  const unit = BYTE_UNITS[m[2].trim().toLowerCase()]
  if (unit === undefined) return null
  const n = Number(num) * unit
  return n >= 2 ** 64 ? null : Math.floor(n)
}

/** A float as Go's strconv.ParseFloat reads it (with Inf and NaN), or null. */
export function parseFloat64 (text: string): number | null {
  const s = text
  if (/^[-+]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity
  if (/^nan$/i.test(s)) return NaN
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s)
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(s)) return (s.startsWith('-') ? -1 : 1) * Number(s.replace(/^[-+]/, ''))
  return null
}

/** A Go string literal (`"…"` with escapes, or a raw `` `…` ``) as its value; throws on a bad escape. */
export function unquote (literal: string): string {
  const q = literal[0]
  if (q === '`') return literal.slice(1, -1)
  if (q !== '"' && q !== "'") throw new Error(`expected a quoted string, not ${literal}`)
  const body = literal.slice(1, -1)
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c !== '\\') { out += c; continue }
    const e = body[++i]
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" }
    if (e in simple) { out += simple[e]; continue }
    const hex = { x: 2, u: 4, U: 8 }[e as 'x' | 'u' | 'U']
    if (hex !== undefined) {
      const digits = body.slice(i + 1, i + 1 + hex)
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) throw new Error(`invalid escape \\${e}${digits} in ${literal}`)
      out += String.fromCodePoint(parseInt(digits, 16))
      i += hex
      continue
    }
    if (e !== undefined && /[0-7]/.test(e)) {
      const digits = body.slice(i, i + 3)
      if (!/^[0-7]{3}$/.test(digits)) throw new Error(`invalid escape \\${digits} in ${literal}`)
      out += String.fromCharCode(parseInt(digits, 8))
      i += 2
      continue
    }
    throw new Error(`invalid escape \\${e ?? ''} in ${literal}`)
  }
  return out
}
