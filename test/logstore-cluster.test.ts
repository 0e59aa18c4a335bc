// The log store over a Kafka cluster (ClusterStore: Fetch, ListOffsets, Produce, DescribeConfigs
// through Tidewatch's own client) against a `tidewatch broker` process: time lookups by the
// broker's time index, newest-first windows across batches compressed by kcat, context, the
// topic's max.message.bytes, and a cluster that goes away answering an ingest with 503.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { BrokerProcess, run, tempDir } from './helpers/processes.js'
import { ClusterStore } from '../src/logstore/cluster-store.js'
import { ingestRecords } from '../src/logstore/ingest.js'
import { recordsForward, windowsBackward } from '../src/logstore/partition-reader.js'
import { startSearch, type SearchHit, type SearchLine } from '../src/logstore/search.js'
import { parseSearchParams } from '../src/logstore/search-query.js'
import { readContext } from '../src/logstore/context.js'
import { ingestRoutes } from '../src/ingest/routes.js'
import { createHttpApp } from '../src/api/http-app.js'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { silentLogger } from '../src/shared/logger.js'

let dataDir: string
let broker: BrokerProcess
let store: ClusterStore
let admin: KafkaClient

before(async () => {
  dataDir = tempDir('tidewatch-cluster-store-')
  broker = await BrokerProcess.start(dataDir)
  store = new ClusterStore(plaintextSettings([broker.bootstrap]), 'logstore-test')
  admin = new KafkaClient({ settings: plaintextSettings([broker.bootstrap]), clientId: 'logstore-test-admin' })
})

after(async () => {
  await store?.close()
  await admin?.close()
  await broker?.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

const T0 = Date.parse('2024-11-22T05:00:00Z')

test('over a cluster: ingest stores batches by Produce, the time index finds the first offset at a time, and a time-ranged search returns exactly that range newest first', async () => {
  await admin.ensureTopic('timed', 1)
  // Five requests of four records, one second apart: five batches on the broker.
  const results = []
  for (let b = 0; b < 5; b++) {
    const records = [0, 1, 2, 3].map(i => { const n = b * 4 + i; return { value: JSON.stringify({ n, log: `line ${n}` }), timestamp: T0 + n * 1000, doc: { n } } })
    results.push(await ingestRecords(store, 'timed', records))
  }
  assert.deepEqual(results.map(r => r.partitions), [0, 4, 8, 12, 16].map(base => [{ partition: 0, baseOffset: base, lastOffset: base + 3, count: 4 }]))
  const [p] = (await store.topic('timed'))!
  assert.deepEqual([p.logStartOffset, p.logEndOffset], [0, 20])
  assert.equal(await p.offsetForTimestamp(T0 + 9500), 10, 'the first record at or after the time, inside a batch')
  assert.equal(await p.offsetForTimestamp(T0 - 60_000), 0)
  assert.equal(await p.offsetForTimestamp(T0 + 60_000), null, 'no record is that recent')

  const lines: SearchLine[] = await collect(await startSearch(store, parseSearchParams({ topic: 'timed', from: String(T0 + 5000), to: String(T0 + 12_000) })))
  const hits = lines.filter((l): l is SearchHit => l.type === 'record')
  assert.deepEqual(hits.map(h => JSON.parse(h.value!).n), [12, 11, 10, 9, 8, 7, 6, 5])
  assert.deepEqual(lines.at(-1), { ...lines.at(-1), type: 'summary', matched: 8, truncated: false })
  assert.equal(await store.topic('no-such-topic'), null)
  const listed = (await store.listTopics()).find(t => t.name === 'timed')
  assert.deepEqual(listed?.partitions, [{ partition: 0, logStartOffset: 0, logEndOffset: 20, sizeBytes: null }])
})

test('over a cluster: batches kcat compressed (gzip, lz4, snappy) read newest first in windows that straddle batches, every record once; forward ranges and context agree', async () => {
  await admin.ensureTopic('codecs', 1)
  for (const codec of ['gzip', 'lz4', 'snappy']) {
    const lines = [0, 1, 2].map(i => JSON.stringify({ codec, i, log: `${codec} line ${i} ${'padding '.repeat(20)}` }))
    const res = await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'codecs', '-p', '0', '-z', codec, '-X', 'linger.ms=200'], { input: lines.join('\n') + '\n', timeoutMs: 60_000 })
    assert.equal(res.code, 0, res.stderr)
  }
  const [p] = (await store.topic('codecs'))!
  assert.equal(p.logEndOffset, 9)
  const raw = await p.read(0, 1 << 20)
  assert.ok(raw !== 'out-of-range' && raw.records !== null)
  const codecs: number[] = []
  for (let pos = 0; pos + 12 <= raw.records.length; pos += raw.records.readInt32BE(pos + 8) + 12) codecs.push(raw.records.readInt16BE(pos + 21) & 7)
  assert.deepEqual(codecs, [1, 3, 2], 'kcat really wrote gzip, lz4 and snappy batches')

  const windows = await collect(windowsBackward(p, 0, p.logEndOffset, { windowOffsets: 2 }))
  assert.deepEqual(windows.flatMap(w => w.records.map(r => r.offset)), [8, 7, 6, 5, 4, 3, 2, 1, 0])
  assert.ok(windows.length > 1)
  assert.deepEqual((await collect(recordsForward(p, 4, 7))).map(r => JSON.parse(r.value!)), [{ codec: 'lz4', i: 1 }, { codec: 'lz4', i: 2 }, { codec: 'snappy', i: 0 }].map(x => ({ ...x, log: `${x.codec} line ${x.i} ${'padding '.repeat(20)}` })))

  const ctx = await readContext(store, { topic: 'codecs', partition: 0, offset: 4, before: 2, after: 10, samePod: false })
  assert.deepEqual([ctx.before.map(r => r.offset), ctx.anchor.offset, ctx.after.map(r => r.offset)], [[2, 3], 4, [5, 6, 7, 8]])
  assert.deepEqual([ctx.reachedStart, ctx.reachedEnd, ctx.logEndOffset], [false, true, 9])
})

test('over a cluster: a topic\'s max.message.bytes comes from DescribeConfigs, and a record over it is refused alone (413) before anything is produced', async () => {
  await admin.ensureTopic('small', 1, { 'max.message.bytes': '2000' })
  assert.equal(await store.maxMessageBytes('small'), 2000)
  await assert.rejects(ingestRecords(store, 'small', [{ value: 'x'.repeat(3000), timestamp: T0, doc: {} }]), (err: Error & { status?: number }) => err.status === 413 && /max\.message\.bytes/.test(err.message))
  assert.equal((await store.topic('small'))![0].logEndOffset, 0)
})

test('over a cluster that went away (kill -9), an Elasticsearch _bulk ingest answers 503, which shippers retry; nothing is acknowledged that was not stored', async () => {
  const dir = tempDir('tidewatch-cluster-store-gone-')
  const gone = await BrokerProcess.start(dir)
  const goneStore = new ClusterStore(plaintextSettings([gone.bootstrap]), 'logstore-test-gone')
  const app = createHttpApp({ logger: silentLogger() })
  try {
    await app.register(ingestRoutes, { store: goneStore, topic: 'logs' })
    await app.ready()
    const body = `{"create":{"_index":"logs"}}\n${JSON.stringify({ log: 'before', kubernetes: { pod_name: 'a' } })}\n`
    const ok = await app.inject({ method: 'POST', url: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: body })
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal(ok.json().errors, false)
    await gone.stop('SIGKILL')
    const refused = await app.inject({ method: 'POST', url: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, payload: body.replace('before', 'after') })
    assert.equal(refused.statusCode, 503, refused.body)
    assert.match(refused.json().error, /Kafka cluster.*retry later/)
  } finally {
    await app.close()
    await goneStore.close()
    await gone.stop('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
