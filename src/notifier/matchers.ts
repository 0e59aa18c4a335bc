/**
 * Alertmanager label matchers: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`,
 * lists written as `{a="b", c=~"d.*"}`, and the legacy `match` / `match_re` maps of route and
 * inhibit-rule configs. Regexes are anchored on both ends, as in Alertmanager. A label the alert
 * does not have is matched as the empty string, so `team!="x"` matches an alert without `team`.
 */
import { compareUtf8, type LabelSet } from './labels.js'
import { compileRe2, Re2Error, type Re2 } from '../shared/re2.js'

export type MatchType = '=' | '!=' | '=~' | '!~'

export interface Matcher {
  readonly name: string
  readonly type: MatchType
  /** As written (legacy `match_re` values are kept in their anchored form `^(?:…)$`, as Alertmanager does). */
  readonly value: string
  /** Compiled for `=~` and `!~`. */
  readonly regex?: Re2
}

/** A matcher that cannot be parsed; the message quotes it. */
export class MatcherParseError extends Error {
  readonly matcher: string
  constructor (matcher: string, reason: string) {
    super(`matcher '${matcher}': ${reason}`)
    this.name = 'MatcherParseError'
    this.matcher = matcher
  }
}

// Name, operator, then everything else as the value (its surrounding white space is dropped).
const MATCHER = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$/s
const TYPE_ORDER: readonly MatchType[] = ['=', '!=', '=~', '!~']

/** Builds a matcher; a regex that does not compile throws MatcherParseError. */
export function newMatcher (type: MatchType, name: string, value: string, text = `${name}${type}${quoteValue(value)}`): Matcher {
  if (type === '=' || type === '!=') return { name, type, value }
  try {
    return { name, type, value, regex: compileRe2(value, { anchored: true }) }
  } catch (err) {
    if (err instanceof Re2Error) throw new MatcherParseError(text, err.message)
    throw err
  }
}

/** Parses one matcher such as `severity=~"crit.*"` or `team = frontend`. */
export function parseMatcher (text: string): Matcher {
  const m = MATCHER.exec(text)
  if (m === null) throw new MatcherParseError(text, 'expected name, an operator (=, !=, =~ or !~) and a value, as in severity="critical"')
  return newMatcher(m[2] as MatchType, m[1], unquote(m[3], text), text.trim())
}

/**
 * The value part: either bare or in double quotes. Inside, `\"`, `\\` and `\n` are escapes;
 * any other backslash is kept, so regexes such as `\d+` need no doubling.
 */
function unquote (raw: string, text: string): string {
  const quoted = raw.startsWith('"')
  const body = quoted ? raw.slice(1) : raw
  let value = ''
  let closed = false
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (closed) throw new MatcherParseError(text, 'text after the closing double quote')
    if (c === '\\' && i + 1 < body.length) {
      const n = body[++i]
      value += n === 'n' ? '\n' : n === '"' || n === '\\' ? n : '\\' + n
    } else if (c === '"') {
      if (!quoted) throw new MatcherParseError(text, 'unescaped double quote in the value; write \\" or quote the whole value')
      closed = true
    } else {
      value += c
    }
  }
  if (quoted && !closed) throw new MatcherParseError(text, 'missing closing double quote')
  return value
}

/**
 * Parses a matcher list: `{a="b", c=~"d.*"}` or the same without braces. Commas inside quoted
 * values do not split. An empty list (`{}`) is allowed.
 */
export function parseMatchers (text: string): Matcher[] {
  let s = text.trim()
  if (s.startsWith('{')) s = s.slice(1)
  if (s.endsWith('}')) s = s.slice(0, -1)
  const parts: string[] = []
  let current = ''
  let inQuotes = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '\\' && i + 1 < s.length) { current += c + s[++i]; continue }
    if (c === '"') inQuotes = !inQuotes
    if (c === ',' && !inQuotes) { parts.push(current); current = ''; continue }
    current += c
  }
  // A trailing comma leaves nothing behind; an empty part elsewhere is a mistake.
  if (current.trim() !== '') parts.push(current)
  return parts.map(p => {
    if (p.trim() === '') throw new MatcherParseError(text, 'empty matcher between commas')
    return parseMatcher(p)
  })
}

/** `match` (equality) and `match_re` (regex) maps, as routes and inhibit rules used to be written. */
export function legacyMatchers (match: Record<string, string> = {}, matchRe: Record<string, string> = {}): Matcher[] {
  const equal = Object.entries(match).map(([name, value]) => newMatcher('=', name, value))
  const regex = Object.entries(matchRe).map(([name, pattern]) => {
    try {
      // Alertmanager stores these as `^(?:…)$`, and that form shows in route keys.
      return { name, type: '=~' as const, value: `^(?:${pattern})$`, regex: compileRe2(pattern, { anchored: true }) }
    } catch (err) {
      if (err instanceof Re2Error) throw new MatcherParseError(`${name}: ${pattern}`, err.message)
      throw err
    }
  })
  return [...equal, ...regex]
}

export function matchesValue (m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=': return value === m.value
    case '!=': return value !== m.value
    case '=~': return m.regex!.test(value)
    case '!~': return !m.regex!.test(value)
  }
}

/** True when every matcher matches (an empty list matches everything). */
export function matchesLabels (matchers: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of matchers) {
    if (!matchesValue(m, labels[m.name] ?? '')) return false
  }
  return true
}

/** Alertmanager's order: by name, then value, then operator (=, !=, =~, !~). */
export function compareMatchers (a: Matcher, b: Matcher): number {
  return compareUtf8(a.name, b.name) || compareUtf8(a.value, b.value) || TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type)
}

// Only backslash, newline and double quote are escaped in a printed matcher value.
function quoteValue (value: string): string {
  return `"${value.replace(/[\\\n"]/g, c => c === '\n' ? '\\n' : '\\' + c)}"`
}

/** `name=~"value"`, the form used in route keys and error messages. */
export function matcherString (m: Matcher): string {
  return `${m.name}${m.type}${quoteValue(m.value)}`
}

/** `{a="b",c=~"d.*"}` in the given order (routes sort their matchers first). */
export function matchersString (matchers: readonly Matcher[]): string {
  return `{${matchers.map(matcherString).join(',')}}`
}
