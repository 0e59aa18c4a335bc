/** Builds the runtime integrations of every configured receiver. */
import type { Logger } from '../../shared/logger.js'
import type { ReceiverConfig } from '../config.js'
import { alertmanagerIntegration } from './alertmanager.js'
import { emailIntegration } from './email.js'
import { integrationKey, type Integration, type RateLimit } from './integration.js'
import { slackIntegration } from './slack.js'
import { webhookIntegration } from './webhook.js'

export function buildIntegrations (receivers: ReadonlyMap<string, ReceiverConfig>, logger: Logger): Map<string, Integration[]> {
  const out = new Map<string, Integration[]>()
  for (const r of receivers.values()) {
    const list: Integration[] = []
    for (const c of r.integrations) {
      // The receiver's own rate limit, one bucket per integration.
      const limit: RateLimit | undefined = r.rateLimit === undefined ? undefined : { key: `receiver ${integrationKey(r.name, c.type, c.index)}`, ...r.rateLimit }
      switch (c.type) {
        case 'webhook': list.push(withLimit(webhookIntegration(r.name, c), limit)); break
        case 'slack': list.push(slackIntegration(r.name, c, logger, limit)); break
        case 'email': list.push(emailIntegration(r.name, c, logger, limit)); break
        case 'alertmanager': list.push(withLimit(alertmanagerIntegration(r.name, c), limit)); break
      }
    }
    out.set(r.name, list)
  }
  return out
}

function withLimit (i: Integration, limit: RateLimit | undefined): Integration {
  return limit === undefined ? i : { ...i, rateLimits: [...(i.rateLimits ?? []), limit] }
}

export type { Integration } from './integration.js'
