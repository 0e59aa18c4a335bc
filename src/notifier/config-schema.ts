import { z } from 'zod'
import { parseDuration } from './duration.js'
import { DEFAULT_INPUT_LIMITS } from './input-limits.js'
import { isValidLabelName } from './labels.js'
import { MatcherParseError, parseMatchers, type Matcher } from './matchers.js'
import { compileRe2, Re2Error } from '../shared/re2.js'
import { DEFAULT_TEMPLATES, Template, TemplateError, templateData } from './template/index.js'

// The notifier's routing file, in Alertmanager's YAML shape (field names and defaults as in its
// docs), so an existing `route:` / `receivers:` / `inhibit_rules:` block loads as it is. The route
// tree is validated node by node (config.ts), so a route node's `routes` stay unknown here.

export const duration = z.string({ error: 'expected a duration such as 30s, 5m or 1h30m' }).transform((s, ctx) => {
  try {
    return parseDuration(s)
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message })
    return z.NEVER
  }
})

const labelName = z.string().refine(isValidLabelName, { error: 'invalid label name; use letters, digits and _, not starting with a digit' })

/** One `matchers:` entry; a string may hold several matchers (`a="b", c=~"d"`). */
const matcherLine = z.string({ error: 'expected a matcher string such as severity="critical"' }).transform((s, ctx): Matcher[] => {
  try {
    return parseMatchers(s)
  } catch (err) {
    if (!(err instanceof MatcherParseError)) throw err
    ctx.addIssue({ code: 'custom', message: err.message })
    return z.NEVER
  }
})
export const matchers = z.array(matcherLine).transform(lines => lines.flat())

/** Legacy `match` (equality) or `match_re` (regex, anchored) maps. */
const matchMap = (regex: boolean): z.ZodType<Record<string, string>> => z.record(labelName, z.string().superRefine((value, ctx) => {
  if (!regex) return
  try {
    compileRe2(value, { anchored: true })
  } catch (err) {
    if (!(err instanceof Re2Error)) throw err
    ctx.addIssue({ code: 'custom', message: `regex '${value}': ${err.message}` })
  }
}))
export const legacyMatch = matchMap(false)
export const legacyMatchRe = matchMap(true)

const groupBy = z.array(z.string()).superRefine((names, ctx) => {
  if (names.includes('...') && names.length > 1) ctx.addIssue({ code: 'custom', message: "'...' (group by every label) cannot be combined with other labels" })
  const seen = new Set<string>()
  names.forEach((n, i) => {
    if (n !== '...' && !isValidLabelName(n)) ctx.addIssue({ code: 'custom', path: [i], message: `invalid label name '${n}'` })
    if (seen.has(n)) ctx.addIssue({ code: 'custom', path: [i], message: `'${n}' is listed twice` })
    seen.add(n)
  })
})

export const routeNodeSchema = z.strictObject({
  receiver: z.string().min(1).optional(),
  group_by: groupBy.optional(),
  continue: z.boolean().prefault(false),
  matchers: matchers.optional(),
  match: legacyMatch.optional(),
  match_re: legacyMatchRe.optional(),
  group_wait: duration.optional(),
  group_interval: duration.optional(),
  repeat_interval: duration.optional(),
  routes: z.array(z.unknown()).prefault([])
})

const httpUrl = z.string({ error: 'expected an http:// or https:// URL' }).refine(v => {
  try { return ['http:', 'https:'].includes(new URL(v).protocol) } catch { return false }
}, { error: 'expected an http:// or https:// URL' })
const hostPort = z.string().regex(/^(\[[^\]]+\]|[^:\s]+):\d+$/, { error: 'expected host:port, e.g. smtp.example.com:587' })
const text = z.string().optional()

// A notification to try every template on at load, so a template that cannot render (an unknown
// function or named template) is a config error with its line, not a lost message later.
const SAMPLE = templateData({
  id: 0, integration: 'sample/webhook/0', receiver: 'sample', groupKey: '{}:{alertname="Sample"}', groupLabels: { alertname: 'Sample' },
  firing: [{ fingerprint: '0', labels: { alertname: 'Sample', instance: 'a' }, annotations: { summary: 'sample' }, startsAt: 0, endsAt: 1, generatorURL: '', updatedAt: 0, timeout: false }],
  resolved: [], reason: 'first notification', log: { at: 0, firing: [], resolved: [] }, logRetentionMs: 0, queuedAt: 0
}, 'http://127.0.0.1:9093')

/** A message template (docs/notifier.md, "Templates"), compiled and tried at load. */
export const template = z.string({ error: 'expected a template string' }).transform((src, ctx) => {
  try {
    const t = new Template(src)
    t.render(SAMPLE, { named: DEFAULT_TEMPLATES })
    return t
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err
    ctx.addIssue({ code: 'custom', message: `template: ${err.message}` })
    return z.NEVER
  }
}).optional()
/**
 * Alertmanager's `timeout` of webhook and Slack configs: the most one request may take. Its
 * `0s` ("no timeout", Alertmanager's default) is taken as Tidewatch's default, 10s: a receiver
 * that never answers must not hold its integration forever.
 */
const requestTimeout = duration.optional()

/** Alerts listed one by one in a message (the rest are counted: "and 1,234 more"); 0 lists all. */
const maxListed = z.number().int().min(0).prefault(20)

export const webhookConfigSchema = z.strictObject({
  url: httpUrl,
  send_resolved: z.boolean().prefault(true),
  /** At most this many alerts per message (0: all); the rest are counted in truncatedAlerts. */
  max_alerts: z.number().int().min(0).prefault(0),
  timeout: requestTimeout
})

export const slackConfigSchema = z.strictObject({
  api_url: httpUrl.optional(),
  channel: text,
  username: template,
  color: template,
  title: template,
  title_link: template,
  pretext: template,
  text: template,
  fallback: template,
  footer: template,
  icon_emoji: text,
  icon_url: text,
  send_resolved: z.boolean().prefault(false),
  max_alerts: maxListed,
  timeout: requestTimeout
})

export const emailConfigSchema = z.strictObject({
  to: z.string().min(1),
  from: text,
  smarthost: hostPort.optional(),
  hello: text,
  auth_username: text,
  auth_password: text,
  require_tls: z.boolean().optional(),
  /** Header values are templates; `Subject` sets the subject (default: the Slack-style title). */
  headers: z.record(z.string(), template.unwrap()).optional(),
  html: template,
  text: template,
  send_resolved: z.boolean().prefault(false),
  max_alerts: maxListed
})

/** Tidewatch's own: forward the group's alerts to another Alertmanager-compatible API. */
export const alertmanagerConfigSchema = z.strictObject({
  /** Base URL (http://host:9093, or Notification Manager's http://host:19093); alerts go to /api/v2/alerts. */
  url: httpUrl,
  send_resolved: z.boolean().prefault(true),
  timeout: requestTimeout
})

export const INTEGRATION_SCHEMAS = {
  webhook_configs: webhookConfigSchema,
  slack_configs: slackConfigSchema,
  email_configs: emailConfigSchema,
  alertmanager_configs: alertmanagerConfigSchema
} as const

/** Tidewatch's own: at most one message per `interval` on average (bursts of `burst`) to each of the receiver's integrations. */
export const rateLimitSchema = z.strictObject({
  interval: duration,
  burst: z.number().int().min(1).prefault(1)
})

export const receiverSchema = z.strictObject({
  name: z.string({ error: 'required: every receiver needs a name' }).min(1),
  rate_limit: rateLimitSchema.optional(),
  webhook_configs: z.array(webhookConfigSchema).prefault([]),
  slack_configs: z.array(slackConfigSchema).prefault([]),
  email_configs: z.array(emailConfigSchema).prefault([]),
  alertmanager_configs: z.array(alertmanagerConfigSchema).prefault([])
})

export const inhibitRuleSchema = z.strictObject({
  name: text,
  source_matchers: matchers.prefault([]),
  target_matchers: matchers.prefault([]),
  source_match: legacyMatch.optional(),
  source_match_re: legacyMatchRe.optional(),
  target_match: legacyMatch.optional(),
  target_match_re: legacyMatchRe.optional(),
  equal: z.array(labelName).prefault([])
})

const globalFields = z.strictObject({
  resolve_timeout: duration.prefault('5m'),
  slack_api_url: httpUrl.optional(),
  smtp_from: text,
  smtp_smarthost: hostPort.optional(),
  smtp_hello: z.string().prefault('localhost'),
  smtp_auth_username: text,
  smtp_auth_password: text,
  smtp_require_tls: z.boolean().prefault(true)
})
export const globalSchema = globalFields.prefault({})

const atLeastOne = (n: number) => z.number().int().min(1).prefault(n)

/**
 * Tidewatch's own: storm control (Alertmanager has --alerts.per-alertname-limit) and the size of
 * what the API accepts (input-limits.ts, where the defaults are explained).
 */
const limitsFields = z.strictObject({
  max_active_alerts_per_alertname: z.number().int().min(0).prefault(0),
  max_alerts_body_bytes: atLeastOne(DEFAULT_INPUT_LIMITS.maxAlertsBodyBytes),
  max_alerts_per_request: atLeastOne(DEFAULT_INPUT_LIMITS.maxAlertsPerRequest),
  max_labels_per_alert: atLeastOne(DEFAULT_INPUT_LIMITS.maxLabelsPerAlert),
  max_label_name_bytes: atLeastOne(DEFAULT_INPUT_LIMITS.maxLabelNameBytes),
  max_label_value_bytes: atLeastOne(DEFAULT_INPUT_LIMITS.maxLabelValueBytes),
  max_annotation_value_bytes: atLeastOne(DEFAULT_INPUT_LIMITS.maxAnnotationValueBytes),
  max_alert_bytes: atLeastOne(DEFAULT_INPUT_LIMITS.maxAlertBytes),
  max_silence_body_bytes: atLeastOne(DEFAULT_INPUT_LIMITS.maxSilenceBodyBytes),
  max_silence_matchers: atLeastOne(DEFAULT_INPUT_LIMITS.maxSilenceMatchers),
  max_silence_comment_bytes: atLeastOne(DEFAULT_INPUT_LIMITS.maxSilenceCommentBytes)
})
export const limitsSchema = limitsFields.prefault({})

// Global and each receiver are validated on their own (config.ts), so one bad part does not
// hide the problems of the others.
export const notifierFileSchema = z.strictObject({
  global: z.unknown().optional(),
  route: z.unknown().optional(),
  receivers: z.array(z.unknown()).prefault([]),
  inhibit_rules: z.array(inhibitRuleSchema).prefault([]),
  limits: limitsSchema
})

export type GlobalFile = z.output<typeof globalSchema>
export type ReceiverFile = z.output<typeof receiverSchema>
export type InhibitRuleFile = z.output<typeof inhibitRuleSchema>
export type RouteNodeFile = z.output<typeof routeNodeSchema>

// Alertmanager fields Tidewatch does not implement, with what to do instead. Silently ignoring
// them would change behaviour (a mute interval that does not mute), so they are errors.
const UNSUPPORTED: Record<string, string> = {
  templates: 'template files are not supported; write the template in the receiver field itself, e.g. title: \'{{ .GroupLabels.alertname }}\' (docs/notifier.md, Templates)',
  time_intervals: 'time intervals are not supported yet; remove it and the routes\' mute_time_intervals/active_time_intervals',
  mute_time_intervals: 'time intervals are not supported yet; remove it',
  active_time_intervals: 'time intervals are not supported yet; remove it',
  http_config: 'http_config is not supported yet; put credentials in the URL or remove it',
  url_file: 'url_file is not supported; write the url',
  api_url_file: 'api_url_file is not supported; write api_url',
  auth_password_file: 'auth_password_file is not supported; write auth_password'
}
const RECEIVER_TYPES = Object.keys(INTEGRATION_SCHEMAS)

/** The message for an unknown field `key` of the object at `path`: what is supported there. */
export function unknownFieldMessage (path: readonly (string | number)[], key: string, here: readonly string[]): string {
  const receiver = path.length === 2 && path[0] === 'receivers'
  if (receiver && key.endsWith('_configs')) {
    return `receiver type '${key.slice(0, -'_configs'.length)}' is not supported; supported: ${RECEIVER_TYPES.join(', ')}`
  }
  if (UNSUPPORTED[key] !== undefined) return UNSUPPORTED[key]
  return `unknown field '${key}'; supported here: ${here.join(', ')}`
}

/** The fields an object at `path` may have (for unknown-field messages). */
export function fieldsAt (path: readonly (string | number)[]): readonly string[] {
  const last = path.at(-1)
  if (path.length === 0) return Object.keys(notifierFileSchema.shape)
  if (last === 'global') return Object.keys(globalFields.shape)
  if (path[0] === 'receivers' && path.length === 2) return Object.keys(receiverSchema.shape)
  if (path[0] === 'receivers' && path.length === 4) return Object.keys(INTEGRATION_SCHEMAS[path[2] as keyof typeof INTEGRATION_SCHEMAS]?.shape ?? {})
  if (path[0] === 'inhibit_rules') return Object.keys(inhibitRuleSchema.shape)
  if (path[0] === 'limits') return Object.keys(limitsFields.shape)
  if (path[0] === 'receivers' && last === 'rate_limit') return Object.keys(rateLimitSchema.shape)
  return Object.keys(routeNodeSchema.shape)
}
