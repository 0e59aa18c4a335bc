// The alert state machine as Prometheus' ruler runs it, driven through both stages in event time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toPostable } from './alerts.js'
import { OwnerStage } from './owner-stage.js'
import { RecordStage } from './record-stage.js'
import { RuleSet } from './rule-set.js'
import { record, rulesOf, ruleFile, T0, type Line } from './test-support.js'

const S = 1000

/** Each line in event time, evaluated at its time and at every change point; the state changes as "Ns state value". */
function changes (yaml: string, lines: Line[], until: number): string[] {
  const rules = rulesOf(yaml)
  const stage = new RecordStage(rules)
  const owner = new OwnerStage(new RuleSet(rules))
  const out: string[] = []
  const note = (T: number): void => { for (const c of owner.evaluate(T)) out.push(`${(c.at - T0) / S}s ${c.state} ${c.value}${c.annotations.summary !== undefined ? ` ${c.annotations.summary}` : ''}`) }
  const advance = (T: number): void => { for (let n = owner.nextChange(owner.time); n !== undefined && n < T; n = owner.nextChange(owner.time)) note(n) }
  lines.forEach((l, i) => { advance(T0 + l.at); owner.apply(stage.process(record(l, i))); note(T0 + l.at) })
  advance(T0 + until)
  return out
}

const errorAt = (at: number): Line => ({ at, labels: { namespace: 'shop', pod: 'a' }, line: 'ERROR boom' })

test('for: pending first, firing once the expression held that long, resolved when it stops holding', () => {
  const yaml = ruleFile('sum(count_over_time({namespace="shop"} |= "ERROR" [10s])) > 1', '        for: 5s\n        annotations: { summary: "{{ $value }} errors" }\n')
  assert.deepEqual(changes(yaml, [errorAt(0), errorAt(2 * S), errorAt(3 * S)], 60 * S), [
    '2s pending 2 2 errors',
    '7s firing 3 3 errors',
    // The sample at 2s leaves the 10s window at 12s: one left, not > 1. A resolved alert keeps its last value.
    '12s resolved 2 2 errors'
  ])
})

test('a pending alert whose expression stops holding goes back to inactive without firing', () => {
  const yaml = ruleFile('sum(count_over_time({namespace="shop"} |= "ERROR" [10s])) > 1', '        for: 30s\n')
  assert.deepEqual(changes(yaml, [errorAt(0), errorAt(1 * S)], 60 * S), ['1s pending 2', '10s inactive 2'])
})

test('for: 0s fires at once; keep_firing_for holds a resolved condition as firing for that long', () => {
  const yaml = ruleFile('sum(count_over_time({namespace="shop"} |= "ERROR" [10s])) > 0', '        keep_firing_for: 20s\n')
  // The window empties at 10s; kept firing until 30s.
  assert.deepEqual(changes(yaml, [errorAt(0)], 60 * S), ['0s firing 1', '30s resolved 1'])
})

test('annotations and labels are templates: $labels, $value printed as Go prints a float64, humanize, printf', () => {
  const rules = rulesOf(ruleFile('sum by (pod) (count_over_time({namespace="shop"}[1s])) * 1000000 / 3', [
    '        labels: { severity: \'{{ if gt $value 100.0 }}critical{{ else }}warning{{ end }}\', pod: "{{ $labels.pod }}-x" }',
    '        annotations:',
    '          value: "{{ $value }}"',
    '          human: "{{ $value | humanize }}"',
    '          fixed: \'{{ printf "%.2f" $value }}\'',
    '          who: "{{ .Labels.pod }} in {{ $labels.namespace }}"',
    ''
  ].join('\n')))
  const owner = new OwnerStage(new RuleSet(rules))
  owner.apply(new RecordStage(rules).process(record({ at: 0, labels: { namespace: 'shop', pod: 'a' }, line: 'x' }, 0)))
  const [c] = owner.evaluate(T0)
  assert.deepEqual(c.labels, { alertname: 'A', pod: 'a-x', severity: 'critical' })
  assert.deepEqual(c.annotations, { value: '333333.3333333333', human: '333.3k', fixed: '333333.33', who: 'a in ' })
  const big = rulesOf(ruleFile('sum(count_over_time({namespace="shop"}[1s])) * 3000000', '        annotations: { value: "{{ $value }}" }\n'))
  const o2 = new OwnerStage(new RuleSet(big))
  o2.apply(new RecordStage(big).process(record({ at: 0, labels: { namespace: 'shop' }, line: 'x' }, 0)))
  assert.equal(o2.evaluate(T0)[0].annotations.value, '3e+06', 'as Prometheus prints it')
})

test('an alert carries the record behind it, for the runtime\'s generatorURL', () => {
  const rules = rulesOf(ruleFile('sum(count_over_time({namespace="shop"} |= "ERROR" [10s])) > 1'))
  const stage = new RecordStage(rules)
  const owner = new OwnerStage(new RuleSet(rules))
  owner.apply([...stage.process(record(errorAt(0), 41, 2)), ...stage.process(record(errorAt(1000), 42, 3))])
  const [c] = owner.evaluate(T0 + 1000)
  assert.deepEqual(c.source, { topic: 'logs', partition: 3, offset: 42 })
  const link = (s: { topic: string, partition: number, offset: number }): string => `http://tw/context?topic=${s.topic}&partition=${s.partition}&offset=${s.offset}`
  assert.deepEqual(toPostable(c, link), { labels: { alertname: 'A' }, annotations: {}, startsAt: new Date(T0 + 1000).toISOString(), generatorURL: 'http://tw/context?topic=logs&partition=3&offset=42' })
  const [resolved] = owner.evaluate(T0 + 10_000)
  assert.deepEqual(toPostable(resolved), { labels: { alertname: 'A' }, annotations: {}, startsAt: new Date(T0 + 1000).toISOString(), endsAt: new Date(T0 + 10_000).toISOString() })
})

test('pending and inactive changes are not posted', () => {
  assert.equal(toPostable({ rule: 'g/A', alert: 'A', state: 'pending', labels: {}, annotations: {}, value: 1, at: 0, activeAt: 0 }), null)
})
