/**
 * Silences, as Alertmanager's API describes them: a set of matchers and a time range. A silence
 * mutes an alert when it is active (startsAt ≤ t ≤ endsAt) and every matcher matches the
 * alert's labels. Expiring a silence sets its endsAt to now.
 */
import { isValidLabelName, type LabelSet } from './labels.js'
import { matchesLabels, matchesValue, newMatcher, type Matcher } from './matchers.js'

/** A matcher as the silences API carries it (`isEqual` defaults to true). */
export interface SilenceApiMatcher { name: string, value: string, isRegex: boolean, isEqual?: boolean }

export interface Silence {
  readonly id: string
  readonly matchers: readonly Matcher[]
  readonly startsAt: number
  readonly endsAt: number
  readonly createdBy: string
  readonly comment: string
}

export type SilenceState = 'pending' | 'active' | 'expired'

/** Converts an API matcher; a bad regex throws MatcherParseError naming it. */
export function matcherFromApi (m: SilenceApiMatcher): Matcher {
  const equal = m.isEqual ?? true
  const type = m.isRegex ? (equal ? '=~' : '!~') : (equal ? '=' : '!=')
  return newMatcher(type, m.name, m.value)
}

export function matcherToApi (m: Matcher): Required<SilenceApiMatcher> {
  return { name: m.name, value: m.value, isRegex: m.type === '=~' || m.type === '!~', isEqual: m.type === '=' || m.type === '=~' }
}

/** Both ends are inclusive, as in Alertmanager. */
export function silenceState (silence: Pick<Silence, 'startsAt' | 'endsAt'>, t: number): SilenceState {
  if (t < silence.startsAt) return 'pending'
  if (t > silence.endsAt) return 'expired'
  return 'active'
}

export function silenceMutes (silence: Silence, labels: LabelSet, t: number): boolean {
  return silenceState(silence, t) === 'active' && matchesLabels(silence.matchers, labels)
}

/** Ids of the silences muting an alert at `t` (its `status.silencedBy`). */
export function silencedBy (silences: Iterable<Silence>, labels: LabelSet, t: number): string[] {
  const ids: string[] = []
  for (const s of silences) if (silenceMutes(s, labels, t)) ids.push(s.id)
  return ids
}

/**
 * What Alertmanager refuses in a silence, as `field: message` strings: no matchers, a bad label
 * name, matchers that all match the empty string (the silence would mute every alert), an end
 * before the start.
 */
export function silenceProblems (silence: Pick<Silence, 'matchers' | 'startsAt' | 'endsAt'>): string[] {
  const problems: string[] = []
  if (silence.matchers.length === 0) problems.push('matchers: at least one matcher is required')
  silence.matchers.forEach((m, i) => {
    if (!isValidLabelName(m.name)) problems.push(`matchers.${i}.name: invalid label name '${m.name}'`)
  })
  if (silence.matchers.length > 0 && silence.matchers.every(m => matchesValue(m, ''))) {
    problems.push('matchers: at least one matcher must not match the empty string, or the silence would mute every alert')
  }
  if (silence.endsAt < silence.startsAt) problems.push('endsAt: must not be before startsAt')
  return problems
}
