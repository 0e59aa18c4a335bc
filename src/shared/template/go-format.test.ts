import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatG, goFloat, humanize, humanizeDuration, sprintf } from './go-format.js'
import { Template } from './render.js'

test('floats print as Go\'s %v: shortest digits, exponent from 1e+06 and below 1e-04', () => {
  const cases: [number, string][] = [[1, '1'], [0.05, '0.05'], [123456, '123456'], [1e6, '1e+06'], [1234567, '1.234567e+06'], [0.0001, '0.0001'], [0.00001, '1e-05'], [-2.5e-7, '-2.5e-07'], [NaN, 'NaN'], [Infinity, '+Inf'], [1 / 3, '0.3333333333333333']]
  for (const [n, s] of cases) assert.equal(goFloat(n), s, String(n))
  assert.equal(formatG(1234.5678, 4), '1235')
  assert.equal(formatG(0.000012345, 3), '1.23e-05')
})

test('sprintf: the verbs, widths, precision and flags rule templates use', () => {
  assert.equal(sprintf('%.2f|%5d|%-6s|%06.1f|%s|%q|%x|%v|%%', 3.14159, 42, 'ab', -3.14, 'x', 'q"', 255, 0.5), '3.14|   42|ab    |-003.1|x|"q\\""|ff|0.5|%')
  assert.equal(sprintf('%-8.3s|', 'abcdef'), 'abc     |')
  assert.equal(sprintf('%d %d'), '%!d(MISSING) %!d(MISSING)')
})

test('Prometheus humanize and humanizeDuration', () => {
  assert.equal(humanize(1234567), '1.235M')
  assert.equal(humanize(0.0012), '1.2m')
  assert.equal(humanize(0), '0')
  assert.equal(humanizeDuration(90061), '1d 1h 1m 1s')
  assert.equal(humanizeDuration(65.5), '1m 5.5s')
  assert.equal(humanizeDuration(0.0012), '1.2ms')
})

test('templates: $variables the caller defines, extra functions, numbers printed the caller\'s way', () => {
  const t = new Template('{{ $labels.pod }}={{ $value }} {{ double $value }} {{ range $labels }}{{ . }};{{ end }}')
  assert.deepEqual([...t.namesUsed().variables].sort(), ['labels', 'value'])
  assert.deepEqual([...t.namesUsed().functions], ['double'])
  assert.equal(t.render({}, { vars: { labels: { pod: 'a', ns: 'b' }, value: 1e6 }, functions: { double: (v: number) => v * 2 }, printNumber: goFloat }), 'a=1e+06 2e+06 b;a;')
  assert.throws(() => new Template('{{ $nope }}').render({}), /undefined variable \$nope/)
  assert.equal(new Template('{{ . }}').render(1e6), '1000000', 'without printNumber, numbers print as before')
})
