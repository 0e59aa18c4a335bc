/**
 * Rule files: Prometheus / Loki rule groups, loaded unchanged
 * (`groups: [{ name, interval?, labels?, rules: [{ alert, expr, for, keep_firing_for, labels,
 * annotations }] }]`), plus Tidewatch's `new_pattern: { learning }` and
 * `new_term: { field, learning }` rules. Every problem is reported at once as
 * `file:line:column: groups[g].rules[i].field: message`, expression problems at the column of
 * the expression they are about.
 */
import fs from 'node:fs'
import path from 'node:path'
import { isMap, type Scalar } from 'yaml'
import { z } from 'zod'
import { ConfigError, ConfigSource, issueProblems, type ConfigProblem, type FieldPath } from '../shared/config-source.js'
import { compileRule, type CompiledRule, type RuleProblem, type RuleSpec } from './compile.js'
import { parseDurationSeconds } from './logql/units.js'

const duration = z.union([z.string(), z.literal(0)]).transform((v, ctx) => {
  const s = parseDurationSeconds(String(v), true)
  if (s === null || s < 0) { ctx.addIssue({ code: 'custom', message: `'${String(v)}' is not a duration; write it like 30s, 5m or 1h30m` }); return z.NEVER }
  return Math.round(s * 1000)
})
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const labelMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).superRefine((m, ctx) => {
  for (const k of Object.keys(m)) if (!labelName.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'label names are letters, digits and _, not starting with a digit' })
})
const textMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
const notSupported = (what: string): z.ZodType => z.unknown().superRefine((_, ctx) => { ctx.addIssue({ code: 'custom', message: what }) })

const ruleSchema = z.strictObject({
  alert: z.string().min(1).optional(),
  record: notSupported('recording rules are not supported; write it as an alerting rule (alert: …, expr: … > 0)').optional(),
  expr: z.string().min(1),
  for: duration.optional(),
  keep_firing_for: duration.optional(),
  labels: labelMap.optional(),
  annotations: textMap.optional(),
  new_pattern: z.strictObject({ learning: duration }).optional(),
  new_term: z.strictObject({ field: z.string().regex(labelName, 'a label name'), learning: duration }).optional()
})

const groupSchema = z.strictObject({
  name: z.string().min(1),
  interval: duration.optional(),
  labels: labelMap.optional(),
  limit: notSupported('limit is not supported').optional(),
  query_offset: notSupported('query_offset is not supported').optional(),
  rules: z.array(z.unknown())
})

const fileSchema = z.strictObject({ groups: z.array(z.unknown()) })

/** The string entries of a map the schema refused, so their templates are still checked. */
function stringsOf (v: unknown): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return {}
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>
}

const EMPTY_SPEC: RuleSpec = { group: '', alert: '', expr: '', forMs: 0, keepFiringForMs: 0, labels: {}, annotations: {} }

export interface RuleGroup { name: string, intervalMs?: number, rules: CompiledRule[] }
export interface RuleFile { file: string, groups: RuleGroup[], rules: CompiledRule[] }

/** `groups[0].rules[1].expr`, as the rule files' users read a path. */
function fieldName (at: FieldPath): string {
  return at.map((p, i) => typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`).join('')
}

/** Where character `index` of a scalar's value is in the file (quotes, escapes, folding and block indentation skipped). */
export function valueOffset (text: string, node: Scalar, index: number): number {
  const [start, end] = node.range ?? [0, 0]
  const raw = text.slice(start, end)
  const value = String(node.value)
  let p = 0
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') p = 1
  else if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') { p = raw.indexOf('\n') + 1; while (raw[p] === ' ') p++ }
  for (let k = 0; k < index && k < value.length && p < raw.length; k++) {
    const c = value[k]
    if (node.type === 'QUOTE_DOUBLE' && raw[p] === '\\') { p += ({ x: 4, u: 6, U: 10 } as Record<string, number>)[raw[p + 1]] ?? 2; continue }
    if (node.type === 'QUOTE_SINGLE' && raw[p] === "'" && raw[p + 1] === "'") { p += 2; continue }
    if (raw[p] === c) { p++; continue }
    if (/\s/.test(raw[p])) {
      // A line break folded into a space (or kept, in a block scalar), and the next line's indentation.
      while (p < raw.length && /\s/.test(raw[p])) p++
      if (c !== ' ' && c !== '\n') p++
      continue
    }
    p++
  }
  return start + p
}

export function parseRuleFile (file: string, text: string): RuleFile {
  const src = new ConfigSource(file, text, { fieldName })
  const syntax = src.syntaxProblems()
  if (syntax.length > 0) throw new ConfigError(syntax)
  if (!isMap(src.doc.contents)) throw new ConfigError([src.problem([], 'expected a rule file: groups: [{ name: …, rules: [{ alert: …, expr: … }] }]')])
  const raw = src.doc.toJS() as Record<string, unknown>
  const problems: ConfigProblem[] = []
  const top = fileSchema.safeParse(raw, { reportInput: true })
  if (!top.success) problems.push(...issueProblems(src, top.error.issues))
  const groups: RuleGroup[] = []
  const ids = new Map<string, number>()
  const groupNames = new Set<string>()
  const report = (at: FieldPath, found: RuleProblem[]): void => {
    for (const p of found) {
      const field: FieldPath = p.key === undefined ? [...at, p.field] : [...at, p.field, p.key]
      const node = p.at !== undefined ? src.scalar(field) : undefined
      const pos = node !== undefined ? src.position(valueOffset(text, node, p.at!)) : src.locate(field)
      problems.push({ file, ...pos, field: fieldName(field), message: p.message })
    }
  }
  const rawGroups = Array.isArray(raw.groups) ? raw.groups as unknown[] : []
  rawGroups.forEach((g, gi) => {
    const parsed = groupSchema.safeParse(g, { reportInput: true })
    if (!parsed.success) return problems.push(...issueProblems(src, parsed.error.issues, ['groups', gi]))
    const group = parsed.data
    if (groupNames.has(group.name)) problems.push(src.problem(['groups', gi, 'name'], `a group named '${group.name}' is already defined in this file; names must be unique`))
    groupNames.add(group.name)
    const out: RuleGroup = { name: group.name, intervalMs: group.interval, rules: [] }
    group.rules.forEach((r, ri) => {
      const at: FieldPath = ['groups', gi, 'rules', ri]
      const rule = ruleSchema.safeParse(r, { reportInput: true })
      const rawExpr = (r as { expr?: unknown } | null)?.expr
      if (!rule.success) {
        problems.push(...issueProblems(src, rule.error.issues, at))
        // The expression is still checked, so one run lists its problems too.
        const o = r as Record<string, unknown>
        if (typeof rawExpr === 'string') {
          report(at, compileRule('check', {
            ...EMPTY_SPEC,
            expr: rawExpr,
            labels: stringsOf(o.labels),
            annotations: stringsOf(o.annotations),
            newPattern: o.new_pattern !== undefined ? { learningMs: 0 } : undefined,
            newTerm: o.new_term !== undefined ? { field: 'term', learningMs: 0 } : undefined
          }).problems)
        }
        return
      }
      const d = rule.data
      if (d.alert === undefined) return problems.push(src.problem(at, 'required: alert (the alert\'s name)'))
      if (d.new_pattern !== undefined && d.new_term !== undefined) return problems.push(src.problem([...at, 'new_term'], 'a rule is new_pattern or new_term, not both'))
      const spec: RuleSpec = {
        group: group.name,
        alert: d.alert,
        expr: d.expr,
        forMs: d.for ?? 0,
        keepFiringForMs: d.keep_firing_for ?? 0,
        labels: { ...group.labels, ...d.labels },
        annotations: d.annotations ?? {},
        newPattern: d.new_pattern === undefined ? undefined : { learningMs: d.new_pattern.learning },
        newTerm: d.new_term === undefined ? undefined : { field: d.new_term.field, learningMs: d.new_term.learning }
      }
      const base = `${group.name}/${d.alert}`
      const n = (ids.get(base) ?? 0) + 1
      ids.set(base, n)
      const compiled = compileRule(n === 1 ? base : `${base}#${n}`, spec)
      report(at, compiled.problems)
      if (compiled.rule !== undefined) out.rules.push(compiled.rule)
    })
    groups.push(out)
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return { file: path.resolve(file), groups, rules: groups.flatMap(g => g.rules) }
}

export function loadRuleFile (file: string): RuleFile {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, field: '', message: `cannot read the rule file: ${(err as Error).message}` }])
  }
  return parseRuleFile(file, text)
}

/** Whether a YAML text is a rule file (a mapping with `groups:`), for commands that take either kind. */
export function isRuleFileText (text: string): boolean {
  return /^groups\s*:/m.test(text)
}
