// Search regexes are RE2 syntax (the notifier's translator, so a pattern means the same in a
// matcher and in a search). JavaScript's engine backtracks, and Node 20 can neither time out a
// regex nor use V8's linear engine with the `i` or `u` flags, so work is bounded in layers:
// 1. RE2 has no backreferences or lookaround; the translator refuses them.
// 2. Repetition of something that itself repeats or alternates — `(a+)+`, `(a|aa)*`, `(x*y*)*` —
//    is refused up front with an explanation: that shape makes backtracking exponential.
// 3. The pattern is short, and each record is matched on its first MAX_SUBJECT_CHARS only.
// 4. What is left — polynomial cases such as `.*.*.*x`, which no static check catches well —
//    runs in a worker with a time limit per window (regex-runner.ts), off the event loop.
import { translateRe2, Re2Error } from '../notifier/re2.js'
import { badParam } from './errors.js'

export const MAX_PATTERN_LENGTH = 512
export const MAX_SUBJECT_CHARS = 16 * 1024

/** Compiles a search regex or throws a 400 naming `field`. */
export function compileSearchRegex (pattern: string, field = 'regex'): RegExp {
  if (pattern.length === 0) throw badParam(field, 'regex must not be empty')
  if (pattern.length > MAX_PATTERN_LENGTH) throw badParam(field, `regex is ${pattern.length} characters; the limit is ${MAX_PATTERN_LENGTH}`)
  let source: string
  let flags: string
  try {
    ({ source, flags } = translateRe2(pattern))
  } catch (err) {
    if (err instanceof Re2Error) throw badParam(field, `invalid regex: ${err.message}`)
    throw err
  }
  const nested = findNestedRepetition(source)
  if (nested !== null) {
    throw badParam(field, `regex refused: ${nested} repeats something that itself repeats or alternates, which can take exponential time; write it without the outer repetition (e.g. a+ instead of (a+)+)`)
  }
  try {
    return new RegExp(source, flags)
  } catch (err) {
    throw badParam(field, `invalid regex: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`)
  }
}

interface Group { start: number, repeats: boolean, alternates: boolean }

/**
 * Scans a JavaScript regex source (as produced by translateRe2) for a group with an unbounded
 * repetition applied to it that contains a repetition or an alternation. Returns that group's
 * text, or null. Bounded repeats such as `(\d{1,3}\.){3}` are fine: their work is bounded.
 */
export function findNestedRepetition (source: string): string | null {
  const stack: Group[] = [{ start: 0, repeats: false, alternates: false }]
  let inClass = false
  let i = 0
  while (i < source.length) {
    const c = source[i]
    if (c === '\\') {
      // \u{...}, \p{...}, \P{...} carry braces that are not a repetition.
      const braced = /^\\[upPk]\{[^}]*\}|^\\k<[^>]*>/.exec(source.slice(i))
      i += braced !== null ? braced[0].length : 2
      continue
    }
    if (inClass) { if (c === ']') inClass = false; i++; continue }
    if (c === '[') { inClass = true; i++; continue }
    if (c === '(') { stack.push({ start: i, repeats: false, alternates: false }); i++; continue }
    if (c === '|') { stack[stack.length - 1].alternates = true; i++; continue }
    const top = stack[stack.length - 1]
    if (c === ')' && stack.length > 1) {
      const group = stack.pop()!
      const q = quantifierAt(source, i + 1)
      if (q !== null && q.unbounded && (group.repeats || group.alternates)) return source.slice(group.start, i + 1 + q.length)
      // Whatever repeats inside a group also repeats inside its parent.
      const parent = stack[stack.length - 1]
      if (group.repeats || (q !== null && q.unbounded)) parent.repeats = true
      i += 1 + (q?.length ?? 0)
      continue
    }
    const q = quantifierAt(source, i)
    if (q !== null) { if (q.unbounded) top.repeats = true; i += q.length; continue }
    i++
  }
  return null
}

/** A quantifier at `i` (with its lazy `?`), or null; `{n,m}` counts as unbounded when m > 32. */
function quantifierAt (source: string, i: number): { length: number, unbounded: boolean } | null {
  const c = source[i]
  let length = 0
  let unbounded = false
  if (c === '*' || c === '+') { length = 1; unbounded = true } else if (c === '?') { length = 1 } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i))
    if (m === null) return null
    length = m[0].length
    unbounded = m[2] !== undefined && (m[3] === '' || Number(m[3]) > 32)
  } else return null
  if (source[i + length] === '?') length++
  return { length, unbounded }
}
