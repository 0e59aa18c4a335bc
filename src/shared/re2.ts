/**
 * Every regex a user supplies — Alertmanager matchers, silences, routes, inhibit rules, log
 * search, LogQL rules — is RE2 syntax (as in Alertmanager, Prometheus and Loki, which are Go) and
 * runs on re2js, a port of Go's regexp engine: matching takes time linear in the subject, so no
 * pattern can stall the process (`(a+)+$` over a long label answers at once). JavaScript's own
 * engine backtracks and is used only for patterns written in this codebase.
 */
import { RE2JS } from 're2js'

export class Re2Error extends Error {}

export interface Re2 {
  /** The pattern as the user wrote it. */
  readonly source: string
  /** Whether the pattern matches somewhere in `text` (anchored patterns: all of it). */
  test: (text: string) => boolean
  /** Capture groups of the leftmost match (index 0: the whole match), or null. */
  exec: (text: string) => (string | null)[] | null
  /** The leftmost match at or after `from`: where it starts and its groups. */
  search: (text: string, from?: number) => { index: number, groups: (string | null)[] } | null
  /** Names of the named groups `(?P<name>…)` / `(?<name>…)`, by group index. */
  readonly groupNames: Map<number, string>
}

export interface Re2Options {
  /** Match the whole subject, as Alertmanager and Prometheus anchor every label regex. */
  anchored?: boolean
}

/** Compiles an RE2 pattern; throws Re2Error with RE2's own explanation when it is not valid. */
export function compileRe2 (pattern: string, opts: Re2Options = {}): Re2 {
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(pattern)
  } catch (err) {
    // "error parsing regexp: missing closing ): `(a`" → "invalid regular expression: missing closing ): `(a`"
    throw new Re2Error(`invalid regular expression: ${(err as Error).message.replace(/^error parsing regexp: /, '')}`)
  }
  const anchored = opts.anchored === true
  const groupNames = new Map<number, string>()
  for (const [name, index] of Object.entries(compiled.namedGroups())) groupNames.set(index, name)
  const groups = compiled.groupCount()
  return {
    source: pattern,
    groupNames,
    test: anchored ? text => compiled.testExact(text) : text => compiled.test(text),
    search: (text, from = 0) => {
      if (from > text.length) return null
      const m = compiled.matcher(text)
      if (!m.find(from)) return null
      const out: (string | null)[] = []
      for (let g = 0; g <= groups; g++) out.push(m.group(g))
      return { index: m.start(), groups: out }
    },
    exec: text => {
      const m = compiled.matcher(text)
      const found = anchored ? m.matches() : m.find()
      if (!found) return null
      const out: (string | null)[] = []
      for (let g = 0; g <= groups; g++) out.push(m.group(g))
      return out
    }
  }
}

/**
 * Go's Regexp.ReplaceAllString: every leftmost match replaced by `replacement`, in which `$1`,
 * `${1}`, `$name` and `${name}` expand to groups (`$name` as long as possible, `$$` a dollar);
 * with `literal`, the replacement is used as it is (ReplaceAllLiteralString).
 */
export function replaceAllRe2 (re: Re2, text: string, replacement: string, literal = false): string {
  let out = ''
  let at = 0
  for (let pos = 0; pos <= text.length;) {
    const m = re.search(text, pos)
    if (m === null) break
    const whole = m.groups[0] ?? ''
    out += text.slice(at, m.index)
    out += literal ? replacement : replacement.replace(/\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (d, braced?: string, bare?: string) => {
      const name = braced ?? bare
      if (name === undefined) return '$'
      const index = /^\d+$/.test(name) ? Number(name) : [...re.groupNames].find(([, n]) => n === name)?.[0]
      return index === undefined ? '' : m.groups[index] ?? ''
    })
    at = m.index + whole.length
    // An empty match moves on one character, which is kept.
    if (whole.length === 0) { out += text.slice(at, at + 1); at++ }
    pos = at
  }
  return at >= text.length ? out : out + text.slice(at)
}
