/**
 * YAML config files with located problems: every problem is reported as
 * `file:line:column: field: what to fix`, all at once. Shared by the Function file, the project
 * file, the notifier's routing file and rule files.
 */
import { LineCounter, parseDocument, isNode, isScalar, type Document, type Scalar } from 'yaml'
import type { z } from 'zod'

/** One problem in a config file, located and explained. */
export interface ConfigProblem { file: string, line: number, column: number, field: string, message: string }

/** A config file that cannot be used; the message lists every problem as file:line:column: field: what to fix. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[]
  constructor (problems: ConfigProblem[]) {
    super(problems.map(p => `${p.file}:${p.line}:${p.column}: ${p.field === '' ? '' : `${p.field}: `}${p.message}`).join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export type FieldPath = (string | number)[]

export interface ConfigSourceOptions {
  /** How a field path is shown: `outputs.x.url` by default; rule files write `groups[0].rules[1].expr`. */
  fieldName?: (at: FieldPath) => string
}

export class ConfigSource {
  readonly file: string
  readonly doc: Document
  readonly #lines = new LineCounter()
  readonly #fieldName: (at: FieldPath) => string

  constructor (file: string, text: string, o: ConfigSourceOptions = {}) {
    this.file = file
    this.doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false })
    this.#fieldName = o.fieldName ?? (at => at.join('.'))
  }

  /** Line and column of the node at `at` (or of its nearest existing parent). */
  locate (at: FieldPath): { line: number, column: number } {
    for (let n = at.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(at.slice(0, n), true)
      if (isNode(node) && node.range !== undefined && node.range !== null) {
        // Point at the key for a field, at the value for a scalar.
        return this.position(node.range[0])
      }
    }
    return { line: 1, column: 1 }
  }

  /** Line and column of a character offset in the file. */
  position (offset: number): { line: number, column: number } {
    const pos = this.#lines.linePos(offset)
    return { line: pos.line, column: pos.col }
  }

  /** The scalar node at `at`, if there is one (to point into a value, e.g. a column of an expression). */
  scalar (at: FieldPath): Scalar | undefined {
    const node = this.doc.getIn(at, true)
    return isScalar(node) ? node : undefined
  }

  fieldName (at: FieldPath): string {
    return this.#fieldName(at)
  }

  problem (at: FieldPath, message: string): ConfigProblem {
    return { file: this.file, ...this.locate(at), field: this.#fieldName(at), message }
  }

  syntaxProblems (): ConfigProblem[] {
    return this.doc.errors.map(e => {
      const pos = this.#lines.linePos(e.pos[0])
      return { file: this.file, line: pos.line, column: pos.col, field: '', message: `YAML: ${e.message.split('\n')[0]}` }
    })
  }
}

/** A zod issue as a user reads it: unknown fields named, a missing field with what to add. */
export function explainIssue (issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(k => `'${k}'`).join(', ')}; check the spelling`
  if (issue.code === 'invalid_type' && issue.input === undefined) return `required; add ${String(issue.path.at(-1))}: …`
  return issue.message
}

/** Every zod issue as a located problem, under `prefix` (the path of the value that was checked). */
export function issueProblems (src: ConfigSource, issues: readonly z.core.$ZodIssue[], prefix: FieldPath = []): ConfigProblem[] {
  return issues.map(issue => src.problem([...prefix, ...(issue.path as FieldPath)], explainIssue(issue)))
}
