import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseData, prefilter, Outbox, createContext } from './context.js'
import { silentLogger } from '../shared/logger.js'

test('data is parsed JSON when the record is JSON, the text otherwise', () => {
  assert.deepEqual(parseData(Buffer.from('{"a":1}')), { a: 1 })
  assert.deepEqual(parseData(Buffer.from('[1,2]')), [1, 2])
  assert.equal(parseData(Buffer.from('GET /x 404')), 'GET /x 404')
  assert.equal(parseData(Buffer.from('{not json')), '{not json')
  assert.equal(parseData(null), null)
})

test('the prefilter keeps only records containing every needle, on raw bytes', () => {
  const keep = prefilter([' 404 ', 'demo-project'])
  assert.equal(keep(Buffer.from('"GET /a HTTP/1.1" 404 12 demo-project')), true)
  assert.equal(keep(Buffer.from('"GET /a HTTP/1.1" 200 12 demo-project')), false)
  assert.equal(keep(null), false)
  assert.equal(prefilter([])(null), true, 'no prefilter: everything is handled')
})

test('ctx.send queues per output (all outputs when unnamed); ctx.alert points at the record', async () => {
  const outbox = new Outbox(['a', 'b'])
  const record = { topic: 'logs', partition: 3, offset: 42, timestamp: Date.UTC(2026, 0, 1), key: null, headers: {} }
  const ctx = createContext({ name: 'f', record, env: {}, log: silentLogger(), outbox })
  await ctx.send('x', 'a')
  await ctx.send('y')
  assert.deepEqual([...outbox.byOutput], [['a', ['x', 'y']], ['b', ['y']]])
  await assert.rejects(ctx.send('z', 'c'), /unknown output 'c'/)
  const alert = ctx.alert({ labels: { alertname: 'A' } })
  assert.equal(alert.startsAt, '2026-01-01T00:00:00.000Z')
  assert.match(alert.generatorURL, /\/context\?topic=logs&partition=3&offset=42$/)
})
