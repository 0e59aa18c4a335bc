// The small pure parts of the log store: record timestamps from shippers' formats, dotted
// field paths, and the regex shapes refused before a search starts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { recordTimestamp, parseIngestBody } from '../src/logstore/ingest-body.js'
import { valueAtPath, fieldEquals, podOf } from '../src/logstore/field-path.js'
import { compileSearchRegex, searchRegexMatches } from '../src/logstore/safe-regex.js'

test('record timestamps: Fluent Bit double/epoch/epoch_ms/iso8601/java_sql_timestamp, micro- and nanoseconds; unusable values fall through', () => {
  const ms = Date.parse('2024-11-22T05:20:00.123Z')
  assert.equal(recordTimestamp({ date: ms / 1000 }), ms)
  assert.equal(recordTimestamp({ date: Math.floor(ms / 1000) }), Math.floor(ms / 1000) * 1000)
  assert.equal(recordTimestamp({ date: ms }), ms)
  assert.equal(recordTimestamp({ date: ms * 1000 + 456 }), ms)
  assert.equal(recordTimestamp({ date: String(ms * 1_000_000) }), ms)
  assert.equal(recordTimestamp({ date: '2024-11-22T05:20:00.123456Z' }), ms)
  assert.equal(recordTimestamp({ date: '2024-11-22 05:20:00.123456' }), ms)
  assert.equal(recordTimestamp({ '@timestamp': '2024-11-22T06:20:00.123+01:00' }), ms)
  assert.equal(recordTimestamp({ '@timestamp': 'soon', date: ms }), ms, 'an unusable field gives way to the next')
  assert.equal(recordTimestamp({ time: '5ms', log: 'x' }), null)
  assert.equal(recordTimestamp({ date: -5 }), null)
  assert.equal(parseIngestBody('{"log":"x"}', 'application/json', 42)[0].timestamp, 42)
})

test('dotted paths: nested keys, keys that contain dots, arrays by index; equality by text for numbers and booleans', () => {
  const doc = { kubernetes: { pod_name: 'wp-1', namespace_name: 'demo', labels: { 'app.kubernetes.io/name': 'wordpress', app: 'x' } }, status: 404, ok: false, list: ['a', 'b'], nothing: null }
  assert.equal(valueAtPath(doc, 'kubernetes.pod_name'), 'wp-1')
  assert.equal(valueAtPath(doc, 'kubernetes.labels.app.kubernetes.io/name'), 'wordpress')
  assert.equal(valueAtPath(doc, 'kubernetes.labels.app'), 'x')
  assert.equal(valueAtPath(doc, 'list.1'), 'b')
  assert.equal(valueAtPath(doc, 'kubernetes.missing'), undefined)
  assert.ok(fieldEquals(valueAtPath(doc, 'status'), '404'))
  assert.ok(fieldEquals(valueAtPath(doc, 'ok'), 'false'))
  assert.ok(fieldEquals(valueAtPath(doc, 'nothing'), 'null'))
  assert.ok(!fieldEquals(valueAtPath(doc, 'kubernetes'), '[object Object]'))
  assert.deepEqual(podOf(doc), { namespace: 'demo', pod: 'wp-1' })
  assert.equal(podOf({ log: 'x' }), null)
})

test('search regexes are RE2: nested quantifiers are accepted and linear, invalid ones name RE2\'s reason', () => {
  const long = 'a'.repeat(16 * 1024 - 1) + '!'
  for (const p of ['(a+)+$', '(a*)*b', '(a|aa)*b', '((ab)+c)+', '(\\w+\\s?)+$']) assert.equal(searchRegexMatches(compileSearchRegex(p), long), false, p)
  assert.ok(searchRegexMatches(compileSearchRegex('(?i)exception'), 'java.lang.NullPointerEXCEPTION'))
  assert.ok(searchRegexMatches(compileSearchRegex('(\\d{1,3}\\.){3}\\d{1,3}'), 'from 10.0.0.12 at'))
  assert.throws(() => compileSearchRegex('(a)\\1'), /invalid regex: invalid escape sequence/)
  assert.throws(() => compileSearchRegex('(?=a)'), /invalid regex: invalid or unsupported Perl syntax/)
})
