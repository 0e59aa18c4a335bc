/**
 * What Alertmanager's v2 API sends and how it filters, as pure functions: the query filters of
 * `GET /api/v2/alerts` and `/alerts/groups`, the `gettableAlert` and `gettableSilence` shapes,
 * and the order silences are listed in. (The status API's config: status-config.ts.)
 */
import type { LabelSet } from '../labels.js'
import { matchesValue, parseMatchers, type Matcher } from '../matchers.js'
import type { AlertStatus } from '../notifier.js'
import { compileRe2, type Re2 } from '../../shared/re2.js'
import { matcherToApi, silenceState } from '../silence-match.js'
import type { StoredSilence } from '../store/silences.js'

export interface AlertFilter {
  matchers: Matcher[]
  active: boolean
  silenced: boolean
  inhibited: boolean
  receiver?: Re2
}

/** Reads the query of GET /api/v2/alerts (and /alerts/groups); throws naming the bad parameter. */
export function alertFilter (query: Record<string, unknown>): AlertFilter {
  const flag = (name: string): boolean => {
    const raw = query[name]
    if (raw === undefined || raw === 'true') return true
    if (raw === 'false') return false
    throw new Error(`${name}: expected true or false, got ${JSON.stringify(raw)}`)
  }
  // Every alert is processed at once here, so `unprocessed` filters nothing; it is still checked.
  flag('unprocessed')
  let receiver: Re2 | undefined
  if (typeof query.receiver === 'string') {
    try { receiver = compileRe2(query.receiver, { anchored: true }) } catch (err) { throw new Error(`receiver: ${(err as Error).message}`) }
  }
  return { matchers: filterMatchers(query.filter), active: flag('active'), silenced: flag('silenced'), inhibited: flag('inhibited'), receiver }
}

/** Repeated `filter=` query values as matchers; throws with the bad one named. */
export function filterMatchers (raw: unknown): Matcher[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
  return list.flatMap(s => parseMatchers(String(s)))
}

/**
 * Alertmanager's filter matching: a positive matcher (`=`, `=~`) needs the label to be there;
 * a negative one (`!=`, `!~`) is also met by a missing label.
 */
export function filterMatches (matchers: readonly Matcher[], labels: LabelSet): boolean {
  return matchers.every(m => {
    const value = labels[m.name]
    if (m.type === '!=' || m.type === '!~') return matchesValue(m, value ?? '')
    return value !== undefined && matchesValue(m, value)
  })
}

export function alertPasses (s: AlertStatus, f: AlertFilter): boolean {
  const isSilenced = s.silencedBy.length > 0
  const isInhibited = s.inhibitedBy.length > 0
  if (!f.active && !isSilenced && !isInhibited) return false
  if (!f.silenced && isSilenced) return false
  if (!f.inhibited && isInhibited) return false
  if (!filterMatches(f.matchers, s.alert.labels)) return false
  if (f.receiver !== undefined && !s.receivers.some(r => f.receiver!.test(r))) return false
  return true
}

export function gettableAlert (s: AlertStatus): object {
  const a = s.alert
  return {
    labels: a.labels,
    annotations: a.annotations,
    receivers: s.receivers.map(name => ({ name })),
    fingerprint: a.fingerprint,
    startsAt: new Date(a.startsAt).toISOString(),
    updatedAt: new Date(a.updatedAt).toISOString(),
    endsAt: new Date(a.endsAt).toISOString(),
    generatorURL: a.generatorURL,
    status: { state: s.silencedBy.length > 0 || s.inhibitedBy.length > 0 ? 'suppressed' : 'active', silencedBy: s.silencedBy, inhibitedBy: s.inhibitedBy }
  }
}

export function gettableSilence (s: StoredSilence, now: number): object {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: new Date(s.updatedAt).toISOString(),
    matchers: s.matchers.map(matcherToApi),
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    createdBy: s.createdBy,
    comment: s.comment
  }
}

/** A silence's matchers as the labels list filters test: every matcher's name and value. */
export function silenceFilterLabels (s: StoredSilence): LabelSet {
  return Object.fromEntries(s.matchers.map(m => [m.name, m.value]))
}

/** Alertmanager's order: active ones ending soonest, then pending ones starting soonest, then expired ones, most recent first. */
export function compareSilences (a: StoredSilence, b: StoredSilence, now: number): number {
  const order = { active: 0, pending: 1, expired: 2 }
  const sa = silenceState(a, now)
  const sb = silenceState(b, now)
  if (sa !== sb) return order[sa] - order[sb]
  if (sa === 'active') return a.endsAt - b.endsAt
  if (sa === 'pending') return a.startsAt - b.startsAt
  return b.endsAt - a.endsAt
}
