/**
 * Evaluates a parsed template against its data. Only data is read: a field is an
 * own property of a plain object (never a prototype's, so `.constructor` is simply empty), or one
 * of the few computed fields Alertmanager's data has (`.Alerts.Firing`, `.SortedPairs`, `.Names`,
 * `.Values`). Functions come from a fixed list, which a caller may extend (LogQL's line_format
 * functions, Prometheus' humanize). Output is capped, so a template cannot turn one notification
 * into megabytes.
 */
import { namesUsed, parseTemplate, TemplateError, type Node, type Operand, type Pipe } from './parse.js'

export { TemplateError }

export type TemplateFunction = (...args: any[]) => unknown

/** Named templates a template may call with `{{ template "name" . }}` (the built-in defaults). */
export type NamedTemplates = Readonly<Record<string, (data: any) => string>>

export interface RenderOptions {
  /** Applied to every value an action prints (HTML-escaping for e-mail bodies); literal text is kept. */
  escape?: (s: string) => string
  named?: NamedTemplates
  maxOutputChars?: number
  /** Values of `$name` variables (Prometheus' `$labels`, `$value`). */
  vars?: Readonly<Record<string, unknown>>
  /** Functions beside (or instead of) the built-in ones, by name. */
  functions?: Readonly<Record<string, TemplateFunction>>
  /** How a number prints (Go prints floats as %v: 1e+06); String() when unset. */
  printNumber?: (n: number) => string
}

const MAX_OUTPUT_CHARS = 256 * 1024

const FUNCTIONS: Record<string, TemplateFunction> = {
  len: (v: unknown) => Array.isArray(v) ? v.length : typeof v === 'string' ? [...v].length : isObject(v) ? Object.keys(v).length : 0,
  toUpper: (s: unknown) => print(s).toUpperCase(),
  toLower: (s: unknown) => print(s).toLowerCase(),
  title: (s: unknown) => print(s).replace(/\b\w/g, c => c.toUpperCase()),
  trimSpace: (s: unknown) => print(s).trim(),
  join: (sep: unknown, list: unknown) => (Array.isArray(list) ? list : []).map(v => print(v)).join(print(sep)),
  urlquery: (s: unknown) => encodeURIComponent(print(s)),
  html: (s: unknown) => escapeHtml(print(s)),
  /** 1234 → "1,234". */
  number: (n: unknown) => Number(n).toLocaleString('en-US'),
  truncate: (max: unknown, s: unknown) => { const r = [...print(s)]; return r.length <= Number(max) ? print(s) : r.slice(0, Math.max(0, Number(max) - 1)).join('') + '…' },
  default: (fallback: unknown, v: unknown) => truthy(v) ? v : fallback,
  eq: (a: unknown, ...bs: unknown[]) => bs.some(b => a === b),
  ne: (a: unknown, b: unknown) => a !== b,
  lt: (a: any, b: any) => a < b,
  le: (a: any, b: any) => a <= b,
  gt: (a: any, b: any) => a > b,
  ge: (a: any, b: any) => a >= b,
  not: (v: unknown) => !truthy(v),
  and: (...vs: unknown[]) => vs.find(v => !truthy(v)) ?? vs[vs.length - 1],
  or: (...vs: unknown[]) => vs.find(v => truthy(v)) ?? vs[vs.length - 1]
}

export const TEMPLATE_FUNCTIONS = Object.keys(FUNCTIONS)

export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!)
}

export function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Go's truth: false, 0, "", nil and empty lists and maps are false. */
export function truthy (v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0
  if (isObject(v)) return Object.keys(v).length > 0
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== ''
}

export function print (v: unknown, printNumber?: (n: number) => string): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' && printNumber !== undefined) return printNumber(v)
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return `[${v.map((x: unknown) => print(x, printNumber)).join(' ')}]`
  if (isObject(v)) return Object.keys(v).sort().map(k => `${k}=${print(v[k], printNumber)}`).join(' ')
  return String(v)
}

/** A field of a value: an own property, or a computed field of Alertmanager's template data. */
function field (v: unknown, name: string): unknown {
  if (Array.isArray(v)) {
    if (name === 'Firing' || name === 'Resolved') return v.filter(a => isObject(a) && a.Status === name.toLowerCase())
    if (name === 'Names' || name === 'Values') return v.map(p => isObject(p) ? p[name.slice(0, -1)] : undefined)
    return undefined
  }
  if (!isObject(v)) return undefined
  if (Object.hasOwn(v, name)) return v[name]
  const names = Object.keys(v).sort()
  if (name === 'SortedPairs') return names.map(n => ({ Name: n, Value: v[n] }))
  if (name === 'Names') return names
  if (name === 'Values') return names.map(n => v[n])
  return undefined
}

interface Scope { dot: unknown, root: unknown, o: RenderOptions, out: { chars: number } }

function operand (op: Operand, s: Scope): unknown {
  switch (op.kind) {
    case 'field': return op.path.reduce(field, op.root ? s.root : s.dot)
    case 'string': case 'number': case 'bool': return op.value
    case 'pipe': return pipe(op.pipe, s)
    case 'ident': return call(op.name, [], s)
    case 'var': {
      const vars = s.o.vars ?? {}
      if (!Object.hasOwn(vars, op.name)) throw new TemplateError(`undefined variable $${op.name}`)
      return op.path.reduce(field, vars[op.name])
    }
  }
}

function call (name: string, args: unknown[], s: Scope): unknown {
  const extra = s.o.functions
  const fn = extra !== undefined && Object.hasOwn(extra, name) ? extra[name] : Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined
  if (fn === undefined) throw new TemplateError(`unknown function '${name}'; available: ${[...TEMPLATE_FUNCTIONS, ...Object.keys(extra ?? {})].join(', ')}`)
  return fn(...args)
}

function pipe (p: Pipe, s: Scope): unknown {
  let value: unknown
  p.commands.forEach((cmd, i) => {
    const [head, ...rest] = cmd
    const piped = i > 0 ? [value] : []
    if (head.kind === 'ident') {
      value = call(head.name, [...rest.map(r => operand(r, s)), ...piped], s)
    } else {
      if (rest.length > 0 || piped.length > 0) throw new TemplateError('only a function can take arguments (e.g. {{ .Alerts | len }}, {{ join " " .Values }})')
      value = operand(head, s)
    }
  })
  return value
}

function emit (text: string, s: Scope, acc: string[]): void {
  s.out.chars += text.length
  if (s.out.chars > (s.o.maxOutputChars ?? MAX_OUTPUT_CHARS)) throw new TemplateError(`output longer than ${s.o.maxOutputChars ?? MAX_OUTPUT_CHARS} characters`)
  acc.push(text)
}

function run (nodes: readonly Node[], s: Scope, acc: string[]): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': emit(n.text, s, acc); break
      case 'output': emit((s.o.escape ?? (x => x))(print(pipe(n.pipe, s), s.o.printNumber)), s, acc); break
      case 'if': run(truthy(pipe(n.pipe, s)) ? n.body : n.otherwise, s, acc); break
      case 'with': {
        const v = pipe(n.pipe, s)
        if (truthy(v)) run(n.body, { ...s, dot: v }, acc)
        else run(n.otherwise, s, acc)
        break
      }
      case 'range': {
        const v = pipe(n.pipe, s)
        const items = Array.isArray(v) ? v : isObject(v) ? Object.keys(v).sort().map(k => v[k]) : []
        if (items.length === 0) run(n.otherwise, s, acc)
        for (const item of items) run(n.body, { ...s, dot: item }, acc)
        break
      }
      case 'template': {
        const t = s.o.named?.[n.name]
        if (t === undefined) throw new TemplateError(`no template named "${n.name}"; available: ${Object.keys(s.o.named ?? {}).join(', ')}`)
        emit(t(n.pipe === undefined ? undefined : pipe(n.pipe, s)), s, acc)
        break
      }
    }
  }
}

/** A parsed template, ready to render many times. */
export class Template {
  readonly source: string
  readonly #nodes: Node[]

  constructor (source: string) {
    this.source = source
    this.#nodes = parseTemplate(source)
  }

  /** The functions and `$variables` it uses (for a load-time check against what will be defined). */
  namesUsed (): { functions: Set<string>, variables: Set<string> } {
    return namesUsed(this.#nodes)
  }

  /** Renders against `data`; throws TemplateError (unknown function, output too long, …). */
  render (data: unknown, o: RenderOptions = {}): string {
    const acc: string[] = []
    run(this.#nodes, { dot: data, root: data, o, out: { chars: 0 } }, acc)
    return acc.join('')
  }
}
