// What clients post is bounded, so no client can drive the notifier's memory (and its alert
// store) up: oversized alerts are refused with 400 naming the field and the limit, while the
// valid alerts of the same body are kept; too many alerts in one request, oversized silences and
// bodies over the cap are refused the same way; a JSON body nested 100,000 deep is a 400, not a
// 500, and the server goes on answering. The limits are the routing file's `limits:`.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { NotifierServer, postJson } from './helpers/notifier-server.js'
import { tempDir } from './helpers/processes.js'

const ROUTING = 'route: { receiver: r, group_wait: 1h }\nreceivers: [{ name: r }]\n'
const dir = tempDir('tidewatch-limits-')
let server: NotifierServer

before(async () => { server = await NotifierServer.start({ config: ROUTING, dataDir: path.join(dir, 'data') }) })
after(async () => {
  await server?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

const post = async (p: string, body: string): Promise<{ status: number, text: string }> => {
  const res = await fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, text: await res.text() }
}
const listed = async (alertname: string): Promise<string[]> =>
  (await (await fetch(`${server.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`)).json() as { labels: { instance: string } }[]).map(a => a.labels.instance)

test('oversized alerts are refused with the field and the limit named; the valid ones of the body are kept and nothing big is stored', async () => {
  const alert = (instance: string, extra: object = {}): object => ({ labels: { alertname: 'Sized', instance }, ...extra })
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`l${i}`, 'v']))
  const blob = 'x'.repeat(3 * 1024 * 1024)
  const body = [
    alert('ok', { annotations: { summary: 'fine' } }),
    { labels: { alertname: 'Sized', instance: 'labels', ...many } },
    alert('name', { annotations: { ['n'.repeat(300)]: 'v' } }),
    alert('value', { labels: { alertname: 'Sized', instance: 'value', pod: 'p'.repeat(5000) } }),
    alert('blob', { annotations: { log: blob } }),
    alert('total', { annotations: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`a${i}`, 'y'.repeat(15_000)])) })
  ]
  const res = await postJson(`${server.url}/api/v2/alerts`, body)
  assert.equal(res.status, 400)
  const text = await res.text()
  assert.ok(text.length < 4000, 'the answer does not echo what was too big')
  for (const expected of [
    /1\.labels: 131 labels; the limit is 128 \(limits\.max_labels_per_alert in the routing file\)/,
    /2\.annotations\.n{61}\.\.\.: name is 300 bytes; the limit is 256 \(limits\.max_label_name_bytes/,
    /3\.labels\.pod: value is 5000 bytes; the limit is 4096 \(limits\.max_label_value_bytes/,
    /4\.annotations\.log: value is 3145728 bytes; the limit is 16384 \(limits\.max_annotation_value_bytes/,
    /5\.alert: labels, annotations and generatorURL are 75\d{3} bytes together; the limit is 65536 \(limits\.max_alert_bytes/
  ]) assert.match(text, expected)
  assert.deepEqual(await listed('Sized'), ['ok'], 'the valid alert of the body is kept')
  const stored = fs.readFileSync(path.join(dir, 'data', 'alerts.jsonl'), 'utf8')
  assert.ok(stored.length < 10_000, `only the valid alert is on disk (${stored.length} bytes)`)
})

test('more alerts in one request than the limit: refused whole, with the limit and what to do', async () => {
  const body = Array.from({ length: 10_001 }, (_, i) => ({ labels: { alertname: 'TooMany', instance: `${i}` } }))
  const res = await postJson(`${server.url}/api/v2/alerts`, body)
  assert.equal(res.status, 400)
  assert.equal(await res.json(), 'body: 10001 alerts; the limit is 10000 (limits.max_alerts_per_request in the routing file): send them in several requests')
  assert.deepEqual(await listed('TooMany'), [])
  assert.equal((await postJson(`${server.url}/api/v2/alerts`, body.slice(0, 10_000))).status, 200, 'at the limit is fine')
})

test('bodies over the cap are 413 naming the limit; silences are bounded too', async () => {
  const big = await post('/api/v2/alerts', JSON.stringify([{ labels: { alertname: 'Big', blob: 'x'.repeat(5 * 1024 * 1024) } }]))
  assert.deepEqual([big.status, JSON.parse(big.text)], [413, 'body: over the size limit; the limit is 4194304 (limits.max_alerts_body_bytes in the routing file)'])
  const silence = (o: object): string => JSON.stringify({ matchers: [{ name: 'alertname', value: 'A', isRegex: false }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'me', comment: 'c', ...o })
  const matchers = Array.from({ length: 65 }, (_, i) => ({ name: `l${i}`, value: 'v', isRegex: false }))
  assert.match((await post('/api/v2/silences', silence({ matchers }))).text, /matchers: 65 matchers; the limit is 64 \(limits\.max_silence_matchers/)
  assert.match((await post('/api/v2/silences', silence({ comment: 'c'.repeat(5000) }))).text, /comment: 5000 bytes; the limit is 4096 \(limits\.max_silence_comment_bytes/)
  const longValue = await post('/api/v2/silences', silence({ matchers: [{ name: 'pod', value: 'p'.repeat(5000), isRegex: false }] }))
  assert.deepEqual([longValue.status, /matchers\.0\.value: 5000 bytes; no label value can be that long/.test(longValue.text)], [400, true])
  // A regex may well be longer than any one value (a list of pods); only the body cap bounds it.
  const longRegex = await post('/api/v2/silences', silence({ matchers: [{ name: 'pod', value: Array.from({ length: 500 }, (_, i) => `pod-${i}`).join('|'), isRegex: true }] }))
  assert.equal(longRegex.status, 200, longRegex.text)
  const over = await post('/api/v2/silences', silence({ comment: 'c'.repeat(70_000) }))
  assert.deepEqual([over.status, JSON.parse(over.text)], [413, 'body: over the size limit; the limit is 65536 (limits.max_silence_body_bytes in the routing file)'])
})

test('JSON nested 100,000 deep is a 400, not a 500, on every route that takes a body; the server answers on', async () => {
  const arrays = (n: number): string => '['.repeat(n) + ']'.repeat(n)
  const objects = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n)
  for (const body of [arrays(100_000), objects(100_000), `[{"labels":${objects(100_000)}}]`, `[{"labels":{"a":"b"},"annotations":{"x":${arrays(100_000)}}}]`]) {
    const res = await post('/api/v2/alerts', body)
    assert.equal(res.status, 400, res.text)
  }
  // Under the silence body cap: 30,000 deep.
  for (const body of [arrays(30_000), `{"matchers":${arrays(30_000)}}`]) {
    const res = await post('/api/v2/silences', body)
    assert.equal(res.status, 400, res.text)
  }
  assert.equal(await (await fetch(`${server.url}/-/healthy`)).text(), 'OK')
})

test('the limits are the routing file\'s to raise or lower, and the status API shows the ones changed', async () => {
  const small = await NotifierServer.start({ config: `${ROUTING}limits: { max_label_value_bytes: 8, max_alerts_per_request: 2 }\n`, dataDir: path.join(dir, 'small') })
  try {
    const res = await postJson(`${small.url}/api/v2/alerts`, [{ labels: { alertname: 'ninebytes' } }, { labels: { alertname: 'eight888' } }])
    assert.equal(await res.json(), '0.labels.alertname: value is 9 bytes; the limit is 8 (limits.max_label_value_bytes in the routing file)')
    assert.equal((await postJson(`${small.url}/api/v2/alerts`, [{ labels: { a: '1' } }, { labels: { a: '2' } }, { labels: { a: '3' } }])).status, 400)
    const status = await (await fetch(`${small.url}/api/v2/status`)).json() as { config: { original: string } }
    assert.match(status.config.original, /limits:\n {2}max_alerts_per_request: 2\n {2}max_label_value_bytes: 8\n/)
  } finally {
    await small.close()
  }
})
