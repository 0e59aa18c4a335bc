/**
 * What every receiver shows of a notification, computed as Alertmanager's template data is: the
 * group's status, its group labels, the labels and annotations all its alerts share, and the
 * alerts in Alertmanager's order, firing ones with a zero endsAt.
 */
import { compareAlerts, type Alert } from '../alert.js'
import type { LabelSet } from '../labels.js'
import type { QueuedNotification } from '../store/outbox.js'

/** Go's zero time, which Alertmanager prints as a firing alert's endsAt. */
export const ZERO_TIME = '0001-01-01T00:00:00Z'

export interface MessageAlert {
  status: 'firing' | 'resolved'
  labels: LabelSet
  annotations: LabelSet
  startsAt: string
  endsAt: string
  generatorURL: string
  fingerprint: string
}

export interface MessageData {
  receiver: string
  status: 'firing' | 'resolved'
  alerts: MessageAlert[]
  groupLabels: LabelSet
  commonLabels: LabelSet
  commonAnnotations: LabelSet
  externalURL: string
  firingCount: number
  resolvedCount: number
}

export function messageData (n: QueuedNotification, externalURL: string): MessageData {
  const firing = new Set(n.firing.map(a => a.fingerprint))
  const all = [...n.firing, ...n.resolved].sort(compareAlerts)
  return {
    receiver: n.receiver,
    status: n.firing.length > 0 ? 'firing' : 'resolved',
    alerts: all.map(a => messageAlert(a, firing.has(a.fingerprint))),
    groupLabels: n.groupLabels,
    commonLabels: common(all.map(a => a.labels)),
    commonAnnotations: common(all.map(a => a.annotations)),
    externalURL,
    firingCount: n.firing.length,
    resolvedCount: n.resolved.length
  }
}

function messageAlert (a: Alert, firing: boolean): MessageAlert {
  return {
    status: firing ? 'firing' : 'resolved',
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: firing ? ZERO_TIME : new Date(a.endsAt).toISOString(),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint
  }
}

/** The name/value pairs every set has. */
export function common (sets: readonly LabelSet[]): LabelSet {
  if (sets.length === 0) return {}
  const out: Record<string, string> = { ...sets[0] }
  for (const s of sets.slice(1)) {
    for (const [k, v] of Object.entries(out)) if (s[k] !== v) delete out[k]
  }
  return out
}
