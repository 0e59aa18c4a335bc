import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeAlert, type Alert } from './alert.js'
import { inhibition, isInhibited, type InhibitRule } from './inhibit.js'
import { parseMatchers } from './matchers.js'

const NOW = Date.parse('2024-05-01T12:00:00Z')
const firing = (labels: Record<string, string>): Alert => normalizeAlert({ labels }, NOW, 300_000)
const resolved = (labels: Record<string, string>): Alert => normalizeAlert({ labels, endsAt: new Date(NOW - 1).toISOString() }, NOW, 300_000)
const rule = (source: string, target: string, equal: string[] = []): InhibitRule =>
  ({ sourceMatchers: parseMatchers(source), targetMatchers: parseMatchers(target), equal })

const critical = rule('severity="critical"', 'severity="warning"', ['alertname', 'namespace'])

test('inhibition: source present, target matched, equal labels equal', () => {
  const warning = { alertname: 'Disk', severity: 'warning', namespace: 'a' }
  const cases: [string, Alert[], boolean][] = [
    ['a firing critical alert with the same equal labels mutes the warning', [firing({ alertname: 'Disk', severity: 'critical', namespace: 'a' })], true],
    ['a different namespace does not', [firing({ alertname: 'Disk', severity: 'critical', namespace: 'b' })], false],
    ['a resolved source does not', [resolved({ alertname: 'Disk', severity: 'critical', namespace: 'a' })], false],
    ['no source, no inhibition', [], false],
    ['a source missing an equal label does not match a target that has it', [firing({ alertname: 'Disk', severity: 'critical' })], false]
  ]
  for (const [name, alerts, expected] of cases) assert.equal(isInhibited(warning, [critical], alerts, NOW), expected, name)
})

test('a label missing on both sides counts as equal (both empty)', () => {
  assert.equal(isInhibited({ alertname: 'Disk', severity: 'warning' }, [critical], [firing({ alertname: 'Disk', severity: 'critical' })], NOW), true)
})

test('no self-inhibition: alerts matching both sides do not mute each other, but a source-only alert mutes them', () => {
  const both = rule('kind=~"src|both"', 'kind=~"tgt|both"', ['alertname'])
  const b1 = firing({ alertname: 'P', kind: 'both', n: '1' })
  const b2 = firing({ alertname: 'P', kind: 'both', n: '2' })
  const src = firing({ alertname: 'P', kind: 'src' })
  assert.equal(isInhibited(b1.labels, [both], [b1, b2], NOW), false)
  assert.deepEqual(inhibition({ alertname: 'P', kind: 'tgt' }, [both], [b1, b2], NOW), { inhibited: true, ruleIndex: 0, by: b1.fingerprint })
  assert.deepEqual(inhibition(b1.labels, [both], [b1, b2, src], NOW), { inhibited: true, ruleIndex: 0, by: src.fingerprint })
})

test('the first rule that applies is reported', () => {
  const rules = [rule('x="never"', 'severity="warning"'), critical]
  const source = firing({ alertname: 'Disk', severity: 'critical', namespace: 'a' })
  assert.deepEqual(inhibition({ alertname: 'Disk', severity: 'warning', namespace: 'a' }, rules, [source], NOW), { inhibited: true, ruleIndex: 1, by: source.fingerprint })
})
