import { test } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger } from '../shared/logger.js'
import { DemoTraffic } from './traffic.js'
import { accessLogRecord, browsingRecord, crawlerRecord, DEMO_PODS, seededRandom } from './access-logs.js'

const APACHE = /^\d+\.\d+\.\d+\.\d+ - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "(GET|POST) (\/\S*) HTTP\/1\.1" (\d{3}) \d+ "-" "[^"]+"\n$/

test('demo lines are Apache access logs in Fluent Bit\'s kubernetes envelope, and the crawler\'s 404s come from the pods the 404 rule watches', () => {
  const rand = seededRandom(1)
  const now = new Date('2026-11-23T10:00:00Z')
  const line = JSON.parse(accessLogRecord(rand, { now, pod: DEMO_PODS[0], status: 404 })) as { log: string, time: string, '@timestamp': number, kubernetes: Record<string, unknown> }
  assert.match(line.log, APACHE)
  assert.match(line.log, /\[23\/Nov\/2026:10:00:00 \+0000\]/)
  assert.equal(line.time, '2026-11-23T10:00:00.000Z')
  assert.equal(line['@timestamp'], now.getTime() / 1000)
  assert.equal(line.kubernetes.namespace_name, 'demo-project')
  assert.equal(line.kubernetes.pod_name, 'wordpress-v1-f54f697c5-hdn2z')

  const crawl = Array.from({ length: 500 }, () => JSON.parse(crawlerRecord(rand, now)) as { log: string, kubernetes: { namespace_name: string, pod_name: string } })
  assert.ok(crawl.every(r => r.kubernetes.namespace_name === 'demo-project' && /^wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}$/.test(r.kubernetes.pod_name)))
  const share404 = crawl.filter(r => r.log.includes(' 404 ')).length / crawl.length
  assert.ok(share404 > 0.6 && share404 < 0.8, `about 70% of a crawler's hits are 404s (${share404})`)

  const browsing = Array.from({ length: 2000 }, () => JSON.parse(browsingRecord(rand, now)) as { log: string, kubernetes: { namespace_name: string } })
  assert.ok(browsing.every(r => APACHE.test(r.log)))
  assert.deepEqual(new Set(browsing.map(r => r.kubernetes.namespace_name)), new Set(['demo-project', 'shop', 'blog']))
  const browsing404 = browsing.filter(r => r.log.includes(' 404 ')).length / browsing.length
  assert.ok(browsing404 < 0.06, `browsing is mostly not 404s (${browsing404})`)
})

test('the same seed gives the same lines', () => {
  const now = new Date()
  const a = seededRandom(9)
  const b = seededRandom(9)
  assert.equal(browsingRecord(a, now), browsingRecord(b, now))
})

test('demo traffic follows its cycle: storms bring 404s, quiet brings nothing, and a failing produce does not stop it', async () => {
  const batches: { phase: string, lines: string[] }[] = []
  let fail = true
  const demo: DemoTraffic = new DemoTraffic({
    topic: 'logs',
    logger: silentLogger(),
    ticksPerSecond: 50,
    cycle: [
      { name: 'storm', seconds: 0.3, browsingPerSecond: 0, crawlerPerSecond: 500 },
      { name: 'quiet', seconds: 0.3, browsingPerSecond: 0, crawlerPerSecond: 0 },
      { name: 'browsing', seconds: 0.3, browsingPerSecond: 200, crawlerPerSecond: 0 }
    ],
    produce: async (topic, lines) => {
      assert.equal(topic, 'logs')
      if (fail) { fail = false; throw new Error('broker down') }
      batches.push({ phase: demo.phase, lines })
    }
  })
  demo.start()
  try {
    const deadline = Date.now() + 20_000
    while (!(batches.some(b => b.phase === 'storm') && batches.some(b => b.phase === 'browsing') && batches.filter(b => b.phase === 'storm').length >= 3)) {
      if (Date.now() > deadline) throw new Error(`timed out; saw ${JSON.stringify(batches.map(b => b.phase))}`)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  } finally {
    demo.stop()
  }
  assert.ok(!batches.some(b => b.phase === 'quiet'), 'nothing is produced while quiet')
  const stormLines = batches.filter(b => b.phase === 'storm').flatMap(b => b.lines)
  assert.ok(stormLines.some(l => l.includes(' 404 ')))
  assert.equal(demo.produced, batches.reduce((n, b) => n + b.lines.length, 0), 'the failed batch is not counted')
})
