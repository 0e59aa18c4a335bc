import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizeAlert } from './alert.js'
import { AlertnameLimits, limitDecision } from './alert-limits.js'

const at = (labels: Record<string, string>, endsAt?: number) => normalizeAlert({ labels, endsAt: endsAt === undefined ? undefined : new Date(endsAt).toISOString(), startsAt: new Date(0).toISOString() }, 1000, 60_000)

test('limitDecision: held alerts and resolutions always pass; new firing ones over the limit are counted, not held', () => {
  const base = { max: 2, held: false, resolved: false, activeWithName: 2, alertname: 'NotFound' }
  assert.deepEqual(limitDecision({ ...base, max: 0 }), { hold: true, reason: 'no limit' })
  assert.deepEqual(limitDecision({ ...base, held: true }), { hold: true, reason: 'already held' })
  assert.deepEqual(limitDecision({ ...base, resolved: true }), { hold: true, reason: 'resolved' })
  assert.deepEqual(limitDecision({ ...base, activeWithName: 1 }), { hold: true, reason: 'under the limit' })
  assert.deepEqual(limitDecision(base), { hold: false, reason: 'over the per-alertname limit', detail: "2 firing 'NotFound' alerts held (limit 2); counted, not held" })
})

test('AlertnameLimits: counts per group until they resolve; a resolved held alert frees a place', () => {
  const limits = new AlertnameLimits(2)
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(path => at({ alertname: 'NotFound', path }))
  for (const x of [a, b]) { assert.equal(limits.decide(x, false, 1000).hold, true); limits.hold(x) }
  assert.equal(limits.decide(at({ alertname: 'Other', path: 'x' }), false, 1000).hold, true, 'the limit is per alertname')
  for (const x of [c, d]) { assert.equal(limits.decide(x, false, 1000).hold, false); limits.count(x, ['g1']) }
  assert.equal(limits.limitedIn('g1', 1000), 2)
  assert.equal(limits.limitedIn('g2', 1000), 0)
  // d is re-posted resolved: it stops counting (and is not held).
  const dResolved = at({ alertname: 'NotFound', path: 'd' }, 1000)
  assert.equal(limits.decide(dResolved, false, 1000).hold, false)
  limits.count(dResolved, ['g1'])
  assert.equal(limits.limitedIn('g1', 1000), 1)
  // a resolves (its endsAt passes): c may now be held, and leaves the count.
  limits.hold({ ...a, endsAt: 1500 })
  assert.equal(limits.decide(c, false, 2000).hold, true)
  limits.hold(c)
  assert.equal(limits.limitedIn('g1', 2000), 0)
  assert.equal(limits.limitedTotal, 0)
})
