import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../shared/config-source.js'
import { isRuleFileText, parseRuleFile } from './file.js'

function problems (yaml: string): string[] {
  try {
    parseRuleFile('rules.yaml', yaml)
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.message.split('\n')
  }
  assert.fail('expected the file to be refused')
}

test('a Loki ruler file loads as is: groups, interval, for, labels, annotations', () => {
  const f = parseRuleFile('rules.yaml', `groups:
- name: should_fire
  interval: 1m
  rules:
  - alert: HighPercentageError
    expr: |
      sum(rate({app="foo", env="production"} |= "error" [5m])) by (job)
        /
      sum(rate({app="foo", env="production"}[5m])) by (job)
        > 0.05
    for: 10m
    labels:
        severity: page
    annotations:
        summary: High request latency
- name: credentials_leak
  rules:
    - alert: http-credentials-leaked
      annotations:
        message: "{{ $labels.job }} is leaking http basic auth credentials."
      expr: 'sum by (cluster, job, pod) (count_over_time({namespace="prod"} |~ "http(s?)://(\\\\w+):(\\\\w+)@" [5m]) > 0)'
      for: 10m
      labels:
        severity: critical
`)
  assert.deepEqual(f.groups.map(g => [g.name, g.intervalMs, g.rules.map(r => [r.id, r.forMs])]), [
    ['should_fire', 60_000, [['should_fire/HighPercentageError', 600_000]]],
    ['credentials_leak', undefined, [['credentials_leak/http-credentials-leaked', 600_000]]]
  ])
  assert.deepEqual(f.rules[0].partition, { by: ['job'] })
  assert.ok(isRuleFileText('# rules\ngroups:\n  - name: x\n'))
  assert.ok(!isRuleFileText('name: f\ninput: { topic: logs }\n'))
})

test('every problem at once, at its line and column; expression problems at their column in the expression', () => {
  const yaml = [
    'groups:', //                                                                                 1
    '  - name: shop', //                                                                          2
    '    rules:', //                                                                              3
    '      - alert: A', //                                                                        4
    '        expr: \'rate({namespace="shop"} |> "<_> x" [1m]) > 0 or vector(1)\'', //             5
    '        for: 5 minutes', //                                                                  6
    '      - record: job:errors:rate5m', //                                                       7
    '        expr: sum(rate({a="b"}[5m]))', //                                                    8
    '      - alert: B', //                                                                        9
    '        expr: >', //                                                                         10
    '          sum by (pod)', //                                                                  11
    '            (label_replace(count_over_time({namespace="shop"}[1m]), "a", "b", "c", "d"))', // 12
    '        annotations: { summary: \'{{ query "up" }}\' }', //                                  13
    '        lables: {}', //                                                                      14
    '      - alert: C', //                                                                        15
    '        expr: "count_over_time({namespace=\\"shop\\"} |~ \\"(\\" [1m]) > 0"', //             16
    '  - name: shop', //                                                                          17
    '    rules: []'
  ].join('\n')
  assert.deepEqual(problems(yaml), [
    "rules.yaml:6:14: groups[0].rules[0].for: '5 minutes' is not a duration; write it like 30s, 5m or 1h30m",
    'rules.yaml:5:40: groups[0].rules[0].expr: the pattern line filter |> is not supported',
    'rules.yaml:5:64: groups[0].rules[0].expr: vector() is not supported',
    "rules.yaml:5:61: groups[0].rules[0].expr: 'or' between vectors (set operations) is not supported",
    'rules.yaml:7:17: groups[0].rules[1].record: recording rules are not supported; write it as an alerting rule (alert: …, expr: … > 0)',
    "rules.yaml:9:9: groups[0].rules[2]: unknown field 'lables'; check the spelling",
    'rules.yaml:12:14: groups[0].rules[2].expr: label_replace() is not supported',
    "rules.yaml:13:33: groups[0].rules[2].annotations.summary: template: the template function 'query' is not supported",
    'rules.yaml:16:53: groups[0].rules[3].expr: invalid regular expression: missing closing ): `(`',
    "rules.yaml:17:11: groups[1].name: a group named 'shop' is already defined in this file; names must be unique"
  ])
})

test('rules that could never work are refused: a log query as an alert, new_pattern with a metric query, no range', () => {
  const one = (rule: string): string[] => problems(`groups:\n  - name: g\n    rules:\n      - alert: A\n${rule}`)
  assert.match(one('        expr: \'{namespace="shop"} |= "x"\'\n')[0], /needs a metric query/)
  assert.match(one('        expr: \'count_over_time({a="b"}[1m]) > 0\'\n        new_pattern: { learning: 10m }\n')[0], /new_pattern rule takes a log query/)
  assert.match(one('        expr: \'1 > bool 0\'\n')[0], /has no log range/)
  assert.match(one('        expr: \'count_over_time({a="b"}[1m])\'\n        labels: { "bad-name": x }\n')[0], /labels\.bad-name: label names are letters/)
  assert.match(one('        expr: \'count_over_time({a="b"}[1m])\'\n        keep_firing_for: 1h\n        limit: 3\n')[0], /unknown field 'limit'/)
})
