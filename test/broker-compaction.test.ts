// Log compaction with python confluent-kafka (librdkafka): a topic created with
// cleanup.policy=compact ends up holding each key's latest record at its original offset, its
// tombstones until delete.retention.ms, and refuses records without a key.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { PYTHON, run } from './helpers/processes.js'

let broker: RunningBroker

// The cleaner runs every 200 ms here (15 s by default), so the test waits on its result, not on time.
before(async () => { broker = await startTempBroker({ defaultPartitions: 1, cleanerIntervalMs: 200 }) })
after(async () => { await broker.close() })

const SCRIPT = `
import sys, time, json, os, base64
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
bootstrap, topic, codec = sys.argv[1], sys.argv[2], sys.argv[3]
admin = AdminClient({'bootstrap.servers': bootstrap})
configs = {'cleanup.policy': 'compact', 'segment.bytes': '2048', 'delete.retention.ms': '3600000'}
list(admin.create_topics([NewTopic(topic, 1, 1, config=configs)]).values())[0].result()
delivered = []
def report(err, msg):
    delivered.append((err.name() if err else None, msg.offset(), msg.key().decode() if msg.key() else None, msg.value().decode() if msg.value() else None))
p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 5, 'compression.type': codec})
for r in range(10):
    for k in ['k0', 'k1', 'k2', 'k3']:
        tombstone = k == 'k0' and r == 9
        p.produce(topic, key=k, value=None if tombstone else '%s-%d %s' % (k, r, 'compressible ' * 20), on_delivery=report)
    p.flush(30)
# A record large enough, even compressed, to start a segment of its own: everything before it is sealed.
p.produce(topic, key='filler', value=base64.b64encode(os.urandom(3000)).decode(), on_delivery=report)
p.flush(30)
ok = [d for d in delivered if d[0] is None]
latest = {}
for _, offset, key, value in ok: latest[key] = (offset, key, value)
expected = sorted(latest.values())
errors = []
p.produce(topic, value='no key', on_delivery=lambda err, msg: errors.append(err.name() if err else 'delivered'))
p.flush(30)
print(json.dumps({'delivered': len(ok), 'keyless': errors}))
def read_all():
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'reader', 'enable.auto.commit': False})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = []
    end = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    while not got or got[-1][0] < end - 1:
        m = c.poll(5)
        if m is None: break
        if m.error(): continue
        got.append((m.offset(), m.key().decode(), m.value().decode() if m.value() is not None else None))
    c.close()
    return got
deadline = time.time() + 60
got = read_all()
while [list(g) for g in got] != [list(e) for e in expected] and time.time() < deadline:
    time.sleep(0.5)
    got = read_all()
print(json.dumps({'expected': expected, 'got': got}))
`

for (const codec of ['none', 'gzip', 'zstd']) {
test(`cleanup.policy=compact (${codec} batches): after the cleaner runs, a consumer from the beginning reads each key's latest record at its offset (tombstone included); a keyless record is refused with INVALID_RECORD`, async () => {
  const r = await run(PYTHON, ['-c', SCRIPT, broker.bootstrap, `state-${codec}`, codec], { timeoutMs: 150_000 })
  assert.equal(r.code, 0, r.stderr)
  const [first, second] = r.stdout.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>)
  assert.deepEqual(first, { delivered: 41, keyless: ['INVALID_RECORD'] })
  const { expected, got } = second as { expected: unknown[][], got: unknown[][] }
  assert.equal(expected.length, 5, 'four keys and the filler')
  assert.deepEqual(got, expected, 'only the latest record of each key is left, at the offset it was given')
  assert.ok(expected.some(e => e[1] === 'k0' && e[2] === null), 'k0\'s latest is its tombstone, kept until delete.retention.ms')
})
}
