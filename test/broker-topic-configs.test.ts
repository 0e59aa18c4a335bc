// Topic configs as Kafka accepts them, with python confluent-kafka's AdminClient, producer and
// consumer (librdkafka 2.0.2): every standard topic config is accepted and reported by
// DescribeConfigs; the ones that change behaviour here do (LogAppendTime, compression.type, the
// timestamp window, min.insync.replicas); only what cannot be honoured is refused, by name.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { PYTHON, run } from './helpers/processes.js'
import { readBatchInfo } from '../src/protocol/record-batch/index.js'
import fs from 'node:fs'
import path from 'node:path'

let broker: RunningBroker

before(async () => { broker = await startTempBroker({ defaultPartitions: 1 }) })
after(async () => { await broker.close() })

async function python (script: string, ...args: string[]): Promise<string[]> {
  const r = await run(PYTHON, ['-c', PRELUDE + script, broker.bootstrap, ...args], { timeoutMs: 120_000 })
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`)
  return r.stdout.trim().split('\n')
}

const PRELUDE = `
import sys, time, json
from confluent_kafka import Producer, Consumer, KafkaException, TIMESTAMP_LOG_APPEND_TIME, TIMESTAMP_CREATE_TIME
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
bootstrap = sys.argv[1]
admin = AdminClient({'bootstrap.servers': bootstrap})
def create(name, configs):
    try:
        admin.create_topics([NewTopic(name, 1, 1, config=configs)])[name].result()
        return 'created'
    except KafkaException as e:
        return e.args[0].name() + ': ' + e.args[0].str()
def describe(name):
    res = admin.describe_configs([ConfigResource('topic', name)])
    return {k: (v.value, v.source) for k, v in list(res.values())[0].result().items()}
def consume(topic, n):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'cfg-' + topic, 'auto.offset.reset': 'earliest'})
    c.subscribe([topic])
    got = []
    deadline = time.time() + 60
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error(): got.append(m)
    c.close()
    return got
`

// Apache Kafka 3.8's topic configs (kafka.apache.org/38/documentation.html#topicconfigs), each
// with a valid value other than its default where there is one.
const EVERY_CONFIG: Record<string, string> = {
  'cleanup.policy': 'delete',
  'compression.type': 'lz4',
  'compression.gzip.level': '5',
  'compression.lz4.level': '12',
  'compression.zstd.level': '10',
  'delete.retention.ms': '3600000',
  'file.delete.delay.ms': '1000',
  'flush.messages': '1000',
  'flush.ms': '500',
  'follower.replication.throttled.replicas': '*',
  'index.interval.bytes': '8192',
  'leader.replication.throttled.replicas': '0:1',
  'local.retention.bytes': '1000000',
  'local.retention.ms': '3600000',
  'max.compaction.lag.ms': '7200000',
  'max.message.bytes': '2000000',
  'message.downconversion.enable': 'false',
  'message.format.version': '3.0-IV1',
  'message.timestamp.after.max.ms': '3600000',
  'message.timestamp.before.max.ms': '86400000',
  'message.timestamp.difference.max.ms': '86400000',
  'message.timestamp.type': 'LogAppendTime',
  'min.cleanable.dirty.ratio': '0.25',
  'min.compaction.lag.ms': '1000',
  'min.insync.replicas': '1',
  preallocate: 'true',
  'remote.storage.enable': 'false',
  'retention.bytes': '10000000',
  'retention.ms': '3600000',
  'segment.bytes': '1048576',
  'segment.index.bytes': '65536',
  'segment.jitter.ms': '100',
  'segment.ms': '3600000',
  'unclean.leader.election.enable': 'true'
}

test('CreateTopics accepts every standard topic config and DescribeConfigs reports each as set on the topic; unhonourable values are refused by name', async () => {
  const out = await python(`
print(create('cfg-every', json.loads(sys.argv[2])))
print(json.dumps(describe('cfg-every')))
print(create('cfg-tiered', {'remote.storage.enable': 'true'}))
print(create('cfg-typo', {'retention.msec': '1'}))
print(create('cfg-bad-value', {'message.timestamp.type': 'WallClock'}))
`, JSON.stringify(EVERY_CONFIG))
  assert.equal(out[0], 'created')
  const described = JSON.parse(out[1]) as Record<string, [string, number]>
  for (const [name, value] of Object.entries(EVERY_CONFIG)) {
    assert.deepEqual(described[name], [value, 1], `${name} is reported as set on the topic (source TOPIC_CONFIG)`)
  }
  assert.match(out[2], /^INVALID_CONFIG: .*remote\.storage\.enable.*no tiered storage/)
  assert.match(out[3], /^INVALID_CONFIG: .*unknown topic config 'retention\.msec'/)
  assert.match(out[4], /^INVALID_CONFIG: .*message\.timestamp\.type.*CreateTime, LogAppendTime/)
})

test('message.timestamp.type=LogAppendTime: records carry the broker\'s append time, in the delivery report and to consumers', async () => {
  const out = await python(`
print(create('cfg-append-time', {'message.timestamp.type': 'LogAppendTime'}))
p = Producer({'bootstrap.servers': bootstrap})
reports = []
before = int(time.time() * 1000)
p.produce('cfg-append-time', b'old', timestamp=1000000000000, on_delivery=lambda err, m: reports.append((str(err), m.timestamp())))
assert p.flush(30) == 0
after = int(time.time() * 1000)
(err, (ts_type, ts)), = reports
print('delivery', err, ts_type == TIMESTAMP_LOG_APPEND_TIME, before <= ts <= after)
m, = consume('cfg-append-time', 1)
print('consumed', m.timestamp()[0] == TIMESTAMP_LOG_APPEND_TIME, m.timestamp()[1] == ts, m.value().decode())
`)
  assert.deepEqual(out, ['created', 'delivery None True True', 'consumed True True old'])
})

test('compression.type=gzip: uncompressed batches are stored gzip-compressed and read back intact', async () => {
  const out = await python(`
print(create('cfg-gzip', {'compression.type': 'gzip'}))
p = Producer({'bootstrap.servers': bootstrap, 'compression.codec': 'none', 'linger.ms': 50})
for i in range(100): p.produce('cfg-gzip', ('value-%d ' % i + 'x' * 200).encode())
assert p.flush(30) == 0
got = consume('cfg-gzip', 100)
print(len(got), all(m.value().decode().startswith('value-%d ' % i) for i, m in enumerate(got)))
`)
  assert.deepEqual(out, ['created', '100 True'])
  const stored = broker.core.logs.getTopic('cfg-gzip')!.partitions[0].read(0, 1 << 20).records!
  assert.equal(readBatchInfo(stored, 0).compression, 1, 'the stored batch is gzip')
})

test('message.timestamp.before.max.ms refuses a record older than the window with INVALID_TIMESTAMP; a current one is accepted', async () => {
  const out = await python(`
print(create('cfg-window', {'message.timestamp.before.max.ms': '3600000'}))
p = Producer({'bootstrap.servers': bootstrap, 'retries': 0})
reports = []
p.produce('cfg-window', b'two hours old', timestamp=int(time.time() * 1000) - 7200000, on_delivery=lambda err, m: reports.append(err and err.name()))
assert p.flush(30) == 0
p.produce('cfg-window', b'now', on_delivery=lambda err, m: reports.append(err and err.name()))
assert p.flush(30) == 0
print(reports)
`)
  assert.deepEqual(out, ['created', "['INVALID_TIMESTAMP', None]"])
})

test('min.insync.replicas=2 cannot be met by one replica: acks=all is refused with NOT_ENOUGH_REPLICAS, acks=1 is accepted', async () => {
  const out = await python(`
print(create('cfg-isr', {'min.insync.replicas': '2'}))
reports = []
for acks in ('all', '1'):
    p = Producer({'bootstrap.servers': bootstrap, 'acks': acks, 'retries': 0})
    p.produce('cfg-isr', b'v', on_delivery=lambda err, m: reports.append(err and err.name()))
    assert p.flush(30) == 0
print(reports)
`)
  assert.deepEqual(out, ['created', "['NOT_ENOUGH_REPLICAS', None]"])
})

test('AlterConfigs replaces a topic\'s configs (others return to their defaults) and the new ones apply', async () => {
  const out = await python(`
print(create('cfg-alter', {'retention.ms': '3600000', 'compression.type': 'gzip'}))
r = ConfigResource('topic', 'cfg-alter', set_config={'message.timestamp.type': 'LogAppendTime', 'flush.ms': '12345678'})
list(admin.alter_configs([r]).values())[0].result()
d = describe('cfg-alter')
print(d['message.timestamp.type'], d['flush.ms'], d['retention.ms'], d['compression.type'])
bad = ConfigResource('topic', 'cfg-alter', set_config={'segment.bytes': 'huge'})
try:
    list(admin.alter_configs([bad]).values())[0].result()
except KafkaException as e:
    print(e.args[0].name(), 'segment.bytes' in e.args[0].str())
missing = ConfigResource('topic', 'cfg-no-such-topic', set_config={'retention.ms': '1'})
try:
    list(admin.alter_configs([missing]).values())[0].result()
except KafkaException as e:
    print(e.args[0].name())
`)
  assert.equal(out[0], 'created')
  assert.equal(out[1], "('LogAppendTime', 1) ('12345678', 1) ('604800000', 5) ('producer', 5)", 'set, set, back to default, back to default')
  assert.equal(out[2], 'INVALID_CONFIG True')
  assert.equal(out[3], 'UNKNOWN_TOPIC_OR_PART')
  assert.equal(broker.core.logs.getTopic('cfg-alter')!.partitions[0].config.logAppendTime, true, 'applied to the partition')
})

test('message.format.version set to an old version mid-stream (librdkafka 0092) is accepted, as Kafka 3 does, and every record still reads back', async () => {
  const out = await python(`
print(create('cfg-msgver', {}))
p = Producer({'bootstrap.servers': bootstrap})
for i in range(6):
    p.produce('cfg-msgver', b'r%d' % i)
    p.flush(30)
    if i == 2:
        r = ConfigResource('topic', 'cfg-msgver', set_config={'message.format.version': '0.10.0.0'})
        list(admin.alter_configs([r]).values())[0].result()
        print(describe('cfg-msgver')['message.format.version'][0])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'msgver', 'auto.offset.reset': 'earliest'})
c.subscribe(['cfg-msgver'])
got = []
deadline = time.time() + 60
while len(got) < 6 and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and not m.error(): got.append(m.value().decode())
c.close()
print(got)
`)
  assert.equal(out[0], 'created')
  assert.equal(out[1], '0.10.0.0', 'reported as set')
  assert.equal(out[2], "['r0', 'r1', 'r2', 'r3', 'r4', 'r5']")
})

test('dynamic broker configs (AlterConfigs on broker 1): a log default applies to topics that set none; settings with nothing to act on are kept; others are refused by name', async () => {
  const out = await python(`
print(create('cfg-dyn', {}))
def alter(res):
    try:
        list(admin.alter_configs([res]).values())[0].result()
        return 'ok'
    except KafkaException as e:
        return '%s %s' % (e.args[0].name(), e.args[0].str()[:80])
print(alter(ConfigResource('broker', '1', set_config={'log.retention.ms': '3600000', 'background.threads': '9'})))
b = {k: (v.value, v.source) for k, v in list(admin.describe_configs([ConfigResource('broker', '1')]).values())[0].result().items()}
print(b['log.retention.ms'], b['background.threads'])
print(describe('cfg-dyn')['retention.ms'])
print(alter(ConfigResource('broker', '1', set_config={'num.partitions': '3'})))
print(alter(ConfigResource('broker', '1', set_config={'log.retention.ms': 'soon'})))
`)
  assert.equal(out[0], 'created')
  assert.equal(out[1], 'ok')
  assert.equal(out[2], "('3600000', 2) ('9', 2)", 'reported as dynamic broker configs (source 2)')
  assert.equal(out[3], "('3600000', 5)", 'the topic, which sets no retention.ms, now has the new default')
  assert.match(out[4], /^INVALID_REQUEST broker config num\.partitions cannot be changed at run time here/)
  assert.match(out[5], /^INVALID_CONFIG broker config log\.retention\.ms=soon: expected a whole number/)
  assert.equal(broker.core.logs.getTopic('cfg-dyn')!.partitions[0].config.retentionMs, 3_600_000, 'applied to the partition')
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(broker.core.options.dataDir, 'broker-configs.json'), 'utf8')).configs, { 'log.retention.ms': '3600000', 'background.threads': '9' }, 'kept for the next start')
})
