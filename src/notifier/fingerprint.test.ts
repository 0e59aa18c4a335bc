import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fingerprint, groupKey } from './fingerprint.js'
import { compareUtf8, goQuote, labelSetString, type LabelSet } from './labels.js'

// Returned as `fingerprint` by the real Alertmanager 0.25 (GET /api/v2/alerts) for these labels;
// test/notifier-alertmanager.test.ts re-checks a larger set against a live Alertmanager.
const FROM_ALERTMANAGER: [LabelSet, string][] = [
  [{ alertname: 'HighLatency' }, '73dbeed5635ea4e4'],
  [{ alertname: 'HighLatency', namespace: 'shop', team: 'frontend' }, 'fde6ca27870ddc1a'],
  [{ a: '1', a1: '2', alertname: 'A' }, 'c9306ce91b3814bd'],
  [{ alertname: '404 Request', severity: 'warning', namespace: 'demo-project', pod: 'web-7d9f' }, '5157b15165c6b6c8'],
  [{ alertname: 'Edge', q: 'he said "hi" \\ \n ü 😀 \u0007 \t' }, '1ace4b60c3a97977'],
  [{ alertname: 'Edge', cjk: '警报', rtl: 'שלום', astral: '𝄞', ctl: '\u0000\u001f\u007f\u0085\u00a0' }, '5bb073988dfa25b2'],
  [{ ZZ: 'upper', _u: 'x', alertname: 'Sort', z: 'ünïcödé' }, '4717a2b18c57af01'],
  [{ x: 'y'.repeat(300) }, 'ee2d7f626c8452b9'],
  [{ alertname: 'B', q: 'he said "hi" \\ \n ü 😀 \u0007', service: 'api', team: 'backend' }, 'a552834c304e5691']
]

test('fingerprints equal the ones Alertmanager computed, whatever the key order', () => {
  for (const [labels, expected] of FROM_ALERTMANAGER) {
    assert.equal(fingerprint(labels), expected, JSON.stringify(labels))
    const reversed = Object.fromEntries(Object.entries(labels).reverse())
    assert.equal(fingerprint(reversed), expected)
  }
})

test('the empty label set is the FNV-1a offset basis; annotations are not part of identity', () => {
  assert.equal(fingerprint({}), 'cbf29ce484222325')
})

// A direct BigInt FNV-1a 64 (the textbook definition) to cross-check the two-halves arithmetic.
function reference (labels: LabelSet): string {
  let h = 0xcbf29ce484222325n
  const feed = (b: number): void => { h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn }
  for (const name of Object.keys(labels).sort(compareUtf8)) {
    for (const b of Buffer.from(name)) feed(b)
    feed(0xff)
    for (const b of Buffer.from(labels[name])) feed(b)
    feed(0xff)
  }
  return h.toString(16).padStart(16, '0')
}

test('matches a BigInt reference implementation on random label sets', () => {
  const alphabet = ['a', 'Z', '_', '0', 'é', '警', '😀', ' ', '"', '\n', '\uffff', '\u{10000}']
  let seed = 42
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  const word = (): string => Array.from({ length: 1 + rand(12) }, () => alphabet[rand(alphabet.length)]).join('')
  for (let i = 0; i < 500; i++) {
    const labels: Record<string, string> = {}
    for (let j = rand(6); j >= 0; j--) labels[`l${word().replace(/[^a-zA-Z0-9_]/g, '_')}`] = word()
    assert.equal(fingerprint(labels), reference(labels), JSON.stringify(labels))
  }
})

test('group keys are written exactly as in the webhook payloads Alertmanager sent', () => {
  // groupKey values observed in Alertmanager 0.25 webhook notifications.
  assert.equal(groupKey('{}', { a: '1', a1: '2', alertname: 'A' }), '{}:{a1="2", a="1", alertname="A"}')
  assert.equal(
    groupKey('{}/{b=~".*",service=~"^(?:api|db)$",team="backend",x!~"a\\"b\\\\\\\\c"}', { alertname: 'B', q: 'he said "hi" \\ \n ü 😀 \u0007', service: 'api', team: 'backend' }),
    '{}/{b=~".*",service=~"^(?:api|db)$",team="backend",x!~"a\\"b\\\\\\\\c"}:{alertname="B", q="he said \\"hi\\" \\\\ \\n ü 😀 \\a", service="api", team="backend"}'
  )
  assert.equal(labelSetString({}), '{}')
})

test('Go %q quoting: escapes, non-printable characters, printable Unicode kept', () => {
  const cases: [string, string][] = [
    ['plain', '"plain"'],
    ['"\\', '"\\"\\\\"'],
    ['\u0007\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\u0000\u001f\u007f', '"\\x00\\x1f\\x7f"'],
    ['\u0085\u00a0\u200b', '"\\u0085\\u00a0\\u200b"'],
    ['ü警😀𝄞', '"ü警😀𝄞"'],
    ['\u{e0001}', '"\\U000e0001"']
  ]
  for (const [input, quoted] of cases) assert.equal(goQuote(input), quoted, JSON.stringify(input))
})

test('strings order by UTF-8 bytes, as in Go', () => {
  assert.ok(compareUtf8('\uffff', '\u{10000}') < 0, 'U+FFFF before U+10000 (UTF-16 says otherwise)')
  assert.ok(compareUtf8('Z', '_') < 0)
  assert.ok(compareUtf8('a', 'a1') < 0)
  assert.equal(compareUtf8('x', 'x'), 0)
})
