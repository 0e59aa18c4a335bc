import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileAnchoredRe2, Re2Error } from './re2.js'

test('RE2 patterns mean in JavaScript what they mean in Alertmanager', () => {
  const cases: [string, string, boolean][] = [
    ['crit.*', 'critical', true],
    ['crit', 'critical', false], // anchored on both ends
    ['api|db', 'db', true],
    ['(?i)crit.*', 'CRITICAL', true],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false],
    ['web\\-[[:digit:]]+', 'web-12', true],
    ['[[:alpha:]_]+', 'ab_c', true],
    ['[[:alpha:]]+', 'ab1', false],
    ['\\pL+', 'ünï', true],
    ['\\p{Greek}+', 'αβγ', true],
    ['a\\z', 'a', true],
    ['\\Aa', 'a', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['a{', 'a{', true],
    ['a{2}', 'aa', true],
    ['[]a]+', ']a', true],
    ['x]', 'x]', true],
    ['\\s', '\u00a0', false], // RE2's \s is ASCII only
    ['\\s', '\t', true],
    ['.', '😀', true], // one code point, not two UTF-16 units
    ['(?P<n>a)b', 'ab', true],
    ['\\x{1F600}', '😀', true],
    ['\\#\\:\\@', '#:@', true],
    ['\\d+', '١٢', false]
  ]
  for (const [pattern, input, expected] of cases) {
    assert.equal(compileAnchoredRe2(pattern).test(input), expected, `${pattern} on ${JSON.stringify(input)}`)
  }
})

test('what RE2 rejects (or JavaScript cannot express) is an error, not a silent difference', () => {
  for (const pattern of ['(a', 'a)', '[a', 'a\\1', '(?=a)', '(?!a)', '(?<=a)b', 'a(?i)b', '(?U)a', '\\C', '\\y', '[[:nope:]]']) {
    assert.throws(() => compileAnchoredRe2(pattern), Re2Error, pattern)
  }
})
