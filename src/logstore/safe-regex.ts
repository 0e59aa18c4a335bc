// Search regexes are RE2 syntax and run on the linear-time engine every user-supplied regex in
// Tidewatch uses (shared/re2.ts): a pattern means the same in a matcher, a search and a rule, and
// no pattern can stall the server — `(a+)+$` over a long line answers as fast as `a+$`. What is
// still bounded is the work per record (MAX_SUBJECT_CHARS) and the pattern's size.
import { compileRe2, Re2Error, type Re2 } from '../shared/re2.js'
import { badParam } from './errors.js'

export const MAX_PATTERN_LENGTH = 512
export const MAX_SUBJECT_CHARS = 16 * 1024

/** Compiles a search regex (unanchored) or throws a 400 naming `field`. */
export function compileSearchRegex (pattern: string, field = 'regex'): Re2 {
  if (pattern.length === 0) throw badParam(field, 'regex must not be empty')
  if (pattern.length > MAX_PATTERN_LENGTH) throw badParam(field, `regex is ${pattern.length} characters; the limit is ${MAX_PATTERN_LENGTH}`)
  try {
    return compileRe2(pattern)
  } catch (err) {
    if (err instanceof Re2Error) throw badParam(field, err.message.replace(/^invalid regular expression/, 'invalid regex'))
    throw err
  }
}

/** Whether `re` matches the first MAX_SUBJECT_CHARS of `text`. */
export function searchRegexMatches (re: Re2, text: string): boolean {
  return re.test(text.length > MAX_SUBJECT_CHARS ? text.slice(0, MAX_SUBJECT_CHARS) : text)
}
