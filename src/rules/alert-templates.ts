/**
 * Templates in a rule's labels and annotations, as Prometheus expands them: `{{ $labels.pod }}`,
 * `{{ $value }}` (a float64, printed as Go prints it), `.Labels` / `.Value`, and Prometheus'
 * template functions that need nothing but the alert (humanize, printf, reReplaceAll, …).
 * Functions that query a server (`query`) are refused at load. A template that fails when an
 * alert is expanded gives `<error expanding template: …>` in its place, as in Prometheus.
 */
import { compileRe2, replaceAllRe2 } from '../shared/re2.js'
import { goFloat, humanize, humanizeDuration, sprintf, formatG } from '../shared/template/go-format.js'
import { print, Template, TemplateError, type TemplateFunction } from '../shared/template/render.js'
import { parseDurationSeconds } from './logql/units.js'
import type { LabelSet } from './labels.js'

const str = (v: unknown): string => print(v)
const num = (v: unknown): number => typeof v === 'number' ? v : Number(str(v))

export const ALERT_TEMPLATE_FUNCTIONS: Readonly<Record<string, TemplateFunction>> = {
  humanize: (v: unknown) => humanize(v),
  humanize1024: (v: unknown) => {
    let n = num(v)
    if (Math.abs(n) <= 1 || !Number.isFinite(n)) return formatG(n, 4)
    let prefix = ''
    for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) { if (Math.abs(n) < 1024) break; prefix = p; n /= 1024 }
    return formatG(n, 4) + prefix
  },
  humanizeDuration: (v: unknown) => humanizeDuration(v),
  humanizePercentage: (v: unknown) => formatG(num(v) * 100, 4) + '%',
  humanizeTimestamp: (v: unknown) => { const n = num(v); return Number.isFinite(n) ? new Date(n * 1000).toISOString().replace('T', ' ').replace('Z', ' +0000 UTC') : formatG(n, 4) },
  printf: (format: unknown, ...args: unknown[]) => sprintf(str(format), ...args),
  reReplaceAll: (pattern: unknown, repl: unknown, text: unknown) => replaceAllRe2(compileRe2(str(pattern)), str(text), str(repl)),
  match: (pattern: unknown, text: unknown) => compileRe2(str(pattern)).test(str(text)),
  stripPort: (v: unknown) => { const s = str(v); const m = /^\[(.*)\](:\d+)?$/.exec(s); return m !== null ? m[1] : s.split(':').length === 2 ? s.split(':')[0] : s },
  stripDomain: (v: unknown) => { const s = str(v); const [host, port] = s.includes(':') && !s.includes('::') ? s.split(':') : [s, undefined]; const short = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : host.split('.')[0]; return port !== undefined ? `${short}:${port}` : short },
  parseDuration: (v: unknown) => parseDurationSeconds(str(v), true) ?? 0
}

const BASE_FUNCTIONS = new Set(['len', 'toUpper', 'toLower', 'title', 'trimSpace', 'join', 'urlquery', 'html', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'not', 'and', 'or', 'default'])
const VARIABLES = new Set(['labels', 'value', 'externalLabels', 'externalURL'])

/** Compiles a label or annotation template; throws an Error naming what is not supported. */
export function compileAlertTemplate (source: string): Template {
  const t = new Template(source)
  const { functions, variables } = t.namesUsed()
  for (const f of functions) {
    if (!BASE_FUNCTIONS.has(f) && !Object.hasOwn(ALERT_TEMPLATE_FUNCTIONS, f)) throw new TemplateError(`the template function '${f}' is not supported`)
  }
  for (const v of variables) if (!VARIABLES.has(v)) throw new TemplateError(`undefined variable $${v}; defined: $labels, $value, $externalLabels, $externalURL`)
  return t
}

export interface AlertTemplateData { labels: LabelSet, value: number, externalLabels?: LabelSet, externalURL?: string }

/** Expands a template for one alert; a failure reads as Prometheus writes it. */
export function expandAlertTemplate (t: Template, d: AlertTemplateData): string {
  const externalLabels = d.externalLabels ?? {}
  const externalURL = d.externalURL ?? ''
  try {
    return t.render({ Labels: d.labels, Value: d.value, ExternalLabels: externalLabels, ExternalURL: externalURL }, {
      vars: { labels: d.labels, value: d.value, externalLabels, externalURL },
      functions: ALERT_TEMPLATE_FUNCTIONS,
      printNumber: goFloat
    })
  } catch (err) {
    return `<error expanding template: ${(err as Error).message}>`
  }
}
