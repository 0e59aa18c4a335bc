/**
 * Alerts as clients post them (Alertmanager's `POST /api/v2/alerts` body) and as the notifier
 * keeps them. `normalizeAlert` applies Alertmanager's defaults and checks; `mergeAlert` combines a
 * re-posted alert with the one already held, as Alertmanager's alert store does.
 */
import { z } from 'zod'
import { fingerprint } from './fingerprint.js'
import { alertSizeProblems, DEFAULT_INPUT_LIMITS, overLimit, shownName, type InputLimits } from './input-limits.js'
import { compareUtf8, isValidLabelName, sortedNames, wellFormed, type LabelSet } from './labels.js'

// RFC 3339 as Alertmanager's API accepts it ('T' or a space, optional fraction, Z or an offset).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
// Go's zero time, which Go clients (Alertmanager itself, when forwarding) send for "unset".
const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z')

const timestamp = z.string({ error: 'expected an RFC 3339 timestamp such as 2024-05-01T12:00:00Z' })
  .refine(s => RFC3339.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))), { error: 'expected an RFC 3339 timestamp such as 2024-05-01T12:00:00Z' })
const labelMap = z.record(z.string(), z.string({ error: 'expected a string value' }), { error: 'expected an object of name: "value" pairs' })

/** One element of the `POST /api/v2/alerts` array. Unknown fields are ignored, as Alertmanager does. */
export const postableAlertSchema = z.object({
  labels: labelMap,
  annotations: labelMap.nullish(),
  startsAt: timestamp.nullish(),
  endsAt: timestamp.nullish(),
  generatorURL: z.string().refine(s => s === '' || s.startsWith('/') || URL.canParse(s), { error: 'expected a URL' }).nullish()
}, { error: 'expected an alert object with labels' })

export type PostableAlert = z.input<typeof postableAlertSchema>

/** An alert as the notifier holds it. Times are milliseconds since the epoch. */
export interface Alert {
  readonly fingerprint: string
  readonly labels: LabelSet
  readonly annotations: LabelSet
  readonly startsAt: number
  readonly endsAt: number
  readonly generatorURL: string
  /** When the notifier last received it. */
  readonly updatedAt: number
  /** endsAt was not given but defaulted to receipt + resolve_timeout; a given endsAt outranks it. */
  readonly timeout: boolean
}

/** A field that makes an alert unusable, e.g. `{ field: 'labels.foo-bar', message: 'invalid label name …' }`. */
export interface AlertProblem { field: string, message: string }

export class AlertValidationError extends Error {
  readonly problems: AlertProblem[]
  constructor (problems: AlertProblem[]) {
    super(problems.map(p => `${p.field}: ${p.message}`).join('; '))
    this.name = 'AlertValidationError'
    this.problems = problems
  }
}

function parseTime (s: string | null | undefined): number | undefined {
  if (s === null || s === undefined) return undefined
  const ms = Date.parse(s.replace(' ', 'T'))
  return ms === GO_ZERO_TIME ? undefined : ms
}

function cleanLabels (set: Record<string, string>, field: string, problems: AlertProblem[], dropEmpty: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(set)) {
    // An empty label value means "no such label" in Prometheus' model; Alertmanager drops them.
    if (dropEmpty && value === '') continue
    if (!isValidLabelName(name)) problems.push({ field: `${field}.${shownName(name)}`, message: 'invalid name; use letters, digits and _, not starting with a digit' })
    out[name] = wellFormed(value)
  }
  return out
}

/**
 * Checks a posted alert and fills in what Alertmanager fills in: startsAt defaults to endsAt
 * when only that is given, else to `now`; a missing endsAt becomes `now + resolveTimeoutMs` and
 * marks the alert as resolving by timeout. Throws AlertValidationError naming every bad field,
 * or every limit (input-limits.ts) the alert is over.
 */
export function normalizeAlert (postable: PostableAlert, now: number, resolveTimeoutMs: number, limits: InputLimits = DEFAULT_INPUT_LIMITS): Alert {
  const shape = postableAlertSchema.safeParse(postable)
  if (!shape.success) {
    throw new AlertValidationError(shape.error.issues.slice(0, 10).map(i => ({ field: i.path.map(k => shownName(String(k))).join('.') || 'alert', message: i.message })))
  }
  const p = shape.data
  const oversize = alertSizeProblems(p, limits)
  if (oversize.length > 0) throw new AlertValidationError(oversize)
  const problems: AlertProblem[] = []
  const labels = cleanLabels(p.labels, 'labels', problems, true)
  if (Object.keys(labels).length === 0) problems.push({ field: 'labels', message: 'at least one label with a non-empty value is required, e.g. alertname' })
  const annotations = cleanLabels(p.annotations ?? {}, 'annotations', problems, false)
  const givenEnd = parseTime(p.endsAt)
  const startsAt = parseTime(p.startsAt) ?? givenEnd ?? now
  const endsAt = givenEnd ?? now + resolveTimeoutMs
  if (endsAt < startsAt) {
    problems.push(givenEnd === undefined
      ? { field: 'startsAt', message: `is later than now + resolve_timeout; give an endsAt after ${new Date(startsAt).toISOString()}` }
      : { field: 'endsAt', message: `is before startsAt (${new Date(startsAt).toISOString()})` })
  }
  if (problems.length > 0) throw new AlertValidationError(problems)
  return {
    fingerprint: fingerprint(labels),
    labels,
    annotations,
    startsAt,
    endsAt,
    generatorURL: p.generatorURL ?? '',
    updatedAt: now,
    timeout: givenEnd === undefined
  }
}

/**
 * A whole `POST /api/v2/alerts` body, best effort as in Alertmanager: the valid alerts are
 * returned, and each invalid one is reported with its index (`2.labels.foo-bar: …`). A body
 * with more alerts than `limits.maxAlertsPerRequest` is refused whole: keeping only some would
 * leave the client unsure which.
 */
export function normalizeAlerts (body: unknown, now: number, resolveTimeoutMs: number, limits: InputLimits = DEFAULT_INPUT_LIMITS): { alerts: Alert[], problems: AlertProblem[] } {
  if (!Array.isArray(body)) return { alerts: [], problems: [{ field: 'body', message: 'expected a JSON array of alerts' }] }
  if (body.length > limits.maxAlertsPerRequest) {
    return { alerts: [], problems: [{ field: 'body', message: `${body.length} alerts; ${overLimit(limits, 'maxAlertsPerRequest')}: send them in several requests` }] }
  }
  const alerts: Alert[] = []
  const problems: AlertProblem[] = []
  body.forEach((item, i) => {
    try {
      alerts.push(normalizeAlert(item, now, resolveTimeoutMs, limits))
    } catch (err) {
      if (!(err instanceof AlertValidationError)) throw err
      problems.push(...err.problems.map(p => ({ field: `${i}.${p.field}`, message: p.message })))
    }
  })
  return { alerts, problems }
}

/** Resolved once endsAt has passed (endsAt == now counts as resolved). */
export function isResolved (alert: Pick<Alert, 'endsAt'>, now: number): boolean {
  return alert.endsAt <= now
}

/**
 * The alert to keep when `incoming` arrives for a fingerprint already held. As in Alertmanager:
 * if the two do not overlap in time, the incoming one replaces the old (a new episode);
 * otherwise the more recently received one wins, but the earliest startsAt is kept, and an endsAt
 * that was given explicitly is not shortened by a later timeout default.
 */
export function mergeAlert (held: Alert, incoming: Alert, now: number): Alert {
  const overlaps = (incoming.endsAt > held.startsAt && incoming.endsAt < held.endsAt) ||
    (incoming.startsAt > held.startsAt && incoming.startsAt < held.endsAt)
  if (!overlaps) return incoming
  const [older, newer] = incoming.updatedAt < held.updatedAt ? [incoming, held] : [held, incoming]
  // The timeout flag travels with the endsAt it describes (Alertmanager keeps the newer alert's
  // flag), so an explicit endsAt stays explicit through later merges.
  let { endsAt, timeout } = newer
  if (isResolved(newer, now)) {
    // Both resolved: the later explicit resolution stands.
    if (isResolved(older, now) && older.endsAt > newer.endsAt) ({ endsAt, timeout } = older)
  } else if (older.endsAt > newer.endsAt && !older.timeout) {
    ({ endsAt, timeout } = older)
  }
  return { ...newer, startsAt: Math.min(older.startsAt, newer.startsAt), endsAt, timeout }
}

/**
 * The order Alertmanager lists a group's alerts in: by the `job` label, then `instance` (alerts
 * that have the label first), then fewer labels first, then label by label in name order.
 */
export function compareAlerts (a: Pick<Alert, 'labels'>, b: Pick<Alert, 'labels'>): number {
  for (const key of ['job', 'instance']) {
    const x = a.labels[key]
    const y = b.labels[key]
    if (x === undefined && y === undefined) continue
    if (x === undefined) return 1
    if (y === undefined) return -1
    if (x !== y) return compareUtf8(x, y)
  }
  return compareLabelSets(a.labels, b.labels)
}

function compareLabelSets (a: LabelSet, b: LabelSet): number {
  const an = sortedNames(a)
  const bn = sortedNames(b)
  if (an.length !== bn.length) return an.length - bn.length
  const names = [...new Set([...an, ...bn])].sort(compareUtf8)
  for (const name of names) {
    if (a[name] === undefined) return -1
    if (b[name] === undefined) return 1
    const c = compareUtf8(a[name], b[name])
    if (c !== 0) return c
  }
  return 0
}
