/**
 * How big what clients post may be. Every accepted alert is held in memory and written to disk,
 * so without bounds a client (or a bug in one) could post a hundred 3 MB alerts and grow the
 * process without end. The limits are generous for real alerts — Prometheus labels are short,
 * annotations a sentence or a log line — and each is a `limits:` field of the routing file, so a
 * user who needs more can say so. A problem names the field and the limit to raise:
 * `3.annotations.log: 20000 bytes; the limit is 16384 (limits.max_annotation_value_bytes)`.
 *
 * The checks are pure functions returning the problems; the API answers 400 with them, keeping
 * the valid alerts of a body as Alertmanager does.
 */
import type { AlertProblem } from './alert.js'

export interface InputLimits {
  /** `POST /api/v2/alerts` body, bytes (413 beyond). */
  maxAlertsBodyBytes: number
  /** Alerts in one `POST /api/v2/alerts`; a longer list is refused whole (send several). */
  maxAlertsPerRequest: number
  /** Labels of one alert, and annotations of one alert (each). */
  maxLabelsPerAlert: number
  /** A label or annotation name, bytes of UTF-8. */
  maxLabelNameBytes: number
  maxLabelValueBytes: number
  maxAnnotationValueBytes: number
  /** Labels, annotations (names and values) and generatorURL of one alert together. */
  maxAlertBytes: number
  /** `POST /api/v2/silences` body, bytes (413 beyond). */
  maxSilenceBodyBytes: number
  maxSilenceMatchers: number
  maxSilenceCommentBytes: number
}

export const DEFAULT_INPUT_LIMITS: InputLimits = {
  maxAlertsBodyBytes: 4 * 1024 * 1024,
  maxAlertsPerRequest: 10_000,
  maxLabelsPerAlert: 128,
  maxLabelNameBytes: 256,
  maxLabelValueBytes: 4096,
  maxAnnotationValueBytes: 16 * 1024,
  maxAlertBytes: 64 * 1024,
  maxSilenceBodyBytes: 64 * 1024,
  maxSilenceMatchers: 64,
  maxSilenceCommentBytes: 4096
}

/** The routing file's name of each limit, for messages that say what to raise. */
export const LIMIT_FIELDS: Record<keyof InputLimits, string> = {
  maxAlertsBodyBytes: 'max_alerts_body_bytes',
  maxAlertsPerRequest: 'max_alerts_per_request',
  maxLabelsPerAlert: 'max_labels_per_alert',
  maxLabelNameBytes: 'max_label_name_bytes',
  maxLabelValueBytes: 'max_label_value_bytes',
  maxAnnotationValueBytes: 'max_annotation_value_bytes',
  maxAlertBytes: 'max_alert_bytes',
  maxSilenceBodyBytes: 'max_silence_body_bytes',
  maxSilenceMatchers: 'max_silence_matchers',
  maxSilenceCommentBytes: 'max_silence_comment_bytes'
}

/** `the limit is 4096 (limits.max_label_value_bytes)`. */
export function overLimit (limits: InputLimits, which: keyof InputLimits): string {
  return `the limit is ${limits[which]} (limits.${LIMIT_FIELDS[which]} in the routing file)`
}

/** A name as a field path shows it: never more than 64 characters of it. */
export function shownName (name: string): string {
  return name.length <= 64 ? name : `${name.slice(0, 61)}...`
}

const bytes = (s: string): number => Buffer.byteLength(s)

/** Problems with the size of one posted alert (its shape already checked); empty when it fits. */
export function alertSizeProblems (a: { labels: Record<string, string>, annotations?: Record<string, string> | null, generatorURL?: string | null }, limits: InputLimits): AlertProblem[] {
  const problems: AlertProblem[] = []
  let total = bytes(a.generatorURL ?? '')
  for (const [field, set, valueLimit] of [['labels', a.labels, 'maxLabelValueBytes'], ['annotations', a.annotations ?? {}, 'maxAnnotationValueBytes']] as const) {
    const entries = Object.entries(set)
    if (entries.length > limits.maxLabelsPerAlert) problems.push({ field, message: `${entries.length} ${field}; ${overLimit(limits, 'maxLabelsPerAlert')}` })
    for (const [name, value] of entries) {
      const n = bytes(name)
      const v = bytes(value)
      total += n + v
      if (n > limits.maxLabelNameBytes) problems.push({ field: `${field}.${shownName(name)}`, message: `name is ${n} bytes; ${overLimit(limits, 'maxLabelNameBytes')}` })
      if (v > limits[valueLimit]) problems.push({ field: `${field}.${shownName(name)}`, message: `value is ${v} bytes; ${overLimit(limits, valueLimit)}` })
    }
  }
  if (total > limits.maxAlertBytes) problems.push({ field: 'alert', message: `labels, annotations and generatorURL are ${total} bytes together; ${overLimit(limits, 'maxAlertBytes')}` })
  return problems
}

/** Problems with the size of a posted silence; empty when it fits. */
export function silenceSizeProblems (s: { matchers: readonly { name: string, value: string, isRegex: boolean }[], createdBy: string, comment: string }, limits: InputLimits): string[] {
  const problems: string[] = []
  if (s.matchers.length > limits.maxSilenceMatchers) problems.push(`matchers: ${s.matchers.length} matchers; ${overLimit(limits, 'maxSilenceMatchers')}`)
  s.matchers.slice(0, limits.maxSilenceMatchers).forEach((m, i) => {
    if (bytes(m.name) > limits.maxLabelNameBytes) problems.push(`matchers.${i}.name: ${bytes(m.name)} bytes; ${overLimit(limits, 'maxLabelNameBytes')}`)
    // An equality value longer than any label value can never match; a regex may be longer.
    if (!m.isRegex && bytes(m.value) > limits.maxLabelValueBytes) problems.push(`matchers.${i}.value: ${bytes(m.value)} bytes; no label value can be that long: ${overLimit(limits, 'maxLabelValueBytes')}`)
  })
  if (bytes(s.comment) > limits.maxSilenceCommentBytes) problems.push(`comment: ${bytes(s.comment)} bytes; ${overLimit(limits, 'maxSilenceCommentBytes')}`)
  if (bytes(s.createdBy) > limits.maxLabelValueBytes) problems.push(`createdBy: ${bytes(s.createdBy)} bytes; ${overLimit(limits, 'maxLabelValueBytes')}`)
  return problems
}

/** At most this many problems are listed in one answer; the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 100

export function problemsText (problems: readonly AlertProblem[]): string {
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map(p => `${p.field}: ${p.message}`)
  if (problems.length > MAX_PROBLEMS_SHOWN) shown.push(`and ${problems.length - MAX_PROBLEMS_SHOWN} more problems`)
  return shown.join('; ')
}
