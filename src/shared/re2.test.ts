import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileRe2, Re2Error } from './re2.js'

test('anchored RE2 patterns match as Alertmanager matches label values', () => {
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
    assert.equal(compileRe2(pattern, { anchored: true }).test(input), expected, `${pattern} on ${JSON.stringify(input)}`)
  }
})

test('what RE2 rejects is an error naming the problem; what RE2 accepts (flags mid-pattern) works', () => {
  for (const pattern of ['(a', 'a)', '[a', 'a\\1', '(?=a)', '(?!a)', '(?<=a)b', '\\C', '\\y', '[[:nope:]]']) {
    assert.throws(() => compileRe2(pattern), (err: Error) => err instanceof Re2Error && err.message.startsWith('invalid regular expression: '), pattern)
  }
  assert.equal(compileRe2('a(?i)b', { anchored: true }).test('aB'), true)
  assert.equal(compileRe2('(?U)a+', { anchored: false }).exec('aaa')?.[0], 'a')
})

test('unanchored patterns find a match anywhere; exec returns groups, named ones by index', () => {
  const re = compileRe2('(?P<status>\\d{3}) (?P<bytes>\\d+)$')
  assert.equal(re.test('"GET / HTTP/1.1" 404 512'), true)
  assert.deepEqual(re.exec('"GET / HTTP/1.1" 404 512'), ['404 512', '404', '512'])
  assert.deepEqual([...re.groupNames], [[1, 'status'], [2, 'bytes']])
  assert.equal(re.exec('no status here'), null)
  assert.deepEqual(compileRe2('a(b)?').exec('xa'), ['a', null])
})

test('nested quantifiers over a long subject answer at once: matching is linear in the subject', () => {
  // A backtracking engine takes minutes here; the bound below is far above linear time on any machine.
  const subject = 'a'.repeat(100_000) + '!'
  const ops = [compileRe2('(a+)+$'), compileRe2('(a|aa)*b'), compileRe2('(x*y*)*z', { anchored: true }), compileRe2('(.*)*b')]
  for (const re of ops) assert.equal(re.test(subject), false, re.source)
})
