import type { PostableAlert } from '../api.js'

/**
 * The alerts in what handlers sent: ctx.alert() objects, arrays of them, or Alertmanager's
 * webhook/template `{ alerts: [...] }` data (what OpenFunction's logs-handler sample builds).
 */
export function collectAlerts (payloads: unknown[]): PostableAlert[] {
  const out: PostableAlert[] = []
  const visit = (p: unknown): void => {
    if (Array.isArray(p)) { p.forEach(visit); return }
    if (p === null || typeof p !== 'object') return
    const o = p as Record<string, unknown>
    if (Array.isArray(o.alerts)) { o.alerts.forEach(visit); return }
    const labels = (o.labels ?? o.Labels) as Record<string, string> | undefined
    if (labels === undefined || typeof labels !== 'object') return
    const alert: PostableAlert = {
      labels: { ...labels },
      annotations: { ...((o.annotations ?? o.Annotations ?? {}) as Record<string, string>) },
      startsAt: String(o.startsAt ?? o.StartsAt ?? new Date().toISOString()),
      generatorURL: String(o.generatorURL ?? o.GeneratorURL ?? '')
    }
    const endsAt = o.endsAt ?? o.EndsAt
    // Go's zero time means "not set" in the template data format.
    if (typeof endsAt === 'string' && endsAt !== '' && !endsAt.startsWith('0001-')) alert.endsAt = endsAt
    out.push(alert)
  }
  payloads.forEach(visit)
  return out
}
