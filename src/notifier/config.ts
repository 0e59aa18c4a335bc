/**
 * The notifier's routing config: Alertmanager's YAML (`global`, `route`, `receivers`,
 * `inhibit_rules`) validated into a resolved route tree, receivers with their secrets wrapped, and
 * inhibit rules. Every problem is reported at once as `file:line:column: field: what to fix`.
 */
import fs from 'node:fs'
import path from 'node:path'
import { isMap } from 'yaml'
import type { z } from 'zod'
import { ConfigError, ConfigSource, type ConfigProblem } from '../shared/config-source.js'
import { Secret, secretUrl } from '../shared/secret.js'
import { DEFAULT_TIMEOUT_MS } from '../shared/http-delivery.js'
import { DEFAULT_INPUT_LIMITS, LIMIT_FIELDS, type InputLimits } from './input-limits.js'
import { fieldsAt, globalSchema, limitsSchema, notifierFileSchema, receiverSchema, routeNodeSchema, unknownFieldMessage, type GlobalFile, type ReceiverFile } from './config-schema.js'
import type { InhibitRule } from './inhibit.js'
import { legacyMatchers } from './matchers.js'
import { buildRouteTree, type Route, type RouteSpec } from './route.js'
import type { Template } from './template/index.js'

/** The most one HTTP request to a receiver may take, unless its `timeout` says otherwise. */
export const DEFAULT_RECEIVER_TIMEOUT_MS = DEFAULT_TIMEOUT_MS

export type IntegrationConfig =
  | { type: 'webhook', index: number, url: Secret, sendResolved: boolean, maxAlerts: number, timeoutMs: number }
  | {
    type: 'slack', index: number, apiUrl: Secret, sendResolved: boolean, maxAlerts: number, timeoutMs: number, channel?: string, iconEmoji?: string, iconUrl?: string,
    username?: Template, color?: Template, title?: Template, titleLink?: Template, pretext?: Template, text?: Template, fallback?: Template, footer?: Template
  }
  | {
    type: 'email', index: number, to: string, from: string, smarthost: { host: string, port: number }, hello: string, maxAlerts: number,
    authUsername?: string, authPassword?: Secret, requireTls: boolean, headers: Record<string, Template>, html?: Template, text?: Template, sendResolved: boolean
  }
  /** Tidewatch's extension: forward alerts to another Alertmanager-compatible API. */
  | { type: 'alertmanager', index: number, url: Secret, sendResolved: boolean, timeoutMs: number }

/**
 * A named receiver: one or more integrations. An integration is identified, as in Alertmanager's
 * notification log, by receiver name, type and its index among that type's configs.
 */
export interface ReceiverConfig {
  name: string
  integrations: IntegrationConfig[]
  /** Tidewatch's `rate_limit`: for each integration, one message per intervalMs on average, bursts of `burst`. */
  rateLimit?: { intervalMs: number, burst: number }
}

export interface NotifierConfig {
  file: string
  /** For alerts posted without endsAt (global.resolve_timeout, default 5m). */
  resolveTimeoutMs: number
  route: Route
  receivers: Map<string, ReceiverConfig>
  inhibitRules: InhibitRule[]
  /** Firing alerts held per alertname; more are counted, not held (0: no limit). */
  maxActiveAlertsPerAlertname: number
  /** How big posted alerts and silences may be (the `limits:` block; input-limits.ts). */
  inputLimits: InputLimits
}

type Path = (string | number)[]

function problemsOf (src: ConfigSource, issues: readonly z.core.$ZodIssue[], prefix: Path): ConfigProblem[] {
  return issues.flatMap(issue => {
    const at = [...prefix, ...(issue.path as Path)]
    if (issue.code === 'unrecognized_keys') return issue.keys.map(k => src.problem([...at, k], unknownFieldMessage(at, k, fieldsAt(at))))
    if (issue.code === 'invalid_type' && issue.input === undefined) return [src.problem(at, 'required')]
    return [src.problem(at, issue.message)]
  })
}

interface RouteWalk { problems: ConfigProblem[], receivers: { at: Path, name: string }[] }

/** Validates one route node and, recursively, its children; undefined when anything is wrong. */
function parseRoute (src: ConfigSource, raw: unknown, at: Path, walk: RouteWalk): RouteSpec | undefined {
  const parsed = routeNodeSchema.safeParse(raw, { reportInput: true })
  if (!parsed.success) walk.problems.push(...problemsOf(src, parsed.error.issues, at))
  // Children are checked even when this node is wrong, so every problem shows at once.
  const rawChildren = (raw as { routes?: unknown } | null)?.routes
  const children = (Array.isArray(rawChildren) ? rawChildren : []).map((c, i) => parseRoute(src, c, [...at, 'routes', i], walk))
  const receiver = (raw as { receiver?: unknown } | null)?.receiver
  if (typeof receiver === 'string' && receiver !== '') walk.receivers.push({ at: [...at, 'receiver'], name: receiver })
  if (!parsed.success) return undefined
  const n = parsed.data
  for (const field of ['group_interval', 'repeat_interval'] as const) {
    if (n[field] === 0) walk.problems.push(src.problem([...at, field], 'must be longer than 0'))
  }
  if (children.some(c => c === undefined)) return undefined
  const all = n.group_by?.includes('...') === true
  return {
    receiver: n.receiver,
    // An empty group_by list inherits the parent's, as in Alertmanager.
    groupBy: all ? undefined : n.group_by,
    groupByAll: all,
    groupWaitMs: n.group_wait,
    groupIntervalMs: n.group_interval,
    repeatIntervalMs: n.repeat_interval,
    matchers: [...legacyMatchers(n.match, n.match_re), ...(n.matchers ?? [])],
    continue: n.continue,
    routes: children as RouteSpec[]
  }
}

function buildReceiver (src: ConfigSource, r: ReceiverFile, at: Path, g: GlobalFile, problems: ConfigProblem[]): ReceiverConfig {
  const integrations: IntegrationConfig[] = []
  const missing = (field: string, where: Path, globalName: string): void => {
    problems.push(src.problem([...where, field], `required, here or as global.${globalName}`))
  }
  r.webhook_configs.forEach((c, index) => integrations.push({ type: 'webhook', index, url: secretUrl(c.url), sendResolved: c.send_resolved, maxAlerts: c.max_alerts, timeoutMs: timeoutOf(c.timeout) }))
  r.slack_configs.forEach((c, index) => {
    const apiUrl = c.api_url ?? g.slack_api_url
    if (apiUrl === undefined) return missing('api_url', [...at, 'slack_configs', index], 'slack_api_url')
    integrations.push({
      type: 'slack',
      index,
      apiUrl: secretUrl(apiUrl),
      sendResolved: c.send_resolved,
      maxAlerts: c.max_alerts,
      timeoutMs: timeoutOf(c.timeout),
      channel: c.channel,
      username: c.username,
      color: c.color,
      title: c.title,
      titleLink: c.title_link,
      pretext: c.pretext,
      text: c.text,
      fallback: c.fallback,
      footer: c.footer,
      iconEmoji: c.icon_emoji,
      iconUrl: c.icon_url
    })
  })
  r.email_configs.forEach((c, index) => {
    const where = [...at, 'email_configs', index]
    const from = c.from ?? g.smtp_from
    const smarthost = c.smarthost ?? g.smtp_smarthost
    if (from === undefined) missing('from', where, 'smtp_from')
    if (smarthost === undefined) missing('smarthost', where, 'smtp_smarthost')
    if (from === undefined || smarthost === undefined) return
    const password = c.auth_password ?? g.smtp_auth_password
    const colon = smarthost.lastIndexOf(':')
    integrations.push({
      type: 'email',
      index,
      to: c.to,
      from,
      smarthost: { host: smarthost.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(smarthost.slice(colon + 1)) },
      hello: c.hello ?? g.smtp_hello,
      maxAlerts: c.max_alerts,
      authUsername: c.auth_username ?? g.smtp_auth_username,
      authPassword: password === undefined ? undefined : new Secret(password),
      requireTls: c.require_tls ?? g.smtp_require_tls,
      headers: c.headers ?? {},
      html: c.html,
      text: c.text,
      sendResolved: c.send_resolved
    })
  })
  r.alertmanager_configs.forEach((c, index) => integrations.push({ type: 'alertmanager', index, url: secretUrl(c.url), sendResolved: c.send_resolved, timeoutMs: timeoutOf(c.timeout) }))
  return { name: r.name, integrations, rateLimit: r.rate_limit === undefined ? undefined : { intervalMs: r.rate_limit.interval, burst: r.rate_limit.burst } }
}

/** A receiver's `timeout`; unset or Alertmanager's `0s` (no timeout) is the default. */
function timeoutOf (ms: number | undefined): number {
  return ms === undefined || ms === 0 ? DEFAULT_RECEIVER_TIMEOUT_MS : ms
}

/** Validates a routing file's text; throws ConfigError listing every problem. */
export function parseNotifierConfig (file: string, text: string): NotifierConfig {
  const src = new ConfigSource(file, text)
  const syntax = src.syntaxProblems()
  if (syntax.length > 0) throw new ConfigError(syntax)
  if (!isMap(src.doc.contents)) throw new ConfigError([src.problem([], 'expected a mapping with route and receivers')])
  const raw = src.doc.toJS() as Record<string, unknown>
  const problems: ConfigProblem[] = []
  const parsed = notifierFileSchema.safeParse(raw, { reportInput: true })
  if (!parsed.success) problems.push(...problemsOf(src, parsed.error.issues, []))
  const global = globalSchema.safeParse(raw.global ?? undefined, { reportInput: true })
  if (!global.success) problems.push(...problemsOf(src, global.error.issues, ['global']))

  const walk: RouteWalk = { problems, receivers: [] }
  let root: RouteSpec | undefined
  if (raw.route === undefined || raw.route === null) {
    problems.push(src.problem(['route'], 'required: the root route, with at least a receiver'))
  } else {
    root = parseRoute(src, raw.route, ['route'], walk)
    const rawRoute = raw.route as Record<string, unknown>
    if (root !== undefined && root.receiver === undefined) problems.push(src.problem(['route', 'receiver'], 'required on the root route: it takes every alert no child route takes'))
    const rootMatchers = ['matchers', 'match', 'match_re'].find(f => rawRoute[f] !== undefined && root !== undefined && root.matchers.length > 0)
    if (rootMatchers !== undefined) problems.push(src.problem(['route', rootMatchers], 'the root route must match every alert; move its matchers to a child route'))
    if (root?.continue === true) problems.push(src.problem(['route', 'continue'], 'not allowed on the root route: it has no siblings'))
  }

  // Each receiver on its own, so one bad receiver does not hide problems in the others; names
  // come from the raw file so route references are checked even then.
  const receivers = new Map<string, ReceiverConfig>()
  const names = new Set<string>()
  const rawReceivers = Array.isArray(raw.receivers) ? raw.receivers as unknown[] : []
  rawReceivers.forEach((r, i) => {
    const name = (r as { name?: unknown } | null)?.name
    if (typeof name === 'string') {
      if (names.has(name)) problems.push(src.problem(['receivers', i, 'name'], `a receiver named '${name}' is already defined; names must be unique`))
      names.add(name)
    }
    const one = receiverSchema.safeParse(r, { reportInput: true })
    if (!one.success) return problems.push(...problemsOf(src, one.error.issues, ['receivers', i]))
    // Global fallbacks are only trusted once global itself is valid.
    if (global.success) receivers.set(one.data.name, buildReceiver(src, one.data, ['receivers', i], global.data, problems))
  })
  for (const ref of walk.receivers) {
    if (!names.has(ref.name)) {
      const known = [...names].map(n => `'${n}'`).join(', ') || 'none'
      problems.push(src.problem(ref.at, `no receiver named '${ref.name}'; defined receivers: ${known}`))
    }
  }
  if (!parsed.success || !global.success || root === undefined || problems.length > 0) throw new ConfigError(problems)

  return {
    file: path.resolve(file),
    resolveTimeoutMs: global.data.resolve_timeout,
    route: buildRouteTree(root),
    receivers,
    inhibitRules: parsed.data.inhibit_rules.map(r => ({
      sourceMatchers: [...legacyMatchers(r.source_match, r.source_match_re), ...r.source_matchers],
      targetMatchers: [...legacyMatchers(r.target_match, r.target_match_re), ...r.target_matchers],
      equal: r.equal
    })),
    maxActiveAlertsPerAlertname: parsed.data.limits.max_active_alerts_per_alertname,
    inputLimits: inputLimitsOf(parsed.data.limits)
  }
}

function inputLimitsOf (l: z.output<typeof limitsSchema>): InputLimits {
  const out = { ...DEFAULT_INPUT_LIMITS }
  for (const key of Object.keys(LIMIT_FIELDS) as (keyof InputLimits)[]) out[key] = l[LIMIT_FIELDS[key] as keyof typeof l]
  return out
}

export function loadNotifierConfig (file: string): NotifierConfig {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([{ file, line: 1, column: 1, field: '', message: `cannot read the notifier config: ${(err as Error).message}` }])
  }
  return parseNotifierConfig(file, text)
}
