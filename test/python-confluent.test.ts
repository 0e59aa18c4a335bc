// Python confluent-kafka (Debian python3-confluent-kafka on librdkafka 2.0.2).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { PYTHON, run } from './helpers/processes.js'
import { groupOffsets } from './helpers/lag.js'

let broker: RunningBroker

before(async () => { broker = await startTempBroker() })
after(async () => { await broker.close() })

async function python (script: string, ...args: string[]): Promise<string> {
  const r = await run(PYTHON, ['-c', script, broker.bootstrap, ...args], { timeoutMs: 90_000 })
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`)
  return r.stdout
}

const PRODUCE = `
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5})
acked = []
def done(err, msg):
    if err is None: acked.append(msg.value())
    else: print('error', err, file=sys.stderr)
for i in range(int(sys.argv[3])):
    p.produce(sys.argv[2], value=('%s-%d' % (sys.argv[4], i)).encode(), key=str(i % 13).encode(), on_delivery=done)
    p.poll(0)
p.flush(30)
print(len(acked))
`

const CONSUME = `
import sys
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': sys.argv[3], 'enable.auto.commit': False, 'auto.offset.reset': 'earliest'})
c.subscribe([sys.argv[2]])
want = int(sys.argv[4])
got = []
while len(got) < want:
    msgs = c.consume(num_messages=500, timeout=1.0)
    for m in msgs:
        if m.error(): raise Exception(m.error())
        got.append(m.value().decode())
    if msgs: c.commit(asynchronous=False)
c.close()
print('\\n'.join(got))
`

test('an idempotent producer writes each record once; a consumer group commits and a successor resumes after the commits', async () => {
  const topic = 'python-events'
  assert.equal((await python(PRODUCE, topic, '1000', 'first')).trim(), '1000')
  const ends = await groupOffsets(broker.bootstrap, 'none', topic)
  assert.equal(ends.reduce((n, p) => n + p.end, 0), 1000, 'exactly 1000 records stored')

  const first = (await python(CONSUME, topic, 'py-group', '1000')).trim().split('\n')
  assert.equal(new Set(first).size, 1000)
  const committed = await groupOffsets(broker.bootstrap, 'py-group', topic)
  const used = committed.filter(p => p.end > 0)
  assert.deepEqual(used.map(p => p.committed), used.map(p => p.end), 'committed offsets reach the end of every partition with records')

  await python(PRODUCE, topic, '100', 'second')
  const second = (await python(CONSUME, topic, 'py-group', '100')).trim().split('\n')
  assert.deepEqual(second.sort(), Array.from({ length: 100 }, (_, i) => `second-${i}`).sort())
})
