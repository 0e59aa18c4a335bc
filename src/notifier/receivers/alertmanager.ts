/**
 * Forwards a group's alerts to another Alertmanager-compatible API (Prometheus Alertmanager,
 * KubeSphere Notification Manager, another Tidewatch) as one `POST /api/v2/alerts`. The alerts
 * keep their own endsAt, so the other side resolves them when this one does.
 */
import type { IntegrationConfig } from '../config.js'
import type { QueuedNotification } from '../store/outbox.js'
import { postJson } from '../../shared/http-delivery.js'
import { sendRedacted } from './redact.js'
import { integrationKey, type Integration } from './integration.js'

type AlertmanagerConfig = Extract<IntegrationConfig, { type: 'alertmanager' }>

export function forwardedAlerts (n: QueuedNotification): object[] {
  return [...n.firing, ...n.resolved].map(a => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: new Date(a.endsAt).toISOString(),
    generatorURL: a.generatorURL
  }))
}

export function alertsApiUrl (base: string): string {
  const trimmed = base.replace(/\/+$/, '')
  return trimmed.endsWith('/api/v2/alerts') ? trimmed : `${trimmed}/api/v2/alerts`
}

export function alertmanagerIntegration (receiver: string, c: AlertmanagerConfig): Integration {
  const describe = `${receiver}/alertmanager/${c.index} (${c.url.hint})`
  const url = alertsApiUrl(c.url.reveal())
  return {
    key: integrationKey(receiver, 'alertmanager', c.index),
    receiver,
    type: 'alertmanager',
    sendResolved: c.sendResolved,
    describe,
    async send (n, ctx) {
      await sendRedacted(url, describe, async () => await postJson(url, forwardedAlerts(n), { describe, signal: ctx.signal, timeoutMs: c.timeoutMs }))
    }
  }
}
