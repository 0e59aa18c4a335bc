// The collector's own record writer against the project's RecordBatch decoder: what it writes is
// what a Kafka consumer reads, for every codec, with timestamps in any order; and a CRI line
// written from its bytes is exactly the envelope JSON.stringify makes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { batchProblem, CODEC_NAMES, decodeBatch } from '../protocol/record-batch/index.js'
import { RecordSections } from './record-sections.js'
import { JsonBytes } from './json-bytes.js'
import { CriLine } from './cri-bytes.js'
import { envelope } from './envelope.js'
import { parseCri } from './formats.js'
import { CHECKPOINT_FILES, CheckpointStore } from './checkpoints.js'

const MESSAGES = [
  'GET /index.html 200',
  'quotes "inside" and a backslash \\ and a slash /',
  'tab\there, bell \u0007, escape \u001b[31m',
  'UTF-8: é ü 中文 😀, line separator \u2028 and DEL \u007f',
  '',
  '{"already":"json","n":1}'
]

test('records written from CRI bytes are the envelope JSON.stringify writes, and decode with their timestamps for every codec', () => {
  const kubernetes = { pod_name: 'web-0', namespace_name: 'shop', container_name: 'nginx', host: 'node-1' }
  const kube = Buffer.from(`,"kubernetes":${JSON.stringify(kubernetes)}`)
  const times = ['2024-05-01T12:00:00.123456789Z', '2024-05-01T11:59:59.5Z', '2024-05-01T14:00:01+02:00', '2024-05-01T12:00:02.000000001Z']
  for (const codec of CODEC_NAMES.filter(c => c !== 'zstd')) {
    const sections = new RecordSections()
    const cri = new CriLine()
    const expected: { value: string, timestamp: number }[] = []
    MESSAGES.forEach((msg, i) => {
      const time = times[i % times.length]
      const stream = i % 2 === 0 ? 'stdout' : 'stderr'
      const line = Buffer.from(msg === '' ? `${time} ${stream} F` : `${time} ${stream} F ${msg}`)
      assert.ok(cri.parse(line, 0, line.length), `not taken as a whole CRI line: ${line.toString()}`)
      assert.equal(cri.ms, Date.parse(time))
      sections.addCri(0, cri.ms, line, 0, cri.timeEnd, cri.stderr, cri.msgStart, line.length, kube)
      const frag = parseCri(line.toString())!
      expected.push({ value: JSON.stringify(envelope({ log: frag.text, time: frag.time!, stream: frag.stream, kubernetes })), timestamp: Date.parse(time) })
    })
    sections.add(0, 1, JSON.stringify({ time: 'x', log: 'written as a string' }))
    expected.push({ value: '{"time":"x","log":"written as a string"}', timestamp: 1 })
    const batches = sections.build(CODEC_NAMES.indexOf(codec))
    assert.equal(batches.size, 1)
    const batch = batches.get(0)!
    assert.equal(batchProblem(batch, 0), null)
    const decoded = decodeBatch(batch, { checkCrc: true })
    assert.equal(decoded.skipped, undefined)
    assert.deepEqual(decoded.records.map(r => ({ value: r.value, timestamp: r.timestamp })), expected, codec)
    assert.deepEqual(decoded.records.map(r => r.offset), expected.map((_, i) => i))
  }
})

test('a message escaped from its bytes is the UTF-8 of JSON.stringify of its text, at any alignment and however many escapes', () => {
  const json = new JsonBytes()
  // Every byte JSON escapes, multi-byte characters, and long runs with and without escapes.
  const pieces = ['a', '"', '\\', '/', 'é', '中', '😀', '\u2028', '\u007f', ' ', 'x'.repeat(37), '"'.repeat(9)]
  for (let c = 0; c < 0x20; c++) pieces.push(String.fromCharCode(c))
  let seed = 7
  const next = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  const texts = ['', ...pieces, '"'.repeat(3000), '\u0001'.repeat(700) + 'end']
  for (let i = 0; i < 300; i++) texts.push(Array.from({ length: next(60) }, () => pieces[next(pieces.length)]).join(''))
  const dst = Buffer.alloc(64 * 1024)
  for (const text of texts) {
    const bytes = Buffer.from(text)
    for (let offset = 0; offset < 4; offset++) {
      // The message at every offset from a word boundary, inside a larger buffer.
      const src = Buffer.alloc(bytes.length + 9, 0x22)
      bytes.copy(src, offset + 1)
      const expected = JSON.stringify(text)
      assert.equal(json.measure(src, offset + 1, offset + 1 + bytes.length), Buffer.byteLength(expected))
      const end = json.write(dst, 3)
      assert.equal(dst.toString('utf8', 3, end), expected)
    }
  }
})

test('lines the byte path does not take go to the decoder: parts, tags beyond F, other formats, escapes or no RFC 3339 in the timestamp', () => {
  const refuse = ['2024-05-01T12:00:00Z stdout P part', '2024-05-01T12:00:00Z stdout F:x tagged', '{"log":"docker\\n"}', '2024-05-01T12:00:"0Z stdout F x',
    '2024-05-01T12:00:00Z stdin F x', '2024-05-01T12:00:00Z stdout Fx', '2024-05-01T12:00:00.12"Z stdout F x', '2024-05-01T12:00:00 stdout F no zone',
    '2024-05-01T12:00:00.Z stdout F no digits', '2024-05-01T12:00:00Q stdout F not a zone', '2024-05-01T1a:00:00Z stdout F x', '2024-05-01 12:00:00Z stdout F x']
  const cri = new CriLine()
  for (const l of refuse) assert.equal(cri.parse(Buffer.from(l), 0, Buffer.byteLength(l)), false, l)
  // The same second as the line before is not parsed again; another zone is.
  const line = (t: string): Buffer => Buffer.from(`${t} stdout F m`)
  for (const t of ['2024-05-01T12:00:00.5Z', '2024-05-01T12:00:00.25Z', '2024-05-01T12:00:00.25+01:00', '2024-05-01T12:00:01Z', '2024-05-01T12:00:01.999999999-02:30']) {
    assert.ok(cri.parse(line(t), 0, line(t).length), t)
    assert.equal(cri.ms, Date.parse(t), t)
  }
})

test('each partition gets its own batch; large timestamps and deltas in both directions round-trip', () => {
  const sections = new RecordSections()
  const stamps = [1_796_000_000_000, 1_000, 1_796_000_000_000 + 2 ** 33, 0]
  stamps.forEach((t, i) => sections.add(i % 2, t, `{"i":${i}}`))
  const batches = sections.build(0)
  assert.deepEqual([...batches.keys()].sort(), [0, 1])
  assert.deepEqual(decodeBatch(batches.get(0)!, { checkCrc: true }).records.map(r => [r.value, r.timestamp]), [['{"i":0}', stamps[0]], ['{"i":2}', stamps[2]]])
  assert.deepEqual(decodeBatch(batches.get(1)!, { checkCrc: true }).records.map(r => [r.value, r.timestamp]), [['{"i":1}', stamps[1]], ['{"i":3}', stamps[3]]])
})

test('an uncompressed batch is its section\'s own buffer: it stays intact while later batches are written, until released', () => {
  const first = new RecordSections()
  for (let i = 0; i < 100; i++) first.add(0, 1000 + i, `{"first":${i}}`)
  const batch = first.build(0).get(0)!
  const copy = Buffer.from(batch)
  // Later batches are filled and built while the first is (say) still on the wire.
  for (let round = 0; round < 3; round++) {
    const later = new RecordSections()
    for (let i = 0; i < 2000; i++) later.add(0, 5000 + i, `{"later":${i},"round":${round}}`)
    later.build(CODEC_NAMES.indexOf('lz4'))
    later.build(0)
  }
  assert.ok(batch.equals(copy))
  assert.deepEqual(decodeBatch(batch, { checkCrc: true }).records.map(r => r.value).slice(0, 2), ['{"first":0}', '{"first":1}'])
  first.release()
})

test('checkpoints: the newer of the two files wins, and a torn write of it leaves the state before', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-cp-'))
  const cp = (offset: number): { path: string, dev: number, ino: number, fp: string, fpLength: number, offset: number } => ({ path: '/x.log', dev: 1, ino: 2, fp: 'f', fpLength: 1, offset })
  const store = new CheckpointStore(dir)
  for (const offset of [100, 200, 300]) { store.set(cp(offset)); store.flush() }
  store.close()
  assert.equal(new CheckpointStore(dir).get(1, 2)?.offset, 300)
  // The write of 300 (seq 3) went to one file; cut it in half as a power cut could.
  const newest = CHECKPOINT_FILES.map(f => path.join(dir, f)).find(f => JSON.parse(fs.readFileSync(f, 'utf8')).seq === 3)!
  fs.truncateSync(newest, Math.floor(fs.statSync(newest).size / 2))
  const reopened = new CheckpointStore(dir)
  assert.equal(reopened.get(1, 2)?.offset, 200)
  // A shorter state written over a longer one is still valid JSON (padded).
  reopened.delete(1, 2)
  reopened.flush()
  reopened.close()
  assert.equal(new CheckpointStore(dir).get(1, 2), undefined)
  fs.rmSync(dir, { recursive: true, force: true })
})
