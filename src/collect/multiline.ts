// Which consecutive lines of one stream make one record: a Java stack trace, a Python
// traceback, a Go panic with its goroutine dump, or lines up to the next match of a user's
// start-of-record regex. Each mode says, for a line arriving while a record is open, whether it
// continues that record. The built-in patterns are written here (JavaScript regexes, all
// anchored at the start, never run over a whole long line); a user's pattern is RE2 and tested
// as a prefix match, so its cost does not grow with the line past what it needs (the notes'
// multiline lesson: full-matching long lines made an agent 7× slower).
import { compileRe2, type Re2 } from '../shared/re2.js'

export const MULTILINE_MODES = ['none', 'java', 'python', 'go'] as const

/** What a mode knows of the record being built. */
export interface OpenRecord {
  /** Lines in the record so far. */
  count: number
  /** Mode-specific progress (python: 0 message, 1 in a traceback, 2 after its exception line). */
  phase: number
}

export interface MultilineMode {
  readonly name: string
  /** Whether `line` belongs to `open`; may advance `open.phase`. */
  continues: (line: string, open: OpenRecord) => boolean
  /** The phase a record starting with `line` begins in. */
  startPhase: (line: string) => number
}

// Fluent Bit's java continuation rules (flb_ml_parser_java.c), plus the exception header a
// logging library prints right after its message line (`java.lang.IllegalStateException: boom`).
const JAVA_CONTINUATION = [
  /^[\t ]+(?:eval )?at /,
  /^[\t ]*(?:Caused by|Suppressed):/,
  /^[\t ]*\.\.\. \d+ (?:more|common frames omitted)/,
  /^[\t ]*nested exception is:/,
  /^[\t ]*--- End of /,
  /^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable)(?::|$)/
]

const java: MultilineMode = {
  name: 'java',
  startPhase: () => 0,
  continues: (line, open) => {
    if (line.trim() === '') return open.count > 1
    return JAVA_CONTINUATION.some(re => re.test(line))
  }
}

const TRACEBACK = 'Traceback (most recent call last):'
const PY_CHAIN = /^(?:During handling of the above exception|The above exception was the direct cause)/

const python: MultilineMode = {
  name: 'python',
  startPhase: line => line.startsWith(TRACEBACK) ? 1 : 0,
  continues: (line, open) => {
    if (line.startsWith(TRACEBACK)) { open.phase = 1; return true }
    if (open.phase === 1) {
      // Indented lines are frames and source; the first line at the margin is the exception.
      if (/^[\t ]/.test(line)) return true
      if (line.trim() === '') return true
      open.phase = 2
      return true
    }
    if (open.phase === 2) {
      // A chained exception: a blank line, the sentence, a blank line, another traceback.
      if (line.trim() === '' || PY_CHAIN.test(line)) return true
    }
    return false
  }
}

const GO_START = /^(?:panic: |fatal error: )/
const GO_CONTINUATION = [
  /^goroutine \d+ \[/,
  /^[\t ]/,
  /^created by /,
  /^\[(?:signal|recovered)/,
  /^exit status \d+/,
  // A frame's function line: `main.main()`, `net/http.(*conn).serve(0xc000…)`.
  /^[\w./*()\[\]{}-]+\(.*\)$/
]

const go: MultilineMode = {
  name: 'go',
  startPhase: line => GO_START.test(line) ? 1 : 0,
  continues: (line, open) => {
    if (open.phase !== 1) return false
    if (line.trim() === '') return true
    return GO_CONTINUATION.some(re => re.test(line))
  }
}

/** A record starts at each line where `pattern` matches at its beginning. */
export function startRegexMode (pattern: string): MultilineMode {
  compileRe2(pattern) // reports a mistake in the user's own pattern, not in the wrapper below
  // Anchored at the start: the engine stops at the first character that cannot begin a match.
  const re: Re2 = compileRe2(`^(?:${pattern})`)
  return { name: `regex ${pattern}`, startPhase: () => 0, continues: line => !re.test(line) }
}

/**
 * The mode for `--multiline`: none (null), a built-in name, or else a start-of-record RE2
 * regex. Throws Re2Error for an invalid pattern.
 */
export function multilineMode (option: string): MultilineMode | null {
  switch (option) {
    case 'none': return null
    case 'java': return java
    case 'python': return python
    case 'go': return go
    default: return startRegexMode(option)
  }
}
