// Restarting everything mid-window (`tidewatch up` stopped and started again on the same data
// dir): the rules' state is rebuilt, not reset. The count keeps its baseline (half a burst before
// the restart plus half after fires the whole-burst rule with the whole count), an alert that
// fired before is not fired again (every post of it carries the same startsAt, none resolves
// it), a pending alert keeps its `for:` clock, and a new_pattern rule does not announce again a
// template it learned before. Alerts go to a local Alertmanager-shaped sink, to see every post.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { tempDir } from './helpers/processes.js'
import { startUp, type RunningUp } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'
import { fluentBitRecord, produceSpread, rule, waitRulesEvaluating, writeRulesProject } from './helpers/rules-project.js'

const N = 2000
const RULES = `groups:
  - name: shop
    rules:
      - alert: Half
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) >= ${N / 2}'
      - alert: Slow
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) >= ${N / 2}'
        for: 30m
      - alert: Full
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) >= ${N}'
        annotations: { value: '{{ $value }}' }
      - alert: Over
        expr: 'sum(count_over_time({namespace="shop"} |= "payment declined" [10m])) > ${N}'
      - alert: NewCheckoutError
        expr: '{namespace="shop"} |= "checkout"'
        new_pattern: { learning: 0s }
`

interface Posted { labels: Record<string, string>, annotations: Record<string, string>, startsAt: string, endsAt?: string, at: number }

const burst = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => fluentBitRecord(`payment declined for order ${from + i}`, `cart-${(from + i) % 5}`))

async function ready (up: RunningUp): Promise<void> {
  await waitRulesEvaluating(up.url, { replicas: 2 })
}

test('restart everything mid-window: no duplicate firing, no lost baseline, for: clocks and learned patterns kept', { timeout: 300_000 }, async () => {
  const dir = tempDir('tidewatch-rules-restart-')
  const sink = await WebhookSink.start()
  const posted = (): Posted[] => sink.at('/api/v2/alerts').flatMap(r => (r.body as Omit<Posted, 'at'>[]).map(a => ({ ...a, at: r.receivedAt })))
  const of = (name: string): Posted[] => posted().filter(a => a.labels.alertname === name)
  const config = writeRulesProject(dir, RULES)
  const options = { config, dataDir: path.join(dir, 'data'), env: { ALERTMANAGER_URL: sink.url } }
  let up = await startUp(options)
  let slowSince: string
  try {
    await ready(up)
    await produceSpread(up.bootstrap, 'logs', [...burst(0, N / 2), fluentBitRecord('checkout failed for order 17 after 120 ms')])
    await waitFor(() => of('Half').length > 0 && of('NewCheckoutError').length > 0, { what: 'Half and the first checkout pattern posted', timeoutMs: 60_000 })
    const slow = await waitFor(async () => (await rule(up.url, 'Slow'))?.alerts[0], { what: 'Slow pending' })
    assert.equal(slow.state, 'pending')
    slowSince = slow.activeAt
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
  }

  up = await startUp(options)
  try {
    await ready(up)
    const slow = await waitFor(async () => (await rule(up.url, 'Slow'))?.alerts[0], { what: 'Slow shown after the restart' })
    assert.equal(slow.state, 'pending')
    assert.equal(slow.activeAt, slowSince, 'the for: clock goes on from where it was')
    await produceSpread(up.bootstrap, 'logs', [
      ...burst(N / 2, N),
      fluentBitRecord('checkout failed for order 99 after 7 ms'),
      fluentBitRecord('checkout retried: gateway timeout')
    ])
    const since = Date.now()
    await waitFor(() => of('Full').length > 0, { what: 'Full posted', timeoutMs: 90_000 })
    await waitFor(async () => {
      const r = await rule(up.url, 'Over')
      return r?.evaluatedAt !== null && r?.evaluatedAt !== undefined && Date.parse(r.evaluatedAt) > since
    }, { what: 'an evaluation after the second half', timeoutMs: 60_000 })
    await waitFor(() => of('NewCheckoutError').length >= 2, { what: 'the second checkout pattern posted' })
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
    await sink.stop()
  }

  assert.equal(of('Full')[0].annotations.value, String(N), 'the half counted before the restart is still counted')
  assert.deepEqual(of('Over'), [], 'and nothing is counted twice')
  const half = of('Half')
  assert.deepEqual([...new Set(half.map(a => a.startsAt))], [half[0].startsAt], 'Half posted again only as the same alert (resends), never fired anew')
  for (const a of half) assert.ok(a.endsAt === undefined || Date.parse(a.endsAt) > a.at, `Half never resolved: ${JSON.stringify(a)}`)
  const patterns = of('NewCheckoutError').map(a => a.labels.pattern)
  assert.deepEqual(patterns.sort(), ['checkout failed for order <NUM> after <NUM> ms', 'checkout retried: gateway timeout'].sort(), 'each template announced once, the learned one not again')
})
