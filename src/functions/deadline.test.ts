import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Deadline, HandlerTimeout } from './deadline.js'

test('one Deadline for a stream of handler calls: sync and async results pass through, errors too, and a call that never settles is rejected while the next one still gets its full time', async () => {
  const d = new Deadline(1000)
  assert.equal(await d.run(() => 1), 1)
  assert.equal(await d.run(async () => await new Promise(resolve => setTimeout(() => resolve(2), 10))), 2)
  await assert.rejects(d.run(() => { throw new Error('sync boom') }), /sync boom/)
  await assert.rejects(d.run(async () => { throw new Error('async boom') }), /async boom/)
  await assert.rejects(d.run(async () => await new Promise(() => {})), (err: unknown) => err instanceof HandlerTimeout && /within 1000 ms \(timeoutMs\)/.test((err as Error).message))
  // Calls one after another for longer than the deadline in total: none of them is cut short.
  for (let i = 0; i < 12; i++) assert.equal(await d.run(async () => await new Promise(resolve => setTimeout(() => resolve(i), 100))), i)
})
