// Consumer-group behaviour librdkafka relies on (python confluent-kafka, librdkafka 2.0.2):
// static membership (KIP-345) and the initial rebalance delay.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTempBroker } from './helpers/temp-broker.js'
import { PYTHON, run } from './helpers/processes.js'

const COMMON = `
import sys, time
from confluent_kafka import Consumer, Producer
bootstrap, topic = sys.argv[1], sys.argv[2]
pr = Producer({'bootstrap.servers': bootstrap})
pr.produce(topic, b'x')
assert pr.flush(30) == 0
events = []
def consumer(name, instance=None):
    conf = {'bootstrap.servers': bootstrap, 'group.id': 'g-' + topic, 'session.timeout.ms': 30000, 'heartbeat.interval.ms': 500, 'client.id': name}
    if instance is not None: conf['group.instance.id'] = instance
    c = Consumer(conf)
    c.subscribe([topic], on_assign=lambda _c, ps: events.append((name, 'assign', sorted(p.partition for p in ps))),
                on_revoke=lambda _c, ps: events.append((name, 'revoke', sorted(p.partition for p in ps))))
    return c
def until(cond, *cs):
    deadline = time.time() + 90
    while not cond() and time.time() < deadline:
        for c in cs: c.poll(0.1)
    assert cond(), events
def owned(c): return sorted(p.partition for p in c.assignment())
`

const STATIC = COMMON + `
a = consumer('a', 'instance-a')
b = consumer('b', 'instance-b')
until(lambda: a.assignment() and b.assignment() and len(owned(a)) + len(owned(b)) == 4, a, b)
b_owned = owned(b)
b.close()  # a static member does not leave the group on close
events.append(('b', 'closed', []))
b2 = consumer('b2', 'instance-b')
until(lambda: b2.assignment(), a, b2)
for _ in range(20):  # time for a rebalance to show, had one started
    a.poll(0.1)
    b2.poll(0.1)
print('same assignment:', owned(b2) == b_owned)
print('events after restart:', [e for e in events[events.index(('b', 'closed', [])) + 1:]])
a_owned = owned(a)
c = consumer('c', 'instance-a')  # a second process claiming a's instance id
until(lambda: c.assignment(), b2, c)
fenced = None
deadline = time.time() + 60
while fenced is None and time.time() < deadline:
    m = a.poll(0.2)
    if m is not None and m.error(): fenced = m.error()
    b2.poll(0)
    c.poll(0)
print('fenced:', 'fenced by other consumer with same group.instance.id' in str(fenced))
print('c took over:', owned(c) == a_owned)
b2.close()
c.close()
`

test('static membership: a restarted instance gets its partitions back without a rebalance; a duplicate instance id fences the old one', async () => {
  const broker = await startTempBroker({ defaultPartitions: 4 })
  try {
    const r = await run(PYTHON, ['-c', STATIC, broker.bootstrap, 'static-members'], { timeoutMs: 180_000 })
    assert.equal(r.code, 0, r.stderr)
    const out = r.stdout.trim().split('\n')
    assert.equal(out[0], 'same assignment: True', 'the restarted instance owns what it owned before')
    assert.match(out[1], /^events after restart: \[\('b2', 'assign', \[[\d, ]+\]\)\]$/, 'only the restarted instance is assigned: the other member sees no revoke or assign')
    assert.equal(out[2], 'fenced: True', 'the old process with the same instance id gets a fatal FENCED_INSTANCE_ID')
    assert.equal(out[3], 'c took over: True')
  } finally {
    await broker.close()
  }
})

const TOGETHER = COMMON + `
a = consumer('a')
b = consumer('b')
until(lambda: a.assignment() and b.assignment(), a, b)
for _ in range(20):
    a.poll(0.1)
    b.poll(0.1)
print('events:', events)
print('split:', sorted(owned(a) + owned(b)) == [0, 1, 2, 3] and not set(owned(a)) & set(owned(b)))
a.close()
b.close()
`

test('the initial rebalance delay (default 3000 ms, as Kafka): two consumers started together share the first generation, nobody is revoked', async () => {
  const broker = await startTempBroker({ defaultPartitions: 4 })
  try {
    const r = await run(PYTHON, ['-c', TOGETHER, broker.bootstrap, 'together'], { timeoutMs: 180_000 })
    assert.equal(r.code, 0, r.stderr)
    const out = r.stdout.trim().split('\n')
    assert.doesNotMatch(out[0], /revoke/, `no member had to give partitions back: ${out[0]}`)
    assert.equal((out[0].match(/'assign'/g) ?? []).length, 2, 'each member was assigned once')
    assert.equal(out[1], 'split: True', 'the four partitions are split between the two')
  } finally {
    await broker.close()
  }
})
