import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOutput } from './index.js'
import { DeliveryError } from '../../shared/http-delivery.js'
import { Secret, secretUrl } from '../../shared/secret.js'
import type { KafkaClient } from '../../kafka/client.js'

// A local HTTP receiver standing in for Slack and webhook endpoints (no internet here); the
// Alertmanager output is tested against a real Alertmanager in test/functions-e2e.test.ts.
async function receiver (respond: (n: number) => { status: number, headers?: Record<string, string> }): Promise<{ url: string, bodies: unknown[], headers: http.IncomingHttpHeaders[], close: () => Promise<void> }> {
  const bodies: unknown[] = []
  const headers: http.IncomingHttpHeaders[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', d => { body += d })
    req.on('end', () => {
      bodies.push(JSON.parse(body))
      headers.push(req.headers)
      const r = respond(bodies.length)
      res.writeHead(r.status, r.headers).end(r.status >= 400 ? 'nope' : 'ok')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-token`
  return { url, bodies, headers, close: () => new Promise(resolve => server.close(() => resolve())) }
}

const deps = { kafka: null as unknown as KafkaClient, write: () => {} }
const retry = { attempts: 3, initialBackoffMs: 10, maxBackoffMs: 100 }

test('webhook: one POST per batch with the payloads as a JSON array and the configured headers', async () => {
  const r = await receiver(() => ({ status: 200 }))
  try {
    const out = createOutput({ name: 'hook', type: 'webhook', url: secretUrl(r.url), headers: { authorization: new Secret('Bearer t0k') }, retry }, deps)
    await out.deliver([{ a: 1 }, { b: 2 }])
    assert.deepEqual(r.bodies, [[{ a: 1 }, { b: 2 }]])
    assert.equal(r.headers[0].authorization, 'Bearer t0k')
  } finally { await r.close() }
})

test('slack: alerts in a batch become one [FIRING:n] message; Slack messages pass through', async () => {
  const r = await receiver(() => ({ status: 200 }))
  try {
    const out = createOutput({ name: 'slack', type: 'slack', url: secretUrl(r.url), retry }, deps)
    const alert = (path: string): unknown => ({ labels: { alertname: '404 Request', path }, annotations: {}, startsAt: new Date().toISOString(), generatorURL: 'http://x' })
    await out.deliver([alert('/a'), alert('/b'), { text: 'hello' }])
    assert.equal(r.bodies.length, 2)
    assert.deepEqual(r.bodies[0], { text: 'hello' })
    assert.match((r.bodies[1] as { text: string }).text, /^\[FIRING:2\] 404 Request\n• path=\/a\n• path=\/b$/)
  } finally { await r.close() }
})

test('HTTP failures are classified: 429 and 5xx retryable (with Retry-After), 4xx permanent; the URL never appears in errors', async () => {
  const r = await receiver(n => n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : n === 2 ? { status: 503 } : { status: 400 })
  try {
    const out = createOutput({ name: 'hook', type: 'webhook', url: secretUrl(r.url), headers: {}, retry }, deps)
    const errors: DeliveryError[] = []
    for (let i = 0; i < 3; i++) await out.deliver([{ i }]).catch(err => errors.push(err))
    assert.deepEqual(errors.map(e => [e.retryable, e.retryAfterMs]), [[true, 2000], [true, null], [false, null]])
    for (const e of errors) assert.ok(!e.message.includes('secret-token'), e.message)
    assert.match(errors[2].message, /HTTP 400: nope/)
  } finally { await r.close() }
})

test('alertmanager output refuses payloads that are not alerts (they go to the dead-letter topic)', async () => {
  const out = createOutput({ name: 'am', type: 'alertmanager', url: secretUrl('http://127.0.0.1:1'), headers: {}, retry }, deps)
  await assert.rejects(out.deliver(['just text']), (err: DeliveryError) => !err.retryable && /not alerts/.test(err.message))
})

test('slack: messages to one webhook are paced at one per second, and a 429 retried resumes after what was posted', async () => {
  const arrivals: number[] = []
  const r = await receiver(n => { arrivals.push(Date.now()); return n === 2 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 } })
  try {
    const out = createOutput({ name: 'chat', type: 'slack', url: secretUrl(r.url), retry: { ...retry, timeoutMs: 10_000 } }, deps)
    const batch = [{ text: 'one' }, { text: 'two' }, { text: 'three' }]
    await assert.rejects(out.deliver(batch), (err: Error) => err instanceof DeliveryError && err.retryable && err.retryAfterMs === 1000)
    await out.deliver(batch) // the replica retries the same batch
    assert.deepEqual(r.bodies, [{ text: 'one' }, { text: 'two' }, { text: 'two' }, { text: 'three' }], 'the message refused with 429 is posted again; the one before it is not')
    // Paced: four posts one second apart at the sender span ~3 s; unpaced they would span ~1 s
    // (the Retry-After pause alone). The exact spacing is the limiter's, tested with a manual
    // clock (shared/rate-limiter.test.ts); here arrival times also carry each request's latency
    // (the first opens the connection), so only a bound far from both is asserted.
    assert.ok(arrivals[arrivals.length - 1] - arrivals[0] >= 2500, `posts arrived at +${arrivals.map(a => a - arrivals[0]).join(', +')} ms`)
  } finally { await r.close() }
})
