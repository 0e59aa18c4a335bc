/**
 * The data a message template sees, named as in Alertmanager's templates (`.Status`,
 * `.GroupLabels`, `.Alerts` with `.Labels` and `.Annotations`, …), plus Tidewatch's storm-control
 * fields: `.ListedAlerts` (the first alerts, as many as the receiver lists) and `.MoreAlerts`
 * (how many are not listed: the rest of the group, and alerts over the per-alertname limit).
 */
import type { LabelSet } from '../labels.js'
import { messageData } from '../receivers/message.js'
import type { QueuedNotification } from '../store/outbox.js'

export interface TemplateAlert {
  Status: 'firing' | 'resolved'
  Labels: LabelSet
  Annotations: LabelSet
  StartsAt: string
  EndsAt: string
  GeneratorURL: string
  Fingerprint: string
  /** The labels that set this alert apart from the others in the message (`instance=a path=/x`). */
  Distinct: string
  /** Its summary, message or description annotation, whichever it has first. */
  Summary: string
}

export interface TemplateData {
  Receiver: string
  Status: 'firing' | 'resolved'
  Alerts: TemplateAlert[]
  GroupLabels: LabelSet
  CommonLabels: LabelSet
  CommonAnnotations: LabelSet
  ExternalURL: string
  GroupKey: string
  NotificationReason: string
  ListedAlerts: TemplateAlert[]
  MoreAlerts: number
  /** Firing alerts in all, counting the ones over the per-alertname limit. */
  FiringCount: number
  ResolvedCount: number
}

/** Alerts listed per message when a receiver does not say (Slack text, e-mail body). */
export const DEFAULT_MAX_LISTED = 20

export function templateData (n: QueuedNotification, externalURL: string, maxListed = DEFAULT_MAX_LISTED): TemplateData {
  const d = messageData(n, externalURL)
  const alerts: TemplateAlert[] = d.alerts.map(a => {
    const own = Object.keys(a.labels).sort().filter(k => d.commonLabels[k] === undefined).map(k => `${k}=${a.labels[k]}`)
    return {
      Status: a.status,
      Labels: a.labels,
      Annotations: a.annotations,
      StartsAt: a.startsAt,
      EndsAt: a.endsAt,
      GeneratorURL: a.generatorURL,
      Fingerprint: a.fingerprint,
      Distinct: own.length > 0 ? own.join(' ') : a.labels.alertname ?? a.fingerprint,
      Summary: a.annotations.summary ?? a.annotations.message ?? a.annotations.description ?? ''
    }
  })
  const listed = maxListed > 0 ? alerts.slice(0, maxListed) : alerts
  const limited = n.limitedAlerts ?? 0
  return {
    Receiver: d.receiver,
    Status: d.status,
    Alerts: alerts,
    GroupLabels: d.groupLabels,
    CommonLabels: d.commonLabels,
    CommonAnnotations: d.commonAnnotations,
    ExternalURL: externalURL,
    GroupKey: n.groupKey,
    NotificationReason: n.reason,
    ListedAlerts: listed,
    MoreAlerts: alerts.length - listed.length + limited,
    FiringCount: d.firingCount + limited,
    ResolvedCount: d.resolvedCount
  }
}
