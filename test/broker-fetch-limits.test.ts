// Fetch's response-wide max_bytes (KIP-74), with librdkafka (python confluent-kafka): only the
// first partition with data may exceed it. librdkafka drops a response larger than
// receive.message.max.bytes ("Invalid response size") and reconnects, so a broker that gives
// every partition a whole batch stalls a consumer with several busy partitions for good.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startTempBroker } from './helpers/temp-broker.js'
import { PYTHON, run } from './helpers/processes.js'
import { RawClient } from './helpers/raw-client.js'

const SCRIPT = `
import sys, time
from confluent_kafka import Producer, Consumer
bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 0})
for part in range(3):
    for i in range(4):
        p.produce(topic, value=b'x' * (900 * 1024), partition=part)
        p.poll(0)
assert p.flush(60) == 0
# 20 MB per partition, but 1 MB per response: as in librdkafka's own test 0082.
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'big-readers', 'auto.offset.reset': 'earliest',
  'fetch.max.bytes': 1000000, 'receive.message.max.bytes': 1000512, 'max.partition.fetch.bytes': 20000000})
c.subscribe([topic])
got = 0
deadline = time.time() + 60
while got < 12 and time.time() < deadline:
    m = c.poll(1.0)
    if m is None: continue
    if m.error(): print('consume error', m.error(), file=sys.stderr); continue
    got += 1
c.close()
print(got)
`

test('a consumer asking for 1 MB per response gets every 900 KB record of three partitions (librdkafka)', async () => {
  const broker = await startTempBroker({ defaultPartitions: 3 })
  try {
    const r = await run(PYTHON, ['-c', SCRIPT, broker.bootstrap, 'big-records'], { timeoutMs: 120_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stderr, /Invalid response size/, 'no response exceeded the consumer\'s limit')
    assert.equal(r.stdout.trim(), '12', 'all 12 records consumed')

    // The same fetch on the wire: one whole batch from the first partition, nothing more.
    const c = await RawClient.connect(broker.port)
    try {
      const topicId = broker.core.logs.getTopic('big-records')!.topicId
      const res = await c.request(1, 13, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1_000_000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topicId, partitions: [0, 1, 2].map(partition => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 20_000_000 })) }],
        forgottenTopicsData: [], rackId: ''
      })
      const sizes = res.responses[0].partitions.map((p: { records: Buffer | null }) => p.records?.length ?? 0)
      assert.ok(sizes[0] > 900 * 1024 && sizes[0] < 1_000_000 * 2, `the first partition gets its first batch (${sizes[0]} bytes)`)
      assert.deepEqual(sizes.slice(1), [0, 0], 'the others get nothing: their batches would not fit in what is left')
    } finally { c.close() }
  } finally {
    await broker.close()
  }
})
