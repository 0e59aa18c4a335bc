/**
 * Alertmanager's webhook receiver: the payload any tool that accepts Alertmanager webhooks
 * understands (version "4"). With `max_alerts`, the first alerts in Alertmanager's order are sent
 * and `truncatedAlerts` counts the rest, so a storm stays one bounded message.
 */
import type { IntegrationConfig } from '../config.js'
import type { QueuedNotification } from '../store/outbox.js'
import { postJson } from '../../shared/http-delivery.js'
import { sendRedacted } from './redact.js'
import { integrationKey, type Integration } from './integration.js'
import { messageData, type MessageAlert } from './message.js'

type WebhookConfig = Extract<IntegrationConfig, { type: 'webhook' }>

export interface WebhookPayload {
  version: '4'
  groupKey: string
  truncatedAlerts: number
  status: 'firing' | 'resolved'
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  commonAnnotations: Record<string, string>
  externalURL: string
  alerts: MessageAlert[]
}

export function webhookPayload (n: QueuedNotification, externalURL: string, maxAlerts: number): WebhookPayload {
  const data = messageData(n, externalURL)
  const alerts = maxAlerts > 0 ? data.alerts.slice(0, maxAlerts) : data.alerts
  return {
    receiver: data.receiver,
    status: data.status,
    alerts,
    groupLabels: { ...data.groupLabels },
    commonLabels: { ...data.commonLabels },
    commonAnnotations: { ...data.commonAnnotations },
    externalURL,
    version: '4',
    groupKey: n.groupKey,
    // Alerts cut by max_alerts, plus those over the per-alertname limit (never held one by one).
    truncatedAlerts: data.alerts.length - alerts.length + (n.limitedAlerts ?? 0)
  }
}

export function webhookIntegration (receiver: string, c: WebhookConfig): Integration {
  const describe = `${receiver}/webhook/${c.index} (${c.url.hint})`
  return {
    key: integrationKey(receiver, 'webhook', c.index),
    receiver,
    type: 'webhook',
    sendResolved: c.sendResolved,
    describe,
    async send (n, ctx) {
      const url = c.url.reveal()
      await sendRedacted(url, describe, async () => await postJson(url, webhookPayload(n, ctx.externalURL, c.maxAlerts), { describe, signal: ctx.signal, timeoutMs: c.timeoutMs }))
    }
  }
}
