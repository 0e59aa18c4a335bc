import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import assert from 'node:assert/strict'
import { startApiServer, ApiConfigError } from './server.js'
import { scalingPlugin } from './scaling-routes.js'
import { EventLog } from '../scaling/events.js'
import type { FunctionStatus } from '../scaling/function-controller.js'
import { silentLogger } from '../shared/logger.js'

const status: FunctionStatus = {
  name: 'logs-handler',
  topic: 'logs',
  consumerGroup: 'logs-handler',
  mode: 'autoscale',
  replicas: { current: 2, ready: 2, desired: 3, min: 0, max: 10, stopping: 0, spare: true },
  lag: { total: 42, partitions: [{ partition: 0, lag: 40, endOffset: 100, committed: 60 }, { partition: 1, lag: 2, endOffset: 10, committed: 8 }] },
  recordsPerSecond: 12.5,
  handlerErrors: 4,
  deadLetters: 4,
  lastEvent: null,
  observedAt: null,
  error: null
}

test('the API refuses to listen off loopback without a token', async () => {
  await assert.rejects(startApiServer({ host: '0.0.0.0', port: 0, token: null, logger: silentLogger(), plugins: [] }), ApiConfigError)
})

test('with a token, every request needs it — /metrics and plugins\' routes included — except routes marked public (the console page)', async () => {
  const plugin = (app: FastifyInstance): void => {
    app.get('/api/v1/extra', async () => ({ data: 'from a plugin' }))
    app.get('/page', { config: { public: true } }, async () => 'the console page')
  }
  const api = await startApiServer({ host: '127.0.0.1', port: 0, token: 's3cret', logger: silentLogger(), plugins: [scalingPlugin({ functions: () => [status], events: new EventLog() }), plugin] })
  try {
    assert.equal((await fetch(api.url + '/page')).status, 200)
    for (const p of ['/api/v1/functions', '/metrics', '/api/v1/events', '/api/v1/extra']) {
      assert.equal((await fetch(api.url + p)).status, 401, p)
      assert.equal((await fetch(api.url + p, { headers: { authorization: 'Bearer wrong!' } })).status, 401, p)
      assert.equal((await fetch(api.url + p, { headers: { authorization: 'Bearer s3cret' } })).status, 200, p)
    }
  } finally {
    await api.close()
  }
})

test('functions, events and Prometheus metrics say the same thing', async () => {
  const events = new EventLog()
  const api = await startApiServer({ host: '127.0.0.1', port: 0, token: null, logger: silentLogger(), plugins: [scalingPlugin({ functions: () => [status], events })] })
  try {
    events.record({ function: 'logs-handler', type: 'scale', from: 0, to: 2, reason: 'lag 42 > activationLagThreshold 0' })
    events.record({ function: 'other', type: 'replica-exit', reason: 'replica 1 killed by SIGKILL' })
    const fns = await (await fetch(`${api.url}/api/v1/functions`)).json() as { functions: FunctionStatus[] }
    assert.deepEqual(fns.functions, [status])
    assert.equal((await fetch(`${api.url}/api/v1/functions/nope`)).status, 404)
    const one = await (await fetch(`${api.url}/api/v1/events?function=logs-handler`)).json() as { events: { to: number }[] }
    assert.deepEqual(one.events.map(e => e.to), [2])
    const after = await (await fetch(`${api.url}/api/v1/events?after=1`)).json() as { events: { function: string }[] }
    assert.deepEqual(after.events.map(e => e.function), ['other'])
    assert.equal((await fetch(`${api.url}/api/v1/events?limit=0`)).status, 400)
    const metrics = await (await fetch(`${api.url}/metrics`)).text()
    for (const line of [
      'tidewatch_function_replicas{function="logs-handler"} 2',
      'tidewatch_function_replicas_desired{function="logs-handler"} 3',
      'tidewatch_function_lag_records{function="logs-handler"} 42',
      'tidewatch_function_partition_lag_records{function="logs-handler",partition="0"} 40',
      'tidewatch_function_records_per_second{function="logs-handler"} 12.5',
      'tidewatch_function_handler_errors_total{function="logs-handler"} 4',
      'tidewatch_function_dead_letter_records{function="logs-handler"} 4',
      'tidewatch_scaling_events_total{function="logs-handler",type="scale"} 1',
      'tidewatch_scaling_events_total{function="other",type="replica-exit"} 1'
    ]) assert.ok(metrics.split('\n').includes(line), `missing: ${line}`)
  } finally {
    await api.close()
  }
})

test('hostile input: a 100k-deep JSON body is a 400 naming the limit, not a 500; counts in query strings are decimal only', async () => {
  const events = new EventLog({})
  const api = await startApiServer({ host: '127.0.0.1', port: 0, token: null, logger: silentLogger(), plugins: [scalingPlugin({ functions: () => [], events }), app => { app.post('/echo', async req => ({ keys: Object.keys(req.body as object).length })) }] })
  try {
    for (const body of ['['.repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)]) {
      const res = await fetch(`${api.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      assert.equal(res.status, 400)
      assert.match((await res.json() as { error: string }).error, /nested deeper than 64 levels/)
    }
    const ok = await fetch(`${api.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":{"b":[1,"[[[[","{{{{"]}}' })
    assert.equal(ok.status, 200, 'brackets inside strings do not count')
    const poisoned = await fetch(`${api.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"admin":true}}' })
    assert.equal(poisoned.status, 400)
    for (const q of ['limit=0x10', 'limit=1e2', 'limit=%2010', 'after=-1', 'after=0x1', 'limit=']) {
      const res = await fetch(`${api.url}/api/v1/events?${q}`)
      assert.equal(res.status, 400, q)
      assert.match((await res.json() as { error: string }).error, /decimal digits/)
    }
    assert.equal((await fetch(`${api.url}/api/v1/events?limit=16&after=0`)).status, 200)
  } finally {
    await api.close()
  }
})
