/**
 * Alertmanager's regexes are Go RE2. Most RE2 patterns mean the same in JavaScript, but some do
 * not, and a few mean something else silently (`\z` is "end of text" in RE2 and the letter z in
 * a non-Unicode JavaScript regex). This module translates an RE2 pattern into an equivalent
 * JavaScript one compiled with the `u` flag (code-point semantics, like RE2 on UTF-8), and
 * rejects what RE2 itself rejects (backreferences, lookaround) or what cannot be expressed.
 */

export class Re2Error extends Error {}

// Characters JavaScript lets you escape in a `u`-mode regex; RE2 lets any punctuation be escaped.
// ('-' only inside a class, so it goes through literal() instead.)
const JS_ESCAPABLE = new Set('^$\\.*+?()[]{}|/'.split(''))
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f'
}
// RE2's \s is ASCII white space without \v; JavaScript's also matches Unicode spaces.
const RE2_SPACE = '\\t\\n\\f\\r '

/** Compiles `^(?:pattern)$` — Alertmanager anchors every matcher and match_re regex on both ends. */
export function compileAnchoredRe2 (pattern: string): RegExp {
  const { source, flags } = translateRe2(pattern)
  try {
    return new RegExp(`^(?:${source})$`, flags)
  } catch (err) {
    // V8 says "Invalid regular expression: /<translated pattern>/u: Unterminated group"; the
    // translated pattern would only confuse, the user wrote the RE2 one.
    const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')
    throw new Re2Error(`invalid regular expression: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`)
  }
}

/** Translates an RE2 pattern into JavaScript `source` and `flags` (always including `u`). */
export function translateRe2 (pattern: string): { source: string, flags: string } {
  let flags = 'u'
  let i = 0
  // A leading (?flags) applies to the whole pattern, which is all JavaScript can express.
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern)
  if (lead !== null) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 's' || f === 'm') { if (!flags.includes(f)) flags += f } else throw new Re2Error(`the flag (?${f}) is not supported; use i, s or m`)
    }
    i = lead[0].length
  }
  let out = ''
  let inClass = false
  while (i < pattern.length) {
    const c = pattern[i]
    if (c === '\\') {
      const [text, used] = escape(pattern, i, inClass)
      out += text
      i += used
      continue
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2)
        const name = end < 0 ? '' : pattern.slice(i + 2, end)
        const negated = name.startsWith('^')
        const ranges = POSIX_CLASSES[negated ? name.slice(1) : name]
        if (ranges === undefined) throw new Re2Error(`unknown character class [:${name}:]`)
        if (negated) throw new Re2Error(`negated character class [:${name}:] is not supported`)
        out += ranges
        i = end + 2
        continue
      }
      if (c === ']') inClass = false
      out += c === '[' ? '\\[' : c
      i++
      continue
    }
    if (c === '[') {
      inClass = true
      out += '['
      i++
      if (pattern[i] === '^') { out += '^'; i++ }
      // A ']' right after '[' or '[^' is a literal in RE2; JavaScript would close the class.
      if (pattern[i] === ']') { out += '\\]'; i++ }
      continue
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2)
      if (rest.startsWith(':')) { out += '(?:'; i += 3; continue }
      if (rest.startsWith('P<')) { out += '(?<'; i += 4; continue }
      if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) { out += '(?<'; i += 3; continue }
      if (/^(=|!|<=|<!)/.test(rest)) throw new Re2Error('lookahead and lookbehind are not supported (RE2 has none)')
      throw new Re2Error(`inline flags are only supported at the start of the pattern: ${pattern.slice(i, i + 6)}`)
    }
    if (c === '{') {
      // RE2 reads a '{' that does not start a repetition as a literal; JavaScript's u mode refuses it.
      const rep = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i))
      if (rep !== null) { out += rep[0]; i += rep[0].length; continue }
      out += '\\{'
      i++
      continue
    }
    out += c === '}' || c === ']' ? '\\' + c : c
    i++
  }
  if (inClass) throw new Re2Error('missing closing ]')
  return { source: out, flags }
}

/** One escape sequence at `pattern[i]` (a backslash): its JavaScript text and its length. */
function escape (pattern: string, i: number, inClass: boolean): [string, number] {
  const next = pattern[i + 1]
  if (next === undefined) throw new Re2Error('trailing backslash')
  if (/[1-9]/.test(next)) throw new Re2Error('backreferences are not supported (RE2 has none)')
  if (/[^0-9A-Za-z]/.test(next)) {
    if (JS_ESCAPABLE.has(next)) return ['\\' + next, 2]
    return [literal(next), 2]
  }
  switch (next) {
    case 'z': if (!inClass) return ['(?![\\s\\S])', 2]; break
    case 'A': if (!inClass) return ['(?<![\\s\\S])', 2]; break
    case 's': return [inClass ? RE2_SPACE : `[${RE2_SPACE}]`, 2]
    case 'S': if (!inClass) return [`[^${RE2_SPACE}]`, 2]; break
    case 'Q': {
      const end = pattern.indexOf('\\E', i + 2)
      const text = pattern.slice(i + 2, end < 0 ? pattern.length : end)
      return [[...text].map(ch => /[0-9A-Za-z]/.test(ch) ? ch : literal(ch)).join(''), text.length + 2 + (end < 0 ? 0 : 2)]
    }
    case 'x': {
      const braced = /^\{([0-9A-Fa-f]+)\}/.exec(pattern.slice(i + 2))
      if (braced !== null) return [`\\u{${braced[1]}}`, 2 + braced[0].length]
      break
    }
    case 'p': case 'P': {
      if (pattern[i + 2] !== '{') return [`\\${next}{${pattern[i + 2] ?? ''}}`, 3]
      const end = pattern.indexOf('}', i + 3)
      const name = pattern.slice(i + 3, end < 0 ? pattern.length : end)
      // General categories keep their name; anything else is a script in RE2.
      const property = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`
      return [`\\${next}{${property}}`, (end < 0 ? pattern.length : end + 1) - i]
    }
    case 'C': throw new Re2Error('\\C (any byte) is not supported')
  }
  return ['\\' + next, 2]
}

/** A character as a `\u{…}` escape: valid inside and outside classes in u mode. */
function literal (ch: string): string {
  return `\\u{${ch.codePointAt(0)!.toString(16)}}`
}
