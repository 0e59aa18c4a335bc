/**
 * A small, safe template language written like Go's text/template (which Alertmanager, Prometheus
 * and Loki users know) but limited to reading data: `{{ .GroupLabels.alertname }}`,
 * `{{ len .Alerts }}`, `{{ .Status | toUpper }}`, `{{ if … }}…{{ else }}…{{ end }}`,
 * `{{ range .Alerts }}…{{ end }}`, `{{ with … }}`, `{{ template "slack.default.title" . }}`,
 * variables the caller provides (`{{ $labels.pod }}`, `{{ $value }}`, as Prometheus' alert
 * templates have them), `{{- trim -}}` markers and comments (a slash-star comment inside the
 * braces). There are no assignments, no method calls and no way to reach anything but the data,
 * the caller's variables and a fixed list of functions. The notifier's messages, rule
 * annotations and LogQL's line_format / label_format all use it, each with its own functions.
 *
 * This file turns text into a tree; render.ts evaluates it. Parse errors name the position.
 */
export type Operand =
  | { kind: 'field', root: boolean, path: string[] }
  | { kind: 'string', value: string }
  | { kind: 'number', value: number }
  | { kind: 'bool', value: boolean }
  | { kind: 'ident', name: string }
  /** `$name.path`: a variable the caller defines (`$` alone is the root, as in Go). */
  | { kind: 'var', name: string, path: string[] }
  | { kind: 'pipe', pipe: Pipe }

/** `a | f x | g`: commands in order; each later command gets the previous value as its last argument. */
export interface Pipe { commands: Operand[][] }

export type Node =
  | { kind: 'text', text: string }
  | { kind: 'output', pipe: Pipe }
  | { kind: 'if' | 'with' | 'range', pipe: Pipe, body: Node[], otherwise: Node[] }
  | { kind: 'template', name: string, pipe?: Pipe }

export class TemplateError extends Error {
  constructor (message: string) { super(message); this.name = 'TemplateError' }
}

interface Action { words: string, offset: number }

type Token = { t: 'field', root: boolean, path: string[] } | { t: 'var', name: string, path: string[] } | { t: 'string', v: string } | { t: 'number', v: number } | { t: 'ident', v: string } | { t: '|' } | { t: '(' } | { t: ')' }

function tokenize (src: string, at: number): Token[] {
  const tokens: Token[] = []
  let i = 0
  const fail = (what: string): never => { throw new TemplateError(`at offset ${at + i}: ${what}`) }
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) { i++; continue }
    if (c === '|' || c === '(' || c === ')') { tokens.push({ t: c } as Token); i++; continue }
    if (c === '"' || c === '`') {
      let v = ''
      let j = i + 1
      for (; j < src.length && src[j] !== c; j++) {
        if (c === '"' && src[j] === '\\' && j + 1 < src.length) {
          const n = src[++j]
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n
        } else {
          v += src[j]
        }
      }
      if (j >= src.length) fail('unterminated string')
      tokens.push({ t: 'string', v })
      i = j + 1
      continue
    }
    const word = /^(\$[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*|\$?(\.[A-Za-z_][A-Za-z0-9_]*)+|\$|\.|-?\d+(\.\d+)?([eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i))
    if (word === null) fail(`unexpected '${c}'`)
    const w = word![0]
    i += w.length
    if (/^-?\d/.test(w)) tokens.push({ t: 'number', v: Number(w) })
    else if (/^\$[A-Za-z_]/.test(w)) { const [name, ...path] = w.slice(1).split('.'); tokens.push({ t: 'var', name, path }) }
    else if (w === '.' || w === '$') tokens.push({ t: 'field', root: w === '$', path: [] })
    else if (w.startsWith('.') || w.startsWith('$')) tokens.push({ t: 'field', root: w.startsWith('$'), path: w.replace(/^\$/, '').slice(1).split('.') })
    else tokens.push({ t: 'ident', v: w })
  }
  return tokens
}

function parsePipe (tokens: Token[], pos: { i: number }, closing: boolean): Pipe {
  const commands: Operand[][] = [[]]
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i++]
    if (tok.t === ')') {
      if (!closing) throw new TemplateError("unexpected ')'")
      return check(commands)
    }
    if (tok.t === '|') { commands.push([]); continue }
    const cmd = commands[commands.length - 1]
    if (tok.t === '(') cmd.push({ kind: 'pipe', pipe: parsePipe(tokens, pos, true) })
    else if (tok.t === 'field') cmd.push({ kind: 'field', root: tok.root, path: tok.path })
    else if (tok.t === 'var') cmd.push({ kind: 'var', name: tok.name, path: tok.path })
    else if (tok.t === 'string') cmd.push({ kind: 'string', value: tok.v })
    else if (tok.t === 'number') cmd.push({ kind: 'number', value: tok.v })
    else if (tok.v === 'true' || tok.v === 'false') cmd.push({ kind: 'bool', value: tok.v === 'true' })
    else cmd.push({ kind: 'ident', name: tok.v })
  }
  if (closing) throw new TemplateError("missing ')'")
  return check(commands)
}

function check (commands: Operand[][]): Pipe {
  if (commands.some(c => c.length === 0)) throw new TemplateError('empty command in a pipeline')
  return { commands }
}

function pipeOf (words: string, at: number): Pipe {
  const tokens = tokenize(words, at)
  if (tokens.length === 0) throw new TemplateError(`at offset ${at}: empty action`)
  return parsePipe(tokens, { i: 0 }, false)
}

/** Splits the text into literal text and `{{ … }}` actions, applying `{{-` and `-}}` trimming. */
function lex (src: string): (string | Action)[] {
  const out: (string | Action)[] = []
  let i = 0
  while (i < src.length) {
    const open = src.indexOf('{{', i)
    if (open < 0) { out.push(src.slice(i)); break }
    let text = src.slice(i, open)
    let start = open + 2
    if (src.startsWith('- ', start) || src.startsWith('-\n', start) || src.startsWith('-\t', start)) { text = text.trimEnd(); start++ }
    if (text !== '') out.push(text)
    const close = src.indexOf('}}', start)
    if (close < 0) throw new TemplateError(`at offset ${open}: '{{' without '}}'`)
    let end = close
    let trimAfter = false
    if (/\s-$/.test(src.slice(start, close))) { end = close - 1; trimAfter = true }
    const words = src.slice(start, end).trim()
    if (!(words.startsWith('/*') && words.endsWith('*/'))) out.push({ words, offset: start })
    i = close + 2
    if (trimAfter) while (i < src.length && /\s/.test(src[i])) i++
  }
  return out
}

/** Parses a template; throws TemplateError naming what is wrong and where. */
export function parseTemplate (src: string): Node[] {
  const parts = lex(src)
  const pos = { i: 0 }
  const nodes = parseList(parts, pos, [])
  if (pos.i < parts.length) throw new TemplateError(`at offset ${(parts[pos.i] as Action).offset}: unexpected {{ ${(parts[pos.i] as Action).words} }}`)
  return nodes
}

function parseList (parts: (string | Action)[], pos: { i: number }, stops: string[]): Node[] {
  const nodes: Node[] = []
  while (pos.i < parts.length) {
    const p = parts[pos.i]
    if (typeof p === 'string') { nodes.push({ kind: 'text', text: p }); pos.i++; continue }
    const keyword = /^(\w+)\b\s*(.*)$/s.exec(p.words)
    const head = keyword?.[1] ?? ''
    if (stops.includes(head)) return nodes
    pos.i++
    if (head === 'if' || head === 'with' || head === 'range') {
      nodes.push(parseBlock(parts, pos, head, keyword![2], p.offset))
    } else if (head === 'template') {
      const name = /^"([^"]*)"\s*(.*)$/s.exec(keyword![2])
      if (name === null) throw new TemplateError(`at offset ${p.offset}: expected {{ template "name" . }}`)
      nodes.push({ kind: 'template', name: name[1], pipe: name[2].trim() === '' ? undefined : pipeOf(name[2], p.offset) })
    } else if (head === 'end' || head === 'else') {
      throw new TemplateError(`at offset ${p.offset}: {{ ${head} }} without {{ if }}, {{ with }} or {{ range }}`)
    } else if (['define', 'block'].includes(head)) {
      throw new TemplateError(`at offset ${p.offset}: {{ ${head} }} is not supported; write the text in place`)
    } else {
      nodes.push({ kind: 'output', pipe: pipeOf(p.words, p.offset) })
    }
  }
  return nodes
}

/** An if/with/range block whose opening action was just consumed, through its {{ end }}. */
function parseBlock (parts: (string | Action)[], pos: { i: number }, head: 'if' | 'with' | 'range', words: string, offset: number): Node {
  const pipe = pipeOf(words, offset + head.length)
  const body = parseList(parts, pos, ['else', 'end'])
  const stop = parts[pos.i] as Action | undefined
  if (stop === undefined) throw new TemplateError(`at offset ${offset}: {{ ${head} }} without {{ end }}`)
  pos.i++
  let otherwise: Node[] = []
  if (stop.words.startsWith('else')) {
    const chained = /^(if|with)\b\s*(.*)$/s.exec(stop.words.slice(4).trim())
    if (chained !== null) {
      // `{{ else if x }}`: a nested block that shares the outer one's {{ end }}.
      otherwise = [parseBlock(parts, pos, chained[1] as 'if' | 'with', chained[2], stop.offset)]
    } else {
      otherwise = parseList(parts, pos, ['end'])
      if (pos.i >= parts.length) throw new TemplateError(`at offset ${offset}: {{ ${head} }} without {{ end }}`)
      pos.i++
    }
  }
  return { kind: head, pipe, body, otherwise }
}

/** Names of the functions and variables a template uses, so a caller can refuse unknown ones at load. */
export function namesUsed (nodes: readonly Node[]): { functions: Set<string>, variables: Set<string> } {
  const out = { functions: new Set<string>(), variables: new Set<string>() }
  const pipe = (p: Pipe): void => { for (const cmd of p.commands) for (const op of cmd) operand(op) }
  const operand = (op: Operand): void => {
    if (op.kind === 'ident') out.functions.add(op.name)
    else if (op.kind === 'var') out.variables.add(op.name)
    else if (op.kind === 'pipe') pipe(op.pipe)
  }
  const walk = (list: readonly Node[]): void => {
    for (const n of list) {
      if (n.kind === 'output') pipe(n.pipe)
      else if (n.kind === 'template') { if (n.pipe !== undefined) pipe(n.pipe) } else if (n.kind !== 'text') { pipe(n.pipe); walk(n.body); walk(n.otherwise) }
    }
  }
  walk(nodes)
  return out
}
