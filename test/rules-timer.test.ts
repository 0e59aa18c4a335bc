// Rules in `tidewatch up` are evaluated on the clock as well as per record: with nothing more
// produced, a window that empties resolves its alert (posted to Alertmanager with endsAt, the
// event time it resolved at), and absent_over_time fires once a pod has been silent for its
// range. The input partitions are quiet then; their readers' progress markers keep the owners'
// evaluation time moving with the wall clock. 4 partitions, 2 replicas; alerts go to a local
// Alertmanager-shaped sink, to see every post.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { tempDir } from './helpers/processes.js'
import { startUp } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'
import { fluentBitRecord, produceSpread, waitRulesEvaluating, writeRulesProject } from './helpers/rules-project.js'

const RULES = `groups:
  - name: shop
    rules:
      - alert: Boom
        expr: 'sum by (pod) (count_over_time({namespace="shop"} |= "boom" [5s])) > 0'
      - alert: Silent
        expr: 'absent_over_time({namespace="shop", pod="heartbeat-1"}[5s])'
`

interface Posted { labels: Record<string, string>, startsAt: string, endsAt?: string, at: number }

const resolved = (a: Posted): boolean => a.endsAt !== undefined && Date.parse(a.endsAt) <= a.at

test('rules in tidewatch up: with no more records, an emptied window resolves its alert and a silent pod fires absent_over_time', { timeout: 240_000 }, async () => {
  const dir = tempDir('tidewatch-rules-timer-')
  const sink = await WebhookSink.start()
  const posted = (name: string): Posted[] => sink.at('/api/v2/alerts')
    .flatMap(r => (r.body as Omit<Posted, 'at'>[]).map(a => ({ ...a, at: r.receivedAt })))
    .filter(a => a.labels.alertname === name)
  const up = await startUp({ config: writeRulesProject(dir, RULES), dataDir: path.join(dir, 'data'), env: { ALERTMANAGER_URL: sink.url } })
  try {
    await waitRulesEvaluating(up.url, { replicas: 2 })
    const boom = fluentBitRecord('boom: the cart service crashed', 'cart-1')
    const heartbeat = fluentBitRecord('heartbeat', 'heartbeat-1')
    await produceSpread(up.bootstrap, 'logs', [boom, heartbeat])
    const boomAt = Date.parse(JSON.parse(boom).time as string)
    const heartbeatAt = Date.parse(JSON.parse(heartbeat).time as string)

    // Nothing else is produced from here on: only the clock moves the evaluation.
    const fired = await waitFor(() => posted('Boom').find(a => !resolved(a)), { what: 'Boom firing', timeoutMs: 60_000 })
    assert.equal(fired.labels.pod, 'cart-1')
    const over = await waitFor(() => posted('Boom').find(resolved), { what: 'Boom resolved once its 5 s window emptied', timeoutMs: 60_000 })
    assert.equal(over.labels.pod, 'cart-1')
    assert.equal(over.startsAt, fired.startsAt, 'the resolution is of the alert that fired')
    assert.ok(Date.parse(over.endsAt!) >= boomAt + 5000, `resolved at the event time the record left the window (${over.endsAt}, record at ${new Date(boomAt).toISOString()})`)

    // The heartbeat resolves the absence (absent since the start: no line yet), and 5 s of silence after it fires it again.
    const back = await waitFor(() => posted('Silent').find(a => resolved(a) && Date.parse(a.endsAt!) >= heartbeatAt), { what: 'Silent resolved by the heartbeat', timeoutMs: 60_000 })
    assert.deepEqual({ namespace: back.labels.namespace, pod: back.labels.pod }, { namespace: 'shop', pod: 'heartbeat-1' })
    const silent = await waitFor(() => posted('Silent').find(a => !resolved(a) && Date.parse(a.startsAt) > heartbeatAt), { what: 'Silent firing again after 5 s without a heartbeat', timeoutMs: 60_000 })
    assert.ok(Date.parse(silent.startsAt) >= heartbeatAt + 5000, `fired once the heartbeat left the window (${silent.startsAt}, heartbeat at ${new Date(heartbeatAt).toISOString()})`)
    assert.equal(silent.labels.pod, 'heartbeat-1')
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
    await sink.stop()
  }
})
