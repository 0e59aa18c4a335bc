/**
 * Slack incoming webhooks: one message per notification, with one attachment coloured by status
 * (danger while anything fires, good once all resolved) and titled as Alertmanager titles it,
 * `[FIRING:3] HighErrors shop (prod critical)`. The text lists the alerts by the labels that set
 * them apart, at most `max_alerts` (default 20), then "… and 1,234 more", so a storm stays one
 * message. Fields show the labels the alerts share beyond the group's. Every text field is a
 * template (template/), with Alertmanager's defaults.
 *
 * Slack allows about one message per second per webhook: the integration declares that rate
 * limit (burst 1: never faster), and 429 answers are retried after their Retry-After.
 */
import { createHash } from 'node:crypto'
import type { Logger } from '../../shared/logger.js'
import type { IntegrationConfig } from '../config.js'
import type { QueuedNotification } from '../store/outbox.js'
import { renderField, templateData } from '../template/index.js'
import { postJson } from '../../shared/http-delivery.js'
import { sendRedacted } from './redact.js'
import { integrationKey, type Integration, type RateLimit } from './integration.js'

type SlackConfig = Extract<IntegrationConfig, { type: 'slack' }>

const SLACK_INTERVAL_MS = 1000
/** Slack truncates attachment text beyond this; a template that produces more is cut first. */
const MAX_TEXT_CHARS = 40_000

export function slackMessage (n: QueuedNotification, c: SlackConfig, externalURL: string, logger?: Logger): object {
  const d = templateData(n, externalURL, c.maxAlerts)
  const title = renderField(c.title, 'slack.default.title', d, logger)
  const titleLink = renderField(c.titleLink, 'slack.default.titlelink', d, logger)
  const fields = Object.entries(d.CommonLabels).filter(([k]) => d.GroupLabels[k] === undefined).slice(0, 10)
    .map(([k, v]) => ({ title: k, value: v, short: true }))
  const optional = (s: string): string | undefined => s === '' ? undefined : s
  const attachment = {
    title,
    title_link: titleLink,
    fallback: c.fallback === undefined ? `${title} | ${titleLink}` : renderField(c.fallback, 'slack.default.fallback', d, logger),
    color: renderField(c.color, 'slack.default.color', d, logger),
    text: renderField(c.text, 'slack.default.text', d, logger).slice(0, MAX_TEXT_CHARS),
    fields,
    pretext: optional(renderField(c.pretext, 'slack.default.pretext', d, logger)),
    footer: optional(renderField(c.footer, 'slack.default.footer', d, logger)),
    mrkdwn_in: ['fallback', 'pretext', 'text']
  }
  return {
    channel: c.channel,
    username: renderField(c.username, 'slack.default.username', d, logger),
    icon_emoji: c.iconEmoji,
    icon_url: c.iconUrl,
    attachments: [attachment]
  }
}

export function slackIntegration (receiver: string, c: SlackConfig, logger?: Logger, receiverLimit?: RateLimit): Integration {
  const describe = `${receiver}/slack/${c.index} (${c.apiUrl.hint})`
  // Keyed by a hash of the URL: integrations posting to one webhook share its limit, and the key
  // itself holds nothing worth stealing.
  const slackLimit: RateLimit = { key: `slack ${createHash('sha256').update(c.apiUrl.reveal()).digest('hex')}`, intervalMs: SLACK_INTERVAL_MS, burst: 1 }
  return {
    key: integrationKey(receiver, 'slack', c.index),
    receiver,
    type: 'slack',
    sendResolved: c.sendResolved,
    rateLimits: receiverLimit === undefined ? [slackLimit] : [slackLimit, receiverLimit],
    describe,
    async send (n, ctx) {
      const url = c.apiUrl.reveal()
      await sendRedacted(url, describe, async () => await postJson(url, slackMessage(n, c, ctx.externalURL, logger), { describe, signal: ctx.signal, timeoutMs: c.timeoutMs }))
    }
  }
}
