/**
 * Matching label values and log lines. Every regex is RE2 (shared/re2.ts), as in Loki; a regex
 * that is only literals (`ERROR|Exception`, `(?i)timeout`) runs as substring search instead,
 * which gives the same answers much faster. The literals are also what the record stage looks
 * for in a record's raw bytes before parsing it (needles()).
 */
import { compileRe2 } from '../../shared/re2.js'
import type { LabelMatcher, LineFilter } from './ast.js'

/** A test on a string, and what any matching string must contain (for prefiltering raw records). */
export interface StringTest {
  test: (s: string) => boolean
  /** One of these occurs in every string that passes; null when nothing useful is known. */
  needles: Needle[] | null
}

/** A substring a match must contain; `caseless` for ASCII case-insensitive (?i) literals. */
export interface Needle { text: string, caseless: boolean }

/** `a|b|c` or `(?i)a|b` with no other regex syntax: its literals, or null. */
export function literalAlternation (pattern: string): Needle[] | null {
  let body = pattern
  let caseless = false
  if (body.startsWith('(?i)')) { caseless = true; body = body.slice(4) }
  // A literal here is any text without regex syntax; escaped punctuation is literal too.
  const alternatives = body.split('|')
  const out: Needle[] = []
  for (const alt of alternatives) {
    if (alt === '' || /[\\.+*?()[\]{}^$]/.test(alt.replace(/\\[.+*?()[\]{}^$|\\/-]/g, ''))) return null
    const text = alt.replace(/\\(.)/g, '$1')
    // RE2's (?i) folds k and s with non-ASCII letters (K, ſ); only plain ASCII is exact here.
    if (caseless && (!/^[\x20-\x7e]*$/.test(text) || /[ksKS]/.test(text))) return null
    out.push({ text: caseless ? text.toLowerCase() : text, caseless })
  }
  return out
}

// Letters by how rarely they occur in log text, rarest first: a caseless search anchors on the
// needle's rarest letter, found with the native indexOf in both cases, and checks around it.
const RARITY = 'qjzxvkwyfbghmpduclsnrtoiae'

/** The position in a lower-case needle to anchor a caseless search on. */
export function anchorOf (needle: string): number {
  let best = 0
  let rank = Infinity
  for (let i = 0; i < needle.length; i++) {
    const r = RARITY.indexOf(needle[i])
    const score = r < 0 ? (/[a-z]/.test(needle[i]) ? 26 : 27) : r
    if (score < rank) { rank = score; best = i }
  }
  return best
}

interface Haystack { length: number, indexOf: (s: string, from?: number) => number, charCodeAt?: (i: number) => number }

function codeAt (hay: string | Uint8Array, i: number): number {
  return typeof hay === 'string' ? hay.charCodeAt(i) : hay[i]
}

/** ASCII case-insensitive indexOf for a lower-case needle (strings or bytes), without lower-casing the haystack. */
export function indexOfCaseless (hay: string | Buffer, needle: string, from = 0): number {
  const a = anchorOf(needle)
  const lower = needle[a]
  const upper = lower.toUpperCase()
  const h = hay as unknown as Haystack
  let lo = h.indexOf(lower, from + a)
  let up = upper === lower ? -1 : h.indexOf(upper, from + a)
  while (lo >= 0 || up >= 0) {
    const at = lo < 0 ? up : up < 0 ? lo : Math.min(lo, up)
    const start = at - a
    let ok = start >= from && start + needle.length <= hay.length
    for (let j = 0; ok && j < needle.length; j++) {
      const c = codeAt(hay, start + j)
      ok = (c >= 65 && c <= 90 ? c + 32 : c) === needle.charCodeAt(j)
    }
    if (ok) return start
    if (at === lo) lo = h.indexOf(lower, at + 1)
    else up = h.indexOf(upper, at + 1)
  }
  return -1
}

/**
 * indexOfCaseless prepared for one lower-case ASCII needle (what literalAlternation and
 * requiredLiteral give), on bytes: the anchor and its two cases are worked out once, and the
 * anchor is looked for as a byte (a memchr rather than a string search).
 */
export function caselessFinder (needle: string): (hay: Buffer, from: number) => number {
  const a = anchorOf(needle)
  const lower = needle.charCodeAt(a)
  const upper = lower >= 97 && lower <= 122 ? lower - 32 : lower
  const bytes = Buffer.from(needle, 'latin1')
  const n = bytes.length
  return (hay, from) => {
    let lo = hay.indexOf(lower, from + a)
    let up = upper === lower ? -1 : hay.indexOf(upper, from + a)
    while (lo >= 0 || up >= 0) {
      const at = lo < 0 ? up : up < 0 ? lo : Math.min(lo, up)
      const start = at - a
      if (start + n <= hay.length) {
        let j = 0
        for (; j < n; j++) {
          const c = hay[start + j]
          if ((c >= 65 && c <= 90 ? c + 32 : c) !== bytes[j]) break
        }
        if (j === n) return start
      }
      if (at === lo) lo = hay.indexOf(lower, at + 1)
      else up = hay.indexOf(upper, at + 1)
    }
    return -1
  }
}

export function containsNeedle (hay: string, needle: Needle): boolean {
  return needle.caseless ? indexOfCaseless(hay, needle.text) >= 0 : hay.includes(needle.text)
}

/**
 * A run of literal characters every match of `pattern` contains (`" 5` in `" 5[0-9][0-9] `):
 * top-level literals not made optional by a quantifier; none when the pattern has a top-level
 * alternation or the run is shorter than 2 characters.
 */
export function requiredLiteral (pattern: string): Needle | null {
  let p = pattern
  let caseless = false
  if (p.startsWith('(?i)')) { caseless = true; p = p.slice(4) }
  // Flags set inside the pattern would change what the literals mean: not worth reading.
  if (/\(\?(?![:P<])/.test(p)) return null
  let best = ''
  let run = ''
  let depth = 0
  const end = (): void => { if (run.length > best.length) best = run; run = '' }
  for (let i = 0; i < p.length; i++) {
    const c = p[i]
    let lit: string | null = null
    if (c === '\\') {
      const n = p[++i]
      if (n === undefined || /[0-9Q]/.test(n)) return null
      if (/[^A-Za-z]/.test(n)) lit = n
      else if ((n === 'x' || n === 'p' || n === 'P') && p[i + 1] === '{') i = p.indexOf('}', i)
      else if (n === 'x') i += 2
      else if (n === 'p' || n === 'P') i += 1
      if (i < 0) return null
    } else if (c === '[') {
      let j = i + 1
      if (p[j] === '^') j++
      if (p[j] === ']') j++
      while (j < p.length && p[j] !== ']') j += p[j] === '\\' ? 2 : p.startsWith('[:', j) ? Math.max(2, p.indexOf(':]', j) - j + 2) : 1
      if (j >= p.length) return null
      i = j
    } else if (c === '{') {
      const close = p.indexOf('}', i)
      if (close < 0) return null
      i = close
    } else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === '|' && depth === 0) return null
    else if (!'.^$*+?|'.includes(c)) lit = c
    if (lit === null || depth > 0) { end(); continue }
    const q = p[i + 1]
    // An optional character is not required; one that may repeat ends the run after it.
    if (q === '*' || q === '?' || (q === '{' && /^\{0[,}]/.test(p.slice(i + 1)))) { end(); continue }
    run += lit
    if (q === '+' || q === '{') end()
  }
  end()
  if (best.length < 2) return null
  if (caseless && (!/^[\x20-\x7e]*$/.test(best) || /[ksKS]/.test(best))) return null
  return { text: caseless ? best.toLowerCase() : best, caseless }
}

/** An unanchored regex over a line (`.` matching newlines, as Loki's line filters do). */
export function lineRegex (pattern: string): StringTest {
  const literals = literalAlternation(pattern)
  if (literals !== null) return { test: s => literals.some(l => containsNeedle(s, l)), needles: literals }
  compileRe2(pattern) // for its error message, which names the pattern as written
  const re = compileRe2(`(?s)${pattern}`)
  // A line without the literal every match contains cannot match: skip the regex.
  const required = requiredLiteral(pattern)
  if (required !== null) return { test: s => containsNeedle(s, required) && re.test(s), needles: [required] }
  return { test: s => re.test(s), needles: null }
}

/** A line filter stage: `|= "a" or "b"` keeps lines with any; `!= "a" or "b"` lines with neither. */
export function compileLineFilter (f: LineFilter): StringTest {
  const tests = f.values.map(v => f.op === '|=' || f.op === '!='
    ? { test: (s: string) => s.includes(v), needles: v === '' ? null : [{ text: v, caseless: false }] }
    : lineRegex(v))
  const any = (s: string): boolean => tests.some(t => t.test(s))
  const positive = f.op === '|=' || f.op === '|~'
  // |= "" keeps every line: nothing to prefilter on.
  const needles = positive && tests.every(t => t.needles !== null) ? tests.flatMap(t => t.needles!) : null
  return { test: positive ? any : s => !any(s), needles }
}

/** A label matcher, Prometheus-style: a missing label is the empty string; regexes are anchored. */
export function compileMatcher (m: LabelMatcher): StringTest {
  switch (m.op) {
    case '=': return { test: s => s === m.value, needles: m.value === '' ? null : [{ text: m.value, caseless: false }] }
    case '!=': return { test: s => s !== m.value, needles: null }
    case '=~':
    case '!~': {
      const literals = literalAlternation(m.value)
      const exact = literals?.every(l => !l.caseless) === true ? new Set(literals.map(l => l.text)) : null
      const re = exact === null ? compileRe2(m.value, { anchored: true }) : null
      const test = exact !== null ? (s: string) => exact.has(s) : (s: string) => re!.test(s)
      const matchesEmpty = test('')
      if (m.op === '!~') return { test: s => !test(s), needles: null }
      return { test, needles: exact !== null && !matchesEmpty ? literals : null }
    }
  }
}
