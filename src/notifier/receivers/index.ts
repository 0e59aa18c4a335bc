/** Builds the runtime integrations of every configured receiver. */
import type { Logger } from '../../shared/logger.js'
import type { ReceiverConfig } from '../config.js'
import { alertmanagerIntegration } from './alertmanager.js'
import { emailIntegration } from './email.js'
import type { Integration } from './integration.js'
import { slackIntegration } from './slack.js'
import { webhookIntegration } from './webhook.js'

export function buildIntegrations (receivers: ReadonlyMap<string, ReceiverConfig>, logger: Logger): Map<string, Integration[]> {
  const out = new Map<string, Integration[]>()
  for (const r of receivers.values()) {
    const list: Integration[] = []
    for (const c of r.integrations) {
      switch (c.type) {
        case 'webhook': list.push(webhookIntegration(r.name, c)); break
        case 'slack': list.push(slackIntegration(r.name, c, logger)); break
        case 'email': list.push(emailIntegration(r.name, c, logger)); break
        case 'alertmanager': list.push(alertmanagerIntegration(r.name, c)); break
      }
    }
    out.set(r.name, list)
  }
  return out
}

export type { Integration } from './integration.js'
