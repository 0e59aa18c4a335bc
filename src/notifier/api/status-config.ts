/**
 * The routing config as `GET /api/v2/status` shows it (`config.original`, what `amtool config
 * show` prints and `amtool config routes` parses): rendered from the parsed config, as
 * Alertmanager renders its own, never from the file — the file's comments and anything else in
 * it stay private. Secrets are `<secret>`, which Alertmanager's own config loader accepts in
 * their place: passwords, e-mail header values and Slack webhook URLs (a credential in itself);
 * webhook and Alertmanager URLs keep only their scheme and host (`http://hooks.internal/<secret>`,
 * since amtool 0.25 wants a URL there): paths and queries carry tokens, and user:password is
 * never shown.
 *
 * Children of a route show only what they set differently from their parent (inheritance makes
 * the rest the same). Tidewatch's own fields are shown only when they are not the defaults, so
 * a file written for Alertmanager renders as a file Alertmanager (and amtool) can load.
 */
import { stringify } from 'yaml'
import type { Secret } from '../../shared/secret.js'
import { DEFAULT_RECEIVER_TIMEOUT_MS, type IntegrationConfig, type NotifierConfig, type ReceiverConfig } from '../config.js'
import { formatDuration } from '../duration.js'
import { DEFAULT_INPUT_LIMITS, LIMIT_FIELDS, type InputLimits } from '../input-limits.js'
import type { InhibitRule } from '../inhibit.js'
import { matcherString, type Matcher } from '../matchers.js'
import type { Route, RouteOptions } from '../route.js'
import { DEFAULT_MAX_LISTED } from '../template/index.js'

export const SECRET = '<secret>'

type Yaml = Record<string, unknown>

export function renderStatusConfig (c: NotifierConfig): string {
  const doc: Yaml = {
    global: { resolve_timeout: formatDuration(c.resolveTimeoutMs) },
    route: renderRoute(c.route, undefined),
    receivers: [...c.receivers.values()].map(renderReceiver)
  }
  if (c.inhibitRules.length > 0) doc.inhibit_rules = c.inhibitRules.map(renderInhibitRule)
  const limits: Yaml = c.maxActiveAlertsPerAlertname > 0 ? { max_active_alerts_per_alertname: c.maxActiveAlertsPerAlertname } : {}
  for (const key of Object.keys(LIMIT_FIELDS) as (keyof InputLimits)[]) {
    if (c.inputLimits[key] !== DEFAULT_INPUT_LIMITS[key]) limits[LIMIT_FIELDS[key]] = c.inputLimits[key]
  }
  if (Object.keys(limits).length > 0) doc.limits = limits
  return stringify(doc, { lineWidth: 0 })
}

function renderRoute (r: Route, parent: RouteOptions | undefined): Yaml {
  const o = r.options
  const out: Yaml = {}
  if (parent === undefined || o.receiver !== parent.receiver) out.receiver = o.receiver
  const groupBy = o.groupByAll ? ['...'] : [...o.groupBy]
  const parentGroupBy = parent === undefined ? undefined : parent.groupByAll ? ['...'] : parent.groupBy
  if (groupBy.length > 0 && JSON.stringify(groupBy) !== JSON.stringify(parentGroupBy)) out.group_by = groupBy
  if (r.matchers.length > 0) out.matchers = r.matchers.map(matcherString)
  if (r.continue) out.continue = true
  if (parent === undefined || o.groupWaitMs !== parent.groupWaitMs) out.group_wait = formatDuration(o.groupWaitMs)
  if (parent === undefined || o.groupIntervalMs !== parent.groupIntervalMs) out.group_interval = formatDuration(o.groupIntervalMs)
  if (parent === undefined || o.repeatIntervalMs !== parent.repeatIntervalMs) out.repeat_interval = formatDuration(o.repeatIntervalMs)
  if (r.routes.length > 0) out.routes = r.routes.map(child => renderRoute(child, o))
  return out
}

function renderReceiver (r: ReceiverConfig): Yaml {
  const out: Yaml = { name: r.name }
  if (r.rateLimit !== undefined) out.rate_limit = { interval: formatDuration(r.rateLimit.intervalMs), burst: r.rateLimit.burst }
  for (const [field, type] of [['webhook_configs', 'webhook'], ['slack_configs', 'slack'], ['email_configs', 'email'], ['alertmanager_configs', 'alertmanager']] as const) {
    const list = r.integrations.filter(i => i.type === type)
    if (list.length > 0) out[field] = list.map(renderIntegration)
  }
  return out
}

function renderIntegration (i: IntegrationConfig): Yaml {
  const timeout = (ms: number): Yaml => ms === DEFAULT_RECEIVER_TIMEOUT_MS ? {} : { timeout: formatDuration(ms) }
  switch (i.type) {
    case 'webhook':
      return { send_resolved: i.sendResolved, url: originOnly(i.url), ...(i.maxAlerts > 0 ? { max_alerts: i.maxAlerts } : {}), ...timeout(i.timeoutMs) }
    case 'alertmanager':
      return { send_resolved: i.sendResolved, url: originOnly(i.url), ...timeout(i.timeoutMs) }
    case 'slack': {
      const templates = { username: i.username, color: i.color, title: i.title, title_link: i.titleLink, pretext: i.pretext, text: i.text, fallback: i.fallback, footer: i.footer }
      return {
        send_resolved: i.sendResolved,
        api_url: SECRET,
        ...defined({ channel: i.channel, icon_emoji: i.iconEmoji, icon_url: i.iconUrl }),
        ...defined(Object.fromEntries(Object.entries(templates).map(([k, t]) => [k, t?.source]))),
        ...(i.maxAlerts !== DEFAULT_MAX_LISTED ? { max_alerts: i.maxAlerts } : {}),
        ...timeout(i.timeoutMs)
      }
    }
    case 'email': {
      const host = i.smarthost.host.includes(':') ? `[${i.smarthost.host}]` : i.smarthost.host
      return {
        send_resolved: i.sendResolved,
        to: i.to,
        from: i.from,
        smarthost: `${host}:${i.smarthost.port}`,
        hello: i.hello,
        ...defined({ auth_username: i.authUsername, auth_password: i.authPassword === undefined ? undefined : SECRET }),
        require_tls: i.requireTls,
        ...(Object.keys(i.headers).length > 0 ? { headers: Object.fromEntries(Object.keys(i.headers).map(k => [k, SECRET])) } : {}),
        ...defined({ html: i.html?.source, text: i.text?.source }),
        ...(i.maxAlerts !== DEFAULT_MAX_LISTED ? { max_alerts: i.maxAlerts } : {})
      }
    }
  }
}

function renderInhibitRule (r: InhibitRule): Yaml {
  const list = (ms: readonly Matcher[]): string[] => ms.map(matcherString)
  return { source_matchers: list(r.sourceMatchers), target_matchers: list(r.targetMatchers), ...(r.equal.length > 0 ? { equal: [...r.equal] } : {}) }
}

/** `scheme://host:port/<secret>`: no credentials, path or query. */
function originOnly (url: Secret): string {
  try {
    const u = new URL(url.reveal())
    return `${u.protocol}//${u.host}/${SECRET}`
  } catch {
    return SECRET
  }
}

function defined (o: Record<string, unknown>): Yaml {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}
