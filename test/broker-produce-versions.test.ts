// Produce versions as librdkafka sees them (python confluent-kafka on Debian's librdkafka 2.0.2):
// with v0 in the advertised range, as Kafka 3 has it, gzip, snappy and lz4 batches arrive
// compressed (librdkafka before 2.11 sends them uncompressed otherwise); a request that really is
// v0-2 (MessageSet v0/v1) is refused with UNSUPPORTED_VERSION, and nothing of it is stored.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { PYTHON, run } from './helpers/processes.js'
import { RawClient } from './helpers/raw-client.js'
import { ErrorCode } from '../src/protocol/error-codes.js'
import { forEachBatch, readBatchInfo } from '../src/protocol/record-batch/index.js'

let broker: RunningBroker

before(async () => { broker = await startTempBroker({ defaultPartitions: 1 }) })
after(async () => { await broker.close() })

const PRODUCE = `
import sys
from confluent_kafka import Producer
bootstrap, topic, codec = sys.argv[1:4]
errors = []
p = Producer({'bootstrap.servers': bootstrap, 'compression.type': codec, 'linger.ms': 50})
for i in range(200): p.produce(topic, ('record %d of a compressible batch ' % i) * 4, on_delivery=lambda err, msg: errors.append(err.name()) if err else None)
p.flush(30)
print(sorted(set(errors)) if errors else 'delivered')
`

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

function storedCodecs (topic: string): string[] {
  const log = broker.core.logs.getTopic(topic)!.partitions[0]
  const codecs = new Set<string>()
  const r = log.read(0, 1 << 24)
  if (r.records !== null) forEachBatch(r.records, b => { codecs.add(CODEC_NAMES[readBatchInfo(b, 0).compression]) })
  return [...codecs]
}

for (const codec of ['gzip', 'snappy', 'lz4']) {
  test(`librdkafka 2.0 producing ${codec}: the batches are stored ${codec}-compressed`, async () => {
    const r = await run(PYTHON, ['-c', PRODUCE, broker.bootstrap, `versions-${codec}`, codec], { timeoutMs: 90_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'delivered')
    assert.deepEqual(storedCodecs(`versions-${codec}`), [codec])
  })
}

// No client here can be made to send Produce v0-2 (librdkafka 2.0 negotiates versions even when
// told not to), so this one is a raw frame: a v2 request carrying a MessageSet v1.
test('Produce v2 (raw frame with a MessageSet v1) is answered UNSUPPORTED_VERSION for each partition; nothing is stored', async () => {
  const c = await RawClient.connect(broker.port)
  try {
    // One MessageSet v1 message: offset, size, crc, magic 1, attributes, timestamp, key -1, value "x".
    const message = Buffer.from('00000000000000000000001300000000010000000000000000ffffffff0000000178', 'hex')
    const res = await c.request(0, 2, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'versions-old', partitionData: [{ index: 0, records: message }] }] })
    assert.deepEqual(res.responses.map((t: any) => t.partitionResponses.map((p: any) => p.errorCode)), [[ErrorCode.UNSUPPORTED_VERSION]])
    assert.equal(broker.core.logs.getTopic('versions-old'), undefined, 'nothing created or stored')
  } finally { c.close() }
})
