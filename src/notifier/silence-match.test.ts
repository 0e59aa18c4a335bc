import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseMatchers } from './matchers.js'
import { matcherFromApi, matcherToApi, silencedBy, silenceMutes, silenceProblems, silenceState, type Silence } from './silence-match.js'

const T = Date.parse('2024-05-01T12:00:00Z')
const silence = (matchers: string, startsAt = T - 1000, endsAt = T + 1000, id = 's1'): Silence =>
  ({ id, matchers: parseMatchers(matchers), startsAt, endsAt, createdBy: 'me', comment: '' })

test('state: pending before startsAt, active from startsAt to endsAt inclusive, expired after', () => {
  const s = { startsAt: T, endsAt: T + 10 }
  assert.deepEqual([T - 1, T, T + 10, T + 11].map(t => silenceState(s, t)), ['pending', 'active', 'active', 'expired'])
})

test('a silence mutes an alert when active and every matcher matches', () => {
  const labels = { alertname: 'Disk', instance: 'host-42', team: 'ops' }
  const cases: [Silence, number, boolean][] = [
    [silence('alertname="Disk"'), T, true],
    [silence('alertname="Disk", instance=~"host-[0-9]+"'), T, true],
    [silence('alertname="Disk", instance=~"host-[0-9]"'), T, false],
    [silence('alertname="Disk", team!="ops"'), T, false],
    [silence('alertname="Disk"', T + 1, T + 100), T, false],
    [silence('alertname="Disk"', T - 100, T - 1), T, false]
  ]
  for (const [s, t, expected] of cases) assert.equal(silenceMutes(s, labels, t), expected, `${s.matchers.map(m => m.name + m.type + m.value).join(',')} @${t - T}`)
  assert.deepEqual(silencedBy([silence('alertname="Disk"', T - 1, T + 1, 'a'), silence('team="dev"', T - 1, T + 1, 'b'), silence('team="ops"', T - 1, T + 1, 'c')], labels, T), ['a', 'c'])
})

test('API matchers: isRegex/isEqual map to the four operators and back', () => {
  const cases: [boolean, boolean | undefined, string][] = [[false, true, '='], [false, false, '!='], [true, true, '=~'], [true, false, '!~'], [true, undefined, '=~']]
  for (const [isRegex, isEqual, type] of cases) {
    const m = matcherFromApi({ name: 'a', value: 'b', isRegex, isEqual })
    assert.equal(m.type, type)
    assert.deepEqual(matcherToApi(m), { name: 'a', value: 'b', isRegex, isEqual: isEqual ?? true })
  }
  assert.throws(() => matcherFromApi({ name: 'a', value: '(', isRegex: true }), /matcher 'a=~"\("': invalid regular expression/)
})

test('what Alertmanager refuses in a silence', () => {
  assert.deepEqual(silenceProblems({ matchers: [], startsAt: T, endsAt: T }), ['matchers: at least one matcher is required'])
  assert.deepEqual(silenceProblems({ matchers: parseMatchers('a=~".*", b!="x"'), startsAt: T, endsAt: T - 1 }), [
    'matchers: at least one matcher must not match the empty string, or the silence would mute every alert',
    'endsAt: must not be before startsAt'
  ])
  assert.deepEqual(silenceProblems({ matchers: parseMatchers('a:b="x"'), startsAt: T, endsAt: T }), ["matchers.0.name: invalid label name 'a:b'"])
  assert.deepEqual(silenceProblems({ matchers: parseMatchers('a="x"'), startsAt: T, endsAt: T + 1 }), [])
})
