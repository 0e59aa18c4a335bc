/**
 * Reading @grafana/lezer-logql's syntax tree: children by name, source text, and the problems
 * found while walking it. Node names are the grammar's (Selector, PipelineStage, BinOpExpr, …).
 */
import type { SyntaxNode } from '@lezer/common'
import { unquote } from './units.js'

export interface LogqlProblem { at: number, message: string }

/** Thrown to abandon the walk of one subtree; the problem is already recorded. */
export class Refused extends Error {}

export class Walk {
  readonly src: string
  readonly problems: LogqlProblem[] = []
  /** Offsets lifted out of the text before parsing, by the position just after their range's `]`. */
  readonly offsets: ReadonlyMap<number, string>
  constructor (src: string, offsets: ReadonlyMap<number, string> = new Map()) { this.src = src; this.offsets = offsets }

  text (n: SyntaxNode): string { return this.src.slice(n.from, n.to) }

  /** Records a problem and abandons the current subtree. */
  refuse (n: SyntaxNode | number, message: string): never {
    this.problems.push({ at: typeof n === 'number' ? n : n.from, message })
    throw new Refused(message)
  }

  /** Records a problem and lets the walk go on, so the rest of the expression is checked too. */
  note (n: SyntaxNode, message: string): void {
    this.problems.push({ at: n.from, message })
  }

  unsupported (n: SyntaxNode, feature: string): never {
    return this.refuse(n, `${feature} is not supported`)
  }

  /** A String node's value. */
  string (n: SyntaxNode): string {
    try {
      return unquote(this.text(n))
    } catch (err) {
      return this.refuse(n, (err as Error).message)
    }
  }

  /** Runs `fn`, keeping the problems it records but not letting a refusal stop the caller. */
  attempt<T> (fn: () => T): T | undefined {
    try {
      return fn()
    } catch (err) {
      if (err instanceof Refused) return undefined
      throw err
    }
  }
}

export function children (n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = []
  for (let c = n.firstChild; c !== null; c = c.nextSibling) out.push(c)
  return out
}

export function child (n: SyntaxNode, name: string): SyntaxNode | null {
  return n.getChild(name)
}

/**
 * The grammar nests lists to the left (`Matchers { Matchers "," Matcher }`,
 * `PipelineExpr { PipelineExpr PipelineStage }`): the items named `item`, in source order.
 */
export function flatList (n: SyntaxNode, item: string): SyntaxNode[] {
  const out: SyntaxNode[] = []
  for (const c of children(n)) {
    if (c.name === n.name) out.push(...flatList(c, item))
    else if (c.name === item) out.push(c)
  }
  return out
}

/** The first syntax error in the tree, as a problem. */
export function syntaxError (src: string, top: SyntaxNode): LogqlProblem | null {
  let found: LogqlProblem | null = null
  const cursor = top.cursor()
  do {
    if (cursor.type.isError) {
      const at = cursor.from
      const near = src.slice(at, at + 20).split('\n')[0]
      found = { at, message: at >= src.length ? 'syntax error: the expression ends too early' : `syntax error at '${near}'` }
      break
    }
  } while (cursor.next())
  return found
}
