import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  compareMatchers, legacyMatchers, matchersString, matcherString, matchesLabels, MatcherParseError, parseMatcher, parseMatchers
} from './matchers.js'

test('parses the four operators, quoted and bare values, and white space around them', () => {
  const cases: [string, string, string, string][] = [
    ['severity="critical"', 'severity', '=', 'critical'],
    ['severity!=critical', 'severity', '!=', 'critical'],
    ['  job =~ "api|web"  ', 'job', '=~', 'api|web'],
    ['job!~web.*', 'job', '!~', 'web.*'],
    ['msg="a, b = c"', 'msg', '=', 'a, b = c'],
    ['msg="say \\"hi\\"\\nnow"', 'msg', '=', 'say "hi"\nnow'],
    ['path=~"C:\\\\temp\\d+"', 'path', '=~', 'C:\\temp\\d+'],
    ['empty=""', 'empty', '=', ''],
    ['ns:sub=x', 'ns:sub', '=', 'x'],
    ['bare=two words ', 'bare', '=', 'two words']
  ]
  for (const [text, name, type, value] of cases) {
    const m = parseMatcher(text)
    assert.deepEqual([m.name, m.type, m.value], [name, type, value], text)
  }
})

test('lists: braces optional, commas inside quotes do not split, trailing comma allowed', () => {
  const ms = parseMatchers('{alertname="Disk, full", severity=~"crit.*",}')
  assert.deepEqual(ms.map(matcherString), ['alertname="Disk, full"', 'severity=~"crit.*"'])
  assert.deepEqual(parseMatchers('a=b, c!=d').map(m => m.type), ['=', '!='])
  assert.deepEqual(parseMatchers('{}'), [])
  assert.deepEqual(parseMatchers(''), [])
})

test('parse errors quote the matcher and say what is wrong', () => {
  const cases: [string, RegExp][] = [
    ['severity', /matcher 'severity': expected name, an operator/],
    ['1abc="x"', /matcher '1abc="x"'/],
    ['a="unterminated', /missing closing double quote/],
    ['a=un"quoted', /unescaped double quote/],
    ['a="x"y', /text after the closing double quote/],
    ['a=~"(open"', /matcher 'a=~"\(open"': invalid regular expression/],
    ['a=~"x\\1"', /invalid regular expression: invalid escape sequence/],
    ['a=~"(?=x)"', /invalid regular expression: invalid or unsupported Perl syntax/],
    ['a=b,,c=d', /empty matcher between commas/]
  ]
  for (const [text, message] of cases) {
    assert.throws(() => parseMatchers(text), (err: unknown) => err instanceof MatcherParseError && message.test(err.message), text)
  }
})

test('matching: regexes are anchored, a missing label is the empty string', () => {
  const labels = { alertname: 'DiskFull', severity: 'critical', team: 'frontend' }
  const cases: [string, boolean][] = [
    ['severity="critical"', true],
    ['severity=~"crit"', false],
    ['severity=~"crit.*"', true],
    ['severity=~"(?i)CRIT.*"', true],
    ['severity!~"warn.*"', true],
    ['team!="backend"', true],
    ['missing=""', true],
    ['missing!="x"', true],
    ['missing=~".*"', true],
    ['missing=~".+"', false],
    ['alertname="DiskFull", team=~"front.*"', true],
    ['alertname="DiskFull", team="backend"', false]
  ]
  for (const [text, expected] of cases) assert.equal(matchesLabels(parseMatchers(text), labels), expected, text)
  assert.equal(matchesLabels([], {}), true)
})

test('legacy match/match_re: equality and anchored regex, printed as Alertmanager prints them', () => {
  const ms = legacyMatchers({ team: 'backend' }, { service: 'api|db' })
  assert.deepEqual(ms.map(matcherString), ['team="backend"', 'service=~"^(?:api|db)$"'])
  assert.equal(matchesLabels(ms, { team: 'backend', service: 'db' }), true)
  assert.equal(matchesLabels(ms, { team: 'backend', service: 'dbx' }), false)
  assert.throws(() => legacyMatchers({}, { service: '(' }), MatcherParseError)
})

test('sorted by name, value, then operator; printed values escape backslash, quote and newline', () => {
  const ms = parseMatchers('b!="1", a="2", b="1", b=~"0"').sort(compareMatchers)
  assert.equal(matchersString(ms), '{a="2",b=~"0",b="1",b!="1"}')
  assert.equal(matcherString(parseMatcher('x!~"a\\"b\\\\\\\\c"')), 'x!~"a\\"b\\\\\\\\c"')
  assert.equal(matcherString(parseMatcher('x="line\\nbreak"')), 'x="line\\nbreak"')
})
