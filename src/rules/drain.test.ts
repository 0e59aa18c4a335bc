import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Drain, maskLine, similarityOf, PARAM } from './drain.js'
import { OwnerStage } from './owner-stage.js'
import { RecordStage } from './record-stage.js'
import { RuleSet } from './rule-set.js'
import { record, rulesOf, T0, type Line } from './test-support.js'

test('masking: numbers, hex, IPs, UUIDs become placeholders (a number after punctuation too, as Drain3 masks it); words with digits stay', () => {
  assert.equal(maskLine('user 42 logged in from 10.0.0.1:8080 in 3.5 ms'), 'user <NUM> logged in from <IP> in <NUM> ms')
  assert.equal(maskLine('trace 4bf92f3577b34da6a3ce929d0e0e4736 span 0x1f req 123e4567-e89b-12d3-a456-426614174000'), 'trace <HEX> span <HEX> req <UUID>')
  assert.equal(maskLine('pod web-5c6b7 on node-2 v1.2'), 'pod web-5c6b7 on node-<NUM> v1.<NUM>')
  assert.equal(maskLine('addr fe80::1:2:3 ok'), 'addr <IP> ok')
  assert.equal(maskLine('at 12:30:45 from 2001:db8:0:0:1:0:0:1'), 'at <NUM>:<NUM>:<NUM> from <IP>')
})

test('Drain: lines of one template share a cluster and its differing tokens become <*>', () => {
  const d = new Drain()
  const a = d.add('connected to db-1 after 3 retries')
  assert.equal(a.created, true)
  const b = d.add('connected to db-2 after 3 retries')
  assert.equal(b.created, false)
  assert.equal(b.cluster.id, a.cluster.id)
  assert.deepEqual(b.cluster.tokens, ['connected', 'to', PARAM, 'after', '3', 'retries'])
  assert.equal(b.cluster.size, 2)
  // Different length, or too different: another cluster.
  assert.equal(d.add('connected to db-3').created, true)
  assert.equal(d.add('payment failed for order').created, true)
  assert.equal(d.size, 3)
  assert.equal(d.match('connected to db-9 after 3 retries')?.id, a.cluster.id)
})

test('Drain: similarity is the share of equal tokens, <*> not counted; the threshold is 0.4', () => {
  assert.deepEqual(similarityOf(['a', 'b', PARAM, 'd'], ['a', 'x', 'c', 'd']), { similarity: 0.5, params: 1 })
  const d = new Drain()
  d.add('alpha beta gamma delta epsilon')
  assert.equal(d.add('alpha beta x y z').created, false, '2/5 = 0.4 joins')
  const e = new Drain()
  e.add('alpha beta gamma delta epsilon')
  assert.equal(e.add('alpha x y z w').created, true, '1/5 does not')
})

test('Drain: a snapshot restores the same clusters and tree', () => {
  const d = new Drain()
  for (const l of ['GET /a 200', 'GET /b 200', 'POST /c 500', 'worker 3 started', 'worker 4 started']) d.add(maskLine(l))
  const restored = Drain.restore(JSON.parse(JSON.stringify(d.snapshot())))
  assert.deepEqual(restored.clusters(), d.clusters())
  assert.equal(restored.add(maskLine('worker 9 started')).created, false)
  assert.equal(restored.add(maskLine('GET /z 200')).created, false)
})

const lineAt = (at: number, line: string, pod = 'cart-1'): Line => ({ at, labels: { namespace: 'shop', pod }, line })

function run (yaml: string, lines: Line[], restartAfter?: number): string[] {
  const rules = rulesOf(yaml)
  const stage = new RecordStage(rules)
  let owner = new OwnerStage(new RuleSet(rules))
  const out: string[] = []
  lines.forEach((l, i) => {
    if (i === restartAfter) {
      const next = new OwnerStage(new RuleSet(rules))
      next.restore(JSON.parse(JSON.stringify(owner.snapshot())))
      owner = next
    }
    owner.apply(stage.process(record(l, i)))
    for (const c of owner.evaluate(T0 + l.at)) out.push(`${(c.at - T0) / 1000}s ${c.state} ${c.labels.pattern ?? c.labels.user} ${c.labels.pod}`)
  })
  return out
}

const patterns = `groups:
  - name: g
    rules:
      - alert: NewErrorPattern
        expr: '{namespace="shop"} |~ "ERROR|Exception"'
        new_pattern: { learning: 1m }
`

test('new_pattern: templates seen while learning never fire; each new one fires once, with the stream labels; the ones learned survive a restart', () => {
  const lines = [
    lineAt(0, 'ERROR payment 17 declined for user 4'),
    lineAt(10_000, 'ERROR payment 18 declined for user 9'),
    lineAt(20_000, 'INFO all good'),
    lineAt(70_000, 'ERROR payment 19 declined for user 2'),
    lineAt(80_000, 'ERROR java.lang.IllegalStateException: basket 42 is closed', 'cart-2'),
    lineAt(90_000, 'ERROR java.lang.IllegalStateException: basket 43 is closed', 'cart-3'),
    lineAt(100_000, 'ERROR disk full on /var/lib/data')
  ]
  const expected = [
    '80s firing ERROR java.lang.IllegalStateException: basket <NUM> is closed cart-2',
    '100s firing ERROR disk full on /var/lib/data cart-1'
  ]
  assert.deepEqual(run(patterns, lines), expected)
  // A restart after the exception was seen: it is not new again, nor is anything learned before.
  assert.deepEqual(run(patterns, lines, 5), expected)
})

test('new_term: each new value of a field fires once after learning', () => {
  const yaml = `groups:
  - name: g
    rules:
      - alert: NewUser
        expr: '{namespace="shop"} | logfmt'
        new_term: { field: user, learning: 30s }
`
  const lines = [lineAt(0, 'user=ann'), lineAt(10_000, 'user=bob'), lineAt(40_000, 'user=ann'), lineAt(50_000, 'user=cid'), lineAt(60_000, 'user=cid'), lineAt(70_000, 'nouser=1')]
  assert.deepEqual(run(yaml, lines), ['50s firing cid cart-1'])
  assert.deepEqual(run(yaml, lines, 3), ['50s firing cid cart-1'])
})
