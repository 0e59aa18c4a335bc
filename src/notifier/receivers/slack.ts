/**
 * Slack incoming webhooks: one message per notification, with one attachment coloured by status
 * (danger while anything fires, good once all resolved) and titled as Alertmanager titles it,
 * `[FIRING:3] HighErrors shop (prod critical)`. The text lists the alerts by the labels that set
 * them apart, at most `MAX_LISTED`, then "and 1,234 more", so a storm stays one message.
 *
 * Slack allows about one message per second per webhook: the integration declares that rate
 * limit (burst 1: never faster), and 429 answers are retried after their Retry-After.
 * Go templates in title/text are not supported; a configured value containing `{{` is ignored
 * in favour of the default (a literal value is used as is).
 */
import { sortedNames, type LabelSet } from '../labels.js'
import type { IntegrationConfig } from '../config.js'
import type { QueuedNotification } from '../store/outbox.js'
import { postJson } from './http-post.js'
import { integrationKey, type Integration } from './integration.js'
import { messageData, type MessageData } from './message.js'

type SlackConfig = Extract<IntegrationConfig, { type: 'slack' }>

export const MAX_LISTED = 20
const MAX_TITLE_RUNES = 1024
const SLACK_INTERVAL_MS = 1000

/** Alertmanager's default Slack title. */
export function slackTitle (d: MessageData): string {
  const status = d.status.toUpperCase() + (d.status === 'firing' ? `:${d.firingCount}` : '')
  const values = (set: LabelSet): string => sortedNames(set).map(k => set[k]).join(' ')
  const extra: Record<string, string> = {}
  for (const [k, v] of Object.entries(d.commonLabels)) if (d.groupLabels[k] === undefined) extra[k] = v
  const rest = Object.keys(extra).length > 0 ? ` (${values(extra)})` : ''
  return truncateRunes(`[${status}] ${values(d.groupLabels)}${rest}`, MAX_TITLE_RUNES)
}

/** One line per alert (the labels not common to all, then its summary), capped at MAX_LISTED. */
export function slackText (d: MessageData): string {
  const lines = d.alerts.slice(0, MAX_LISTED).map(a => {
    const own = sortedNames(a.labels).filter(k => d.commonLabels[k] === undefined).map(k => `${k}=${a.labels[k]}`)
    const summary = a.annotations.summary ?? a.annotations.message ?? a.annotations.description
    const marker = a.status === 'firing' ? '•' : '✓'
    return `${marker} ${own.length > 0 ? own.join(' ') : a.labels.alertname ?? a.fingerprint}${summary !== undefined ? ` — ${summary}` : ''}`
  })
  const more = d.alerts.length - MAX_LISTED
  if (more > 0) lines.push(`… and ${more.toLocaleString('en-US')} more`)
  return lines.join('\n')
}

function usable (template: string | undefined): string | undefined {
  return template === undefined || template.includes('{{') ? undefined : template
}

export function slackMessage (n: QueuedNotification, c: SlackConfig, externalURL: string): object {
  const d = messageData(n, externalURL)
  const title = usable(c.title) ?? slackTitle(d)
  const titleLink = usable(c.titleLink) ?? `${externalURL}/#/alerts?receiver=${encodeURIComponent(d.receiver)}`
  const fields = Object.entries(d.commonLabels).filter(([k]) => d.groupLabels[k] === undefined).slice(0, 10)
    .map(([k, v]) => ({ title: k, value: v, short: true }))
  const attachment = {
    title,
    title_link: titleLink,
    fallback: usable(c.fallback) ?? `${title} | ${titleLink}`,
    color: usable(c.color) ?? (d.status === 'firing' ? 'danger' : 'good'),
    text: usable(c.text) ?? slackText(d),
    fields,
    pretext: usable(c.pretext),
    footer: usable(c.footer),
    mrkdwn_in: ['fallback', 'pretext', 'text']
  }
  return {
    channel: c.channel,
    username: usable(c.username) ?? 'Tidewatch',
    icon_emoji: c.iconEmoji,
    icon_url: c.iconUrl,
    attachments: [attachment]
  }
}

export function slackIntegration (receiver: string, c: SlackConfig): Integration {
  const describe = `${receiver}/slack/${c.index} (${c.apiUrl.hint})`
  return {
    key: integrationKey(receiver, 'slack', c.index),
    receiver,
    type: 'slack',
    sendResolved: c.sendResolved,
    rateLimits: [{ key: `slack ${c.apiUrl.reveal()}`, intervalMs: SLACK_INTERVAL_MS, burst: 1 }],
    describe,
    async send (n, ctx) {
      await postJson(c.apiUrl.reveal(), slackMessage(n, c, ctx.externalURL), { describe, signal: ctx.signal })
    }
  }
}

function truncateRunes (s: string, max: number): string {
  const runes = [...s]
  return runes.length <= max ? s : runes.slice(0, max - 1).join('') + '…'
}
