/**
 * The functions LogQL's line_format and label_format templates call (Loki's template_functions
 * page): Go's strings functions under their Go names, Sprig's under theirs, math, regexes (RE2)
 * and `__line__` / `__timestamp__` for the entry being formatted. Functions that read the clock
 * (`now`) are left out: a rule's result must depend on its records only.
 */
import { compileRe2, replaceAllRe2, type Re2 } from '../../shared/re2.js'
import { sprintf } from '../../shared/template/go-format.js'
import { print, type TemplateFunction } from '../../shared/template/render.js'
import { parseBytes, parseDurationSeconds, parseFloat64 } from './units.js'

const str = (v: unknown): string => print(v)
const num = (v: unknown): number => typeof v === 'number' ? v : parseFloat64(str(v).trim()) ?? 0
const int = (v: unknown): number => Math.trunc(num(v))

// Compiled regexes by pattern, bounded: templates use a handful of fixed patterns.
const regexes = new Map<string, Re2>()
function regex (pattern: string): Re2 {
  let re = regexes.get(pattern)
  if (re === undefined) {
    if (regexes.size >= 256) regexes.clear()
    re = compileRe2(pattern)
    regexes.set(pattern, re)
  }
  return re
}

function trimSet (s: string, cutset: string, left: boolean, right: boolean): string {
  let a = 0
  let b = s.length
  while (left && a < b && cutset.includes(s[a])) a++
  while (right && b > a && cutset.includes(s[b - 1])) b--
  return s.slice(a, b)
}

/** The current entry, for `__line__` and `__timestamp__`. */
export interface FormatContext { line: string, ts: number }

export function lokiTemplateFunctions (ctx: FormatContext): Record<string, TemplateFunction> {
  return {
    __line__: () => ctx.line,
    __timestamp__: () => new Date(ctx.ts),
    ToLower: (s: unknown) => str(s).toLowerCase(),
    ToUpper: (s: unknown) => str(s).toUpperCase(),
    lower: (s: unknown) => str(s).toLowerCase(),
    upper: (s: unknown) => str(s).toUpperCase(),
    Title: (s: unknown) => str(s).replace(/\b\w/g, c => c.toUpperCase()),
    Replace: (s: unknown, old: unknown, rep: unknown, n: unknown) => {
      let count = int(n)
      return count < 0 ? str(s).split(str(old)).join(str(rep)) : str(s).replace(new RegExp(str(old).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), m => count-- > 0 ? str(rep) : m)
    },
    replace: (old: unknown, rep: unknown, s: unknown) => str(s).split(str(old)).join(str(rep)),
    Trim: (s: unknown, cut: unknown) => trimSet(str(s), str(cut), true, true),
    TrimLeft: (s: unknown, cut: unknown) => trimSet(str(s), str(cut), true, false),
    TrimRight: (s: unknown, cut: unknown) => trimSet(str(s), str(cut), false, true),
    TrimPrefix: (s: unknown, p: unknown) => str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s),
    TrimSuffix: (s: unknown, p: unknown) => str(p) !== '' && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s),
    TrimSpace: (s: unknown) => str(s).trim(),
    trim: (s: unknown) => str(s).trim(),
    trimAll: (cut: unknown, s: unknown) => trimSet(str(s), str(cut), true, true),
    trimPrefix: (p: unknown, s: unknown) => str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s),
    trimSuffix: (p: unknown, s: unknown) => str(p) !== '' && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s),
    trunc: (n: unknown, s: unknown) => { const c = int(n); const r = [...str(s)]; return (c >= 0 ? r.slice(0, c) : r.slice(Math.max(0, r.length + c))).join('') },
    substr: (a: unknown, b: unknown, s: unknown) => { const r = [...str(s)]; const start = int(a); const end = int(b); return (start < 0 ? r.slice(0, end) : end < 0 || end > r.length ? r.slice(start) : r.slice(start, end)).join('') },
    repeat: (n: unknown, s: unknown) => str(s).repeat(Math.max(0, Math.min(int(n), 10_000))),
    contains: (sub: unknown, s: unknown) => str(s).includes(str(sub)),
    hasPrefix: (p: unknown, s: unknown) => str(s).startsWith(str(p)),
    hasSuffix: (p: unknown, s: unknown) => str(s).endsWith(str(p)),
    alignLeft: (n: unknown, s: unknown) => { const r = [...str(s)]; const c = int(n); return r.length >= c ? r.slice(0, c).join('') : str(s) + ' '.repeat(c - r.length) },
    alignRight: (n: unknown, s: unknown) => { const r = [...str(s)]; const c = int(n); return r.length >= c ? r.slice(r.length - c).join('') : ' '.repeat(c - r.length) + str(s) },
    indent: (n: unknown, s: unknown) => str(s).split('\n').map(l => ' '.repeat(Math.max(0, int(n))) + l).join('\n'),
    nindent: (n: unknown, s: unknown) => '\n' + str(s).split('\n').map(l => ' '.repeat(Math.max(0, int(n))) + l).join('\n'),
    printf: (format: unknown, ...args: unknown[]) => sprintf(str(format), ...args),
    regexReplaceAll: (re: unknown, s: unknown, repl: unknown) => replaceAllRe2(regex(str(re)), str(s), str(repl)),
    regexReplaceAllLiteral: (re: unknown, s: unknown, repl: unknown) => replaceAllRe2(regex(str(re)), str(s), str(repl), true),
    count: (re: unknown, s: unknown) => {
      let n = 0
      const text = str(s)
      for (let m = regex(str(re)).search(text); m !== null; m = regex(str(re)).search(text, m.index + Math.max(1, (m.groups[0] ?? '').length))) n++
      return n
    },
    urlencode: (s: unknown) => encodeURIComponent(str(s)),
    urldecode: (s: unknown) => { try { return decodeURIComponent(str(s).replace(/\+/g, ' ')) } catch { return '' } },
    b64enc: (s: unknown) => Buffer.from(str(s)).toString('base64'),
    b64dec: (s: unknown) => Buffer.from(str(s), 'base64').toString(),
    add: (...vs: unknown[]) => vs.reduce<number>((a, v) => a + int(v), 0),
    sub: (a: unknown, b: unknown) => int(a) - int(b),
    mul: (...vs: unknown[]) => vs.reduce<number>((a, v) => a * int(v), 1),
    div: (a: unknown, b: unknown) => int(b) === 0 ? 0 : Math.trunc(int(a) / int(b)),
    mod: (a: unknown, b: unknown) => int(b) === 0 ? 0 : int(a) % int(b),
    addf: (...vs: unknown[]) => vs.reduce<number>((a, v) => a + num(v), 0),
    subf: (a: unknown, ...vs: unknown[]) => vs.reduce<number>((x, v) => x - num(v), num(a)),
    mulf: (...vs: unknown[]) => vs.reduce<number>((a, v) => a * num(v), 1),
    divf: (a: unknown, ...vs: unknown[]) => vs.reduce<number>((x, v) => x / num(v), num(a)),
    int: (v: unknown) => int(v),
    float64: (v: unknown) => num(v),
    floor: (v: unknown) => Math.floor(num(v)),
    ceil: (v: unknown) => Math.ceil(num(v)),
    round: (v: unknown, places: unknown) => { const p = 10 ** int(places ?? 0); return Math.round(num(v) * p) / p },
    max: (...vs: unknown[]) => Math.max(...vs.map(int)),
    min: (...vs: unknown[]) => Math.min(...vs.map(int)),
    maxf: (...vs: unknown[]) => Math.max(...vs.map(num)),
    minf: (...vs: unknown[]) => Math.min(...vs.map(num)),
    bytes: (v: unknown) => parseBytes(str(v)) ?? 0,
    duration: (v: unknown) => parseDurationSeconds(str(v)) ?? 0,
    duration_seconds: (v: unknown) => parseDurationSeconds(str(v)) ?? 0,
    unixEpoch: (d: unknown) => Math.floor((d instanceof Date ? d.getTime() : num(d) * 1000) / 1000),
    unixEpochMillis: (d: unknown) => d instanceof Date ? d.getTime() : num(d) * 1000,
    unixEpochNanos: (d: unknown) => (d instanceof Date ? d.getTime() : num(d) * 1000) * 1e6,
    unixToTime: (v: unknown) => { const n = num(v); return new Date(n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1e3 : n / 1e6) }
  }
}

/** The names a template may call (for the load-time check). */
export const LOKI_TEMPLATE_FUNCTIONS: ReadonlySet<string> = new Set(Object.keys(lokiTemplateFunctions({ line: '', ts: 0 })))
