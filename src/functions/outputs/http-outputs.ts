import type { OutputConfig } from '../config/load.js'
import { DeliveryError, postJson } from '../../shared/http-delivery.js'
import type { Output } from './output.js'
import { createHash } from 'node:crypto'
import { RateLimiter, type RateLimit } from '../../shared/rate-limiter.js'
import { systemClock } from '../../shared/clock.js'
import { collectAlerts } from './alerts.js'

type HttpConfig<T extends string> = Extract<OutputConfig, { type: T }>

function revealHeaders (c: { headers: Record<string, { reveal: () => string }> }): Record<string, string> {
  return Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, v.reveal()]))
}

/** Alertmanager API v2: the batch's alerts as one POST /api/v2/alerts (also Notification Manager and Tidewatch's notifier). */
export function alertmanagerOutput (c: HttpConfig<'alertmanager'>): Output {
  const base = c.url.reveal().replace(/\/+$/, '')
  const url = base.endsWith('/api/v2/alerts') ? base : `${base}/api/v2/alerts`
  return {
    name: c.name,
    type: 'alertmanager',
    async deliver (payloads) {
      const alerts = collectAlerts(payloads)
      if (alerts.length < payloads.length) {
        throw new DeliveryError(`output ${c.name}: ${payloads.length - alerts.length} payload(s) are not alerts; send ctx.alert({ labels }) to an alertmanager output`, { retryable: false })
      }
      if (alerts.length > 0) await postJson(url, alerts, { describe: `output ${c.name} (${c.url.hint})`, headers: revealHeaders(c), timeoutMs: c.retry.timeoutMs })
    }
  }
}

/** Generic webhook: the batch's payloads as one JSON array. */
export function webhookOutput (c: HttpConfig<'webhook'>): Output {
  return {
    name: c.name,
    type: 'webhook',
    async deliver (payloads) {
      await postJson(c.url.reveal(), payloads, { describe: `output ${c.name} (${c.url.hint})`, headers: revealHeaders(c), timeoutMs: c.retry.timeoutMs })
    }
  }
}

// Slack accepts about one message per second per webhook; every Slack output in this process
// posting to the same webhook shares one limit, as the notifier's Slack receivers do.
const SLACK_INTERVAL_MS = 1000
const slackLimiter = new RateLimiter(systemClock)
const never = new AbortController().signal

/**
 * Slack incoming webhook: a payload that is already a Slack message (text/blocks) is posted as
 * is; alerts in the batch become one message; anything else is shown as JSON. Messages are
 * paced at one per second per webhook; a 429 closes the webhook's limit for its Retry-After.
 * A batch retried after a failure resumes after the messages already posted, so a retry does
 * not post them twice.
 */
export function slackOutput (c: HttpConfig<'slack'>): Output {
  const describe = `output ${c.name} (${c.url.hint})`
  const limit: RateLimit = { key: `slack ${createHash('sha256').update(c.url.reveal()).digest('hex')}`, intervalMs: SLACK_INTERVAL_MS, burst: 1 }
  const posted = new WeakMap<unknown[], number>()
  return {
    name: c.name,
    type: 'slack',
    async deliver (payloads) {
      const messages: unknown[] = []
      const alerts = collectAlerts(payloads.filter(p => !isSlackMessage(p)))
      for (const p of payloads) if (isSlackMessage(p)) messages.push(p)
      if (alerts.length > 0) {
        const name = alerts[0].labels.alertname ?? 'alert'
        const lines = alerts.slice(0, 20).map(a => '• ' + Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' '))
        if (alerts.length > 20) lines.push(`… and ${(alerts.length - 20).toLocaleString('en-US')} more`)
        messages.push({ text: `[FIRING:${alerts.length}] ${name}\n${lines.join('\n')}` })
      }
      for (const p of payloads) if (!isSlackMessage(p) && collectAlerts([p]).length === 0) messages.push({ text: '```' + JSON.stringify(p) + '```' })
      for (let i = posted.get(payloads) ?? 0; i < messages.length; i++) {
        await slackLimiter.take(limit, never)
        try {
          await postJson(c.url.reveal(), messages[i], { describe, timeoutMs: c.retry.timeoutMs })
        } catch (err) {
          if (err instanceof DeliveryError && err.retryAfterMs !== null) slackLimiter.closeUntil(limit, Date.now() + err.retryAfterMs)
          throw err
        }
        posted.set(payloads, i + 1)
      }
    }
  }
}

function isSlackMessage (p: unknown): boolean {
  return p !== null && typeof p === 'object' && ('text' in p || 'blocks' in p)
}
