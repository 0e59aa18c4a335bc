import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readEnvelope } from './envelope.js'
import { scanEnvelope } from './envelope-scan.js'
import { utcTime } from './utc-time.js'
import { envelope, PODS, scenario, stream } from '../../test/fixtures/rules/corpus.js'

const KAFKA_TS = 1_700_000_000_000

/** Asserts the scan reads `b` as readEnvelope reads its text (or leaves it to readEnvelope); returns whether it read it. */
function same (b: Buffer, what = b.toString('utf8')): boolean {
  const want = readEnvelope(b.toString('utf8'), KAFKA_TS)
  const got = scanEnvelope(b, KAFKA_TS)
  if (got === null) return false
  assert.deepEqual(Object.entries(got.labels), Object.entries(want.labels), `labels of ${what}`)
  assert.equal(got.line, want.line, `line of ${what}`)
  assert.equal(got.ts, want.ts, `time of ${what}`)
  return true
}

const bytes = (s: string): Buffer => Buffer.from(s)

test('the byte scan reads every record of the rules corpus as readEnvelope does, without falling back', () => {
  const lines = [...scenario(), ...stream(2000)]
  for (const l of lines) assert.ok(same(bytes(l)), `scanned: ${l}`)
  // Records of one pod share one labels object; another stream gets its own.
  const a = scanEnvelope(bytes(envelope(PODS.cart, 1, 'x')), 0)!
  const b = scanEnvelope(bytes(envelope(PODS.cart, 2, 'y')), 0)!
  assert.equal(a.labels, b.labels)
  assert.ok(a.shared && Object.isFrozen(a.labels))
  const err = scanEnvelope(bytes(envelope(PODS.cart, 2, 'y').replace('"stdout"', '"stderr"')), 0)!
  assert.notEqual(err.labels, a.labels)
  assert.equal(err.labels.stream, 'stderr')
})

test('the byte scan decodes escapes, unicode and invalid UTF-8 as JSON.parse of the decoded text does', () => {
  const k8s = '"kubernetes":{"pod_name":"p\\u00e9","namespace_name":"sh\\/op","labels":{"a\\"b":"1","caf\u00e9":"\\ud83d\\ude00"}}'
  const docs = [
    `{"log":"tab\\there \\"q\\" back\\\\slash \\/ \\b\\f\\r\\n","stream":"stdout",${k8s}}`,
    `{"log":"caf\u00e9 \u6f22\u5b57 \u{1f600} \\u00e9 \\ud83d\\ude00 lone \\ud800 \\udc00 end","time":"2024-11-22T05:20:00.5Z"}`,
    `{"log":"line sep \u2028 para \u2029 nul \\u0000","stream":"std\\u006fut"}`,
    `{"message":"crlf\\r\\n","namespace":"\\u0073hop","pod":"","host":"h","hostname":"x"}`,
    '{"log":"\\n"}', '{"log":""}', '{"message":"","log":7}', '{}', '{"log":"a","kubernetes":{}}'
  ]
  for (const d of docs) assert.ok(same(bytes(d)), d)
  // Bytes that are not UTF-8 become U+FFFD, in a value and in the line, as Buffer#toString makes them.
  const invalid = [
    Buffer.concat([bytes('{"log":"bad '), Buffer.from([0xff, 0xfe]), bytes(' x","kubernetes":{"pod_name":"p'), Buffer.from([0xe2, 0x82]), bytes('"}}')]),
    Buffer.concat([bytes('{"log":"'), Buffer.from([0xe2, 0x82]), bytes('","stream":"'), Buffer.from([0x80]), bytes('"}')]),
    Buffer.concat([bytes('{"log":"x\\n'), Buffer.from([0xf0, 0x9f, 0x98]), bytes('"}')])
  ]
  for (const b of invalid) assert.ok(same(b, b.toString('hex')))
})

test('the byte scan follows JSON.parse on odd shapes: duplicated members, non-string values, nesting, whitespace', () => {
  const docs = [
    // The last duplicate wins, whatever its type.
    '{"log":"first","log":"second"}', '{"log":"first","log":5,"message":"m"}', '{"log":5,"log":"back"}',
    '{"kubernetes":{"pod_name":"a"},"kubernetes":{"pod_name":"b"}}', '{"kubernetes":{"pod_name":"a"},"kubernetes":null,"pod":"flat"}',
    '{"time":"2024-11-22T05:20:00Z","time":1732252800.25}', '{"stream":"stdout","stream":"stderr","kubernetes":{"pod_name":"a"}}',
    // Numbers and booleans are label values as text; objects, arrays and null are not.
    '{"namespace":1e3,"pod":-0.5,"container":true,"host":false,"image":null,"stream":["x"],"labels":{"n":12,"b":true,"o":{"x":1},"e":""}}',
    '{"kubernetes":{"pod_name":1.50,"labels":[1,2]},"labels":{"a":"b"}}', '{"kubernetes":"text","pod_labels":{"x":"y"},"pod":"p"}',
    '{"kubernetes":{"pod_labels":{"app":"v"},"pod_namespace":"ns","pod_node_name":"n1"},"message":"vector"}',
    '{"kubernetes":{"labels":{"__proto__":"x","constructor":"c","toString":"t"}},"log":"x"}',
    '{"__proto__":{"log":"no"},"log":"yes","constructor":"c"}',
    // Members the envelope does not read, of every kind.
    '{"a":[1,[2,[3,{"b":[]}]]],"c":{"d":{"e":null}},"f":-0,"g":0.1e-7,"h":1E+2,"log":"x","i":true,"j":false,"k":""}',
    // Times of every shape (epoch numbers by magnitude, strings, unreadable ones).
    '{"@timestamp":1732252800,"log":"s"}', '{"timestamp":"1732252800123","log":"ms"}', '{"time":"yesterday","@timestamp":"2024-11-22 05:20:00.123456","log":"x"}',
    '{"time":{"s":1},"timestamp":1732252800123456,"log":"x"}', '{"time":"1969-12-31T23:59:59Z","log":"x"}',
    // Whitespace between every token, and after the document.
    ' {"log":"leading"}', '{ "log" : "x" , "stream"\t:\r\n"stdout" }\n', '{"log":"x"}   \r\n\t'
  ]
  for (const d of docs) same(bytes(d), d)
  assert.ok(same(bytes(docs[0])) && same(bytes(docs[3])) && same(bytes(docs[7])), 'the scan reads these itself')
  // A key with an escape could spell a member the envelope reads: left to readEnvelope.
  assert.equal(scanEnvelope(bytes('{"lo\\u0067":"x"}'), 0), null)
  assert.equal(readEnvelope('{"lo\\u0067":"x"}', 0).line, 'x')
  // Deeper than the scan goes: left to readEnvelope, which reads it.
  const deep = `{"log":"deep","x":${'['.repeat(100)}${']'.repeat(100)}}`
  assert.equal(scanEnvelope(bytes(deep), 0), null)
  assert.equal(readEnvelope(deep, 0).line, 'deep')
})

test('a record JSON.parse refuses is never scanned as an envelope: it stays a plain-text line', () => {
  const bad = [
    '{"log":"x",}', '{"log" "x"}', '{"log":"x"', '{"log":"x"}}', '{"log":"x"} y', '{"log":"\\x41"}', '{"log":"\\u12g4"}', '{"log":"raw\ttab"}',
    '{"log":"raw\nnewline"}', '{"log":"unit\u001fsep"}', '{"n":01,"log":"x"}', '{"n":1.,"log":"x"}', '{"n":+1,"log":"x"}', '{"n":.5,"log":"x"}', '{"n":1e,"log":"x"}',
    '{"n":NaN,"log":"x"}', "{'log':'x'}", '{"log":"x",,"a":1}', '{"a":[1,],"log":"x"}', '{"a":tru,"log":"x"}', '{"a":nul}', '{"log":"unterminated',
    '{"a":{"b":1,"log":"x"}', '{log:"x"}', '{"log":"x"}\u00a0', '{"a":[1 2]}', '{"log":"\\'
  ]
  for (const d of bad) {
    assert.throws(() => JSON.parse(d), SyntaxError, d)
    assert.equal(scanEnvelope(bytes(d), 0), null, d)
    assert.deepEqual(readEnvelope(d, 0), { labels: {}, line: d.replace(/\n$/, ''), ts: 0 })
  }
})

/** A small deterministic generator (mulberry32), so a failure can be reproduced from its seed. */
function random (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

test('property: generated envelopes, and byte-level mutations of them, read the same through the scan as through readEnvelope', () => {
  const rnd = random(13)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]
  const chars = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f', '\u00e9', '\u2028', '\u6f22', '\u{1f600}', '\ud800', '{', '}', ':', ',', '[']
  const str = (): string => Array.from({ length: Math.floor(rnd() * 8) }, () => pick(chars)).join('')
  const scalar = (): unknown => pick([str, str, () => rnd() * 1e6 - 5e5, () => Math.floor(rnd() * 1e15), () => rnd() < 0.5, () => null, () => '', () => 'shop'])()
  const value = (depth: number): unknown => depth > 2 || rnd() < 0.6 ? scalar() : rnd() < 0.5 ? Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1)) : members(depth + 1, ['a', 'b', str()])
  const members = (depth: number, names: string[]): Record<string, unknown> => Object.fromEntries(names.filter(() => rnd() < 0.6).map(n => [n, value(depth)]))
  const labelNames = ['app', 'app.kubernetes.io/name', '1st', 'namespace', '__proto__', 'version']
  const k8sNames = ['pod_name', 'namespace_name', 'pod_namespace', 'container_name', 'host', 'pod_node_name', 'container_image']
  const top = ['log', 'message', 'time', '@timestamp', 'timestamp', 'stream', 'namespace', 'pod', 'container', 'host', 'hostname', 'image', 'logtag', 'extra']
  const times = [(): unknown => new Date(Math.floor(rnd() * 2e12)).toISOString(), () => rnd() * 2e9, () => Math.floor(rnd() * 2e15), () => '2024-11-22 05:20:00', () => 'soon', () => -1]
  const doc = (): string => {
    const d: Record<string, unknown> = members(0, top)
    if (rnd() < 0.7) d.time = pick(times)()
    if (rnd() < 0.8) d.log = str() + (rnd() < 0.5 ? '\n' : '')
    if (rnd() < 0.7) {
      const k: Record<string, unknown> = members(1, k8sNames)
      const labels = rnd() < 0.5 ? 'labels' : 'pod_labels'
      if (rnd() < 0.8) k[labels] = rnd() < 0.9 ? Object.fromEntries(labelNames.filter(() => rnd() < 0.5).map(n => [n, scalar()])) : scalar()
      d.kubernetes = rnd() < 0.95 ? k : scalar()
    }
    if (rnd() < 0.2) d.labels = members(1, labelNames)
    let text = JSON.stringify(d)
    // Duplicated members (JSON.stringify cannot write them), and whitespace between tokens.
    if (rnd() < 0.2) text = text.replace(/^\{/, `{${JSON.stringify(pick(top))}:${JSON.stringify(value(1))},`).replace('{,', '{')
    if (rnd() < 0.2) text = text.replace(/,"/g, () => pick([',"', ' ,\n"', ',\t"']))
    return text
  }
  let scanned = 0
  let mutatedScanned = 0
  const N = 4000
  for (let i = 0; i < N; i++) {
    const b = Buffer.from(doc())
    if (same(b)) scanned++
    // One byte replaced, inserted or removed: mostly invalid JSON, sometimes another valid document.
    const at = Math.floor(rnd() * b.length)
    const byte = pick([0x22, 0x5c, 0x2c, 0x7d, 0x5d, 0x3a, 0x30, 0x20, 0x0a, 0x01, 0x1f, 0x80, 0xff, 0x65, 0x2d])
    const op = rnd()
    const m = op < 0.4 ? Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at + 1)]) : op < 0.7 ? Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]) : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
    if (same(m, `${m.toString('hex')} (mutated)`)) mutatedScanned++
  }
  // The scan itself did the reading for most generated documents (the rest have escaped keys or are not objects).
  assert.ok(scanned > N * 0.8, `scanned ${scanned} of ${N}`)
  assert.ok(mutatedScanned > N * 0.1, `scanned ${mutatedScanned} of ${N} mutated`)
})

test('RFC 3339 times read from the bytes are Date.parse\'s (fractions truncated, days past the month\'s end rolled over); other shapes go to envelope.ts', () => {
  const rnd = random(29)
  const two = (n: number): string => String(n).padStart(2, '0')
  const times = ['2024-11-22T05:00:00.0009Z', '2024-11-22T05:00:00.9999Z', '2024-11-22T05:00:00.5Z', '2024-11-22T05:00:00Z', '2024-02-30T05:00:00Z',
    '2023-02-29T23:59:59.999999999Z', '2024-11-22T24:00:00Z', '2024-11-22T23:59:60Z', '2024-11-22T05:00:00.Z', '2024-11-22t05:00:00Z', '2024-11-22T05:00:00,5Z',
    '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z', '0000-01-01T00:00:00Z', '2024-13-01T00:00:00Z', '2024-00-10T00:00:00Z', '2024-11-00T00:00:00Z',
    '2024-11-22T05:00:00.123+01:00', '2024-11-22 05:00:00.123Z', '+002024-11-22T05:00:00Z', '2024-11-22T5:00:00.000Z', '2024-11-22T05:00:00.1a3Z']
  for (let i = 0; i < 3000; i++) {
    const frac = rnd() < 0.2 ? '' : '.' + Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => Math.floor(rnd() * 10)).join('')
    times.push(`${1960 + Math.floor(rnd() * 90)}-${two(Math.floor(rnd() * 14))}-${two(Math.floor(rnd() * 33))}T${two(Math.floor(rnd() * 26))}:${two(Math.floor(rnd() * 61))}:${two(Math.floor(rnd() * 62))}${frac}Z`)
  }
  let fromBytes = 0
  for (const t of times) {
    const text = `{"time":"${t}","log":"x","kubernetes":{"pod_name":"p"}}`
    assert.ok(same(bytes(text)), t)
    const v = utcTime(bytes(t), 0, t.length)
    if (v !== null) { fromBytes++; assert.equal(v, Math.floor(Date.parse(t)), t) }
  }
  assert.ok(fromBytes > times.length / 3, `${fromBytes} of ${times.length} read from the bytes`)
})

test('records of pods read a moment ago: their objects are recognised by their bytes, and a changed byte in one is read again (and still checked)', () => {
  const pods = Object.values(PODS)
  for (let i = 0; i < 400; i++) {
    const pod = pods[i % pods.length]
    const text = envelope(pod, i, `line ${i}`)
    assert.ok(same(bytes(text)), text)
    // One byte of the pod object changed: another pod, an invalid record, or a label with an escape.
    const at = text.indexOf('"kubernetes":') + 14 + (i * 7) % 40
    for (const byte of [0x41, 0x22, 0x5c, 0x7d, 0x01]) {
      const m = Buffer.from(text)
      m[at] = byte
      same(m, `${m.toString('utf8')} (changed at ${at})`)
      let parses = true
      try { JSON.parse(m.toString('utf8')) } catch { parses = false }
      if (!parses) assert.equal(scanEnvelope(m, 0), null, m.toString('utf8'))
    }
  }
})
