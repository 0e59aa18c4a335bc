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

/** ASCII case-insensitive indexOf for a lower-case needle (no allocation, unlike toLowerCase()). */
export function indexOfCaseless (hay: string, needle: string, from = 0): number {
  const n = needle.length
  const first = needle.charCodeAt(0)
  outer: for (let i = from; i <= hay.length - n; i++) {
    let c = hay.charCodeAt(i)
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== first) continue
    for (let j = 1; j < n; j++) {
      c = hay.charCodeAt(i + j)
      if ((c >= 65 && c <= 90 ? c + 32 : c) !== needle.charCodeAt(j)) continue outer
    }
    return i
  }
  return -1
}

export function containsNeedle (hay: string, needle: Needle): boolean {
  return needle.caseless ? indexOfCaseless(hay, needle.text) >= 0 : hay.includes(needle.text)
}

/** An unanchored regex over a line (`.` matching newlines, as Loki's line filters do). */
export function lineRegex (pattern: string): StringTest {
  const literals = literalAlternation(pattern)
  if (literals !== null) return { test: s => literals.some(l => containsNeedle(s, l)), needles: literals }
  const re = compileRe2(`(?s)${pattern}`)
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
