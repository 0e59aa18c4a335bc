import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RawClient } from '../../test/helpers/raw-client.js'
import { startTempBroker } from '../../test/helpers/temp-broker.js'
import { buildBatch } from '../protocol/record-batch/index.js'

function frameWithHeader (apiKey: number, version: number, body: Buffer): Buffer {
  const header = Buffer.alloc(10)
  header.writeInt16BE(apiKey, 0)
  header.writeInt16BE(version, 2)
  header.writeInt32BE(7, 4)
  header.writeInt16BE(0, 8) // empty client id
  const size = Buffer.alloc(4)
  size.writeInt32BE(header.length + body.length)
  return Buffer.concat([size, header, body])
}

test('ApiVersions lists every served API with the versions its file declares', async () => {
  const broker = await startTempBroker()
  try {
    const c = await RawClient.connect(broker.port)
    const res = await c.request(18, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })
    assert.equal(res.errorCode, 0)
    const byKey = new Map(res.apiKeys.map((k: any) => [k.apiKey, k]))
    for (const key of [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 32, 36]) {
      assert.ok(byKey.has(key), `API key ${key} advertised`)
    }
    assert.equal((byKey.get(1) as any).maxVersion, 16, 'Fetch by topic id up to v16')
    assert.equal((byKey.get(0) as any).minVersion, 0, 'Produce from v0, as Kafka 3 (v0-2 requests are refused; librdkafka before 2.11 compresses only then)')
    assert.ok((byKey.get(3) as any).maxVersion >= 9, 'flexible Metadata for @platformatic/kafka')
    c.close()
  } finally {
    await broker.close()
  }
})

test('ApiVersions at an unknown version gets a v0 body with UNSUPPORTED_VERSION and the ranges', async () => {
  const broker = await startTempBroker()
  try {
    const c = await RawClient.connect(broker.port)
    c.sendRaw(frameWithHeader(18, 99, Buffer.from([0, 0, 0, 0])))
    const frame = await c.nextFrame()
    assert.ok(frame !== null)
    assert.equal(frame.readInt32BE(0), 7, 'correlation id, response header v0')
    assert.equal(frame.readInt16BE(4), 35, 'UNSUPPORTED_VERSION')
    assert.ok(frame.readInt32BE(6) > 10, 'api key list follows')
    assert.equal(c.closed, false)
    c.close()
  } finally {
    await broker.close()
  }
})

test('unreadable requests close only their own connection', async () => {
  const broker = await startTempBroker({ requestMaxBytes: 4096 })
  try {
    const healthy = await RawClient.connect(broker.port)
    const cases: [string, Buffer][] = [
      ['oversized frame', (() => { const b = Buffer.alloc(4); b.writeInt32BE(1_000_000); return b })()],
      ['negative frame size', Buffer.from([0xff, 0xff, 0xff, 0xf0])],
      ['unknown API key', frameWithHeader(999, 0, Buffer.alloc(8))],
      ['truncated Produce v0 body', frameWithHeader(0, 0, Buffer.alloc(8))],
      ['truncated Metadata body', frameWithHeader(3, 4, Buffer.from([0, 0, 0, 5, 0, 3]))],
      ['absurd array length', frameWithHeader(3, 4, Buffer.from([0x7f, 0xff, 0xff, 0xff]))]
    ]
    for (const [name, bytes] of cases) {
      const bad = await RawClient.connect(broker.port)
      bad.sendRaw(bytes)
      await bad.waitClosed()
      assert.equal(await bad.nextFrame(), null, `${name}: no response, connection closed`)
    }
    const res = await healthy.request(3, 12, { topics: [], allowAutoTopicCreation: false })
    assert.equal(res.brokers[0].port, broker.port, 'other connections carry on')
    healthy.close()
  } finally {
    await broker.close()
  }
})

test('responses come back in request order even when an earlier request waits (long-poll Fetch)', async () => {
  const broker = await startTempBroker()
  try {
    const c = await RawClient.connect(broker.port)
    await c.request(3, 12, { topics: [{ name: 'ordered' }], allowAutoTopicCreation: true })
    const fetch = RawClient.frame(1, 12, {
      maxWaitMs: 300, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'ordered', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }]
    }, 100)
    const meta = RawClient.frame(3, 12, { topics: null }, 101)
    c.sendRaw(Buffer.concat([fetch, meta]))
    const first = await c.nextFrame()
    const second = await c.nextFrame()
    assert.equal(first!.readInt32BE(0), 100)
    assert.equal(second!.readInt32BE(0), 101)
    c.close()
  } finally {
    await broker.close()
  }
})

test('auto-creation can be switched off: unknown topics then stay unknown', async () => {
  const broker = await startTempBroker({ autoCreateTopics: false })
  try {
    const c = await RawClient.connect(broker.port)
    const meta = await c.request(3, 12, { topics: [{ name: 'never-made' }], allowAutoTopicCreation: true })
    assert.equal(meta.topics[0].errorCode, 3, 'UNKNOWN_TOPIC_OR_PARTITION')
    const produce = await c.request(0, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: 'never-made', partitionData: [{ index: 0, records: buildBatch([{ value: 'x' }]) }] }] })
    assert.equal(produce.responses[0].partitionResponses[0].errorCode, 3)
    assert.equal(broker.core.logs.getTopic('never-made'), undefined)
    c.close()
  } finally {
    await broker.close()
  }
})

test('Produce with acks=0 gets no response; bad acks get INVALID_REQUIRED_ACKS', async () => {
  const broker = await startTempBroker()
  try {
    const c = await RawClient.connect(broker.port)
    c.sendRaw(RawClient.frame(0, 9, { acks: 0, timeoutMs: 1000, topicData: [{ name: 'fire', partitionData: [{ index: 0, records: buildBatch([{ value: 'x' }]) }] }] }, 50))
    const res = await c.request(0, 9, { acks: 2, timeoutMs: 1000, topicData: [{ name: 'fire', partitionData: [{ index: 0, records: buildBatch([{ value: 'y' }]) }] }] })
    assert.equal(res.responses[0].partitionResponses[0].errorCode, 21)
    assert.equal(broker.core.logs.getTopic('fire')!.partitions[0].logEndOffset, 1, 'the acks=0 record was stored')
    c.close()
  } finally {
    await broker.close()
  }
})
