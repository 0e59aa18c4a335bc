// examples/exception-to-slack as a user runs it (`tidewatch up --config …/tidewatch.yaml`, the
// webhook URL written into notifier.yaml): Fluentd records with "exception" in them reach a
// local Slack-shaped server as the seed's message — container, namespace, pod and host — one
// message per pod however often it throws, coloured by severity.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CLI, tempDir } from './helpers/processes.js'
import { startUp } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'
import { WebhookSink } from './helpers/webhook-sink.js'
import { produceSpread, waitRulesEvaluating } from './helpers/rules-project.js'

const EXAMPLE = path.resolve(path.dirname(CLI), '..', '..', 'examples', 'exception-to-slack')

/** A record as Fluentd's kafka output writes it (kubernetes_metadata filter, output_include_time). */
function fluentd (log: string, pod: string, namespace: string, container: string, host: string): string {
  return JSON.stringify({ log: `${log}\n`, stream: 'stdout', docker: { container_id: 'f00d' }, kubernetes: { container_name: container, namespace_name: namespace, pod_name: pod, host, labels: { app: container } }, tag: `kubernetes.var.log.containers.${pod}_${namespace}_${container}.log`, time: new Date().toISOString() })
}

test('examples/exception-to-slack: exceptions reach Slack with container, namespace, pod and host, once per pod, coloured by severity', { timeout: 240_000 }, async () => {
  const slack = await WebhookSink.start(() => ({ status: 200, body: 'ok' }))
  const dir = tempDir('tidewatch-exception-slack-')
  for (const f of ['tidewatch.yaml', 'rules.yaml', 'notifier.yaml']) fs.copyFileSync(path.join(EXAMPLE, f), path.join(dir, f))
  const routing = path.join(dir, 'notifier.yaml')
  const hook = `${slack.url}/services/T000/B000/XXXXSECRET`
  fs.writeFileSync(routing, fs.readFileSync(routing, 'utf8').replace(/slack_api_url: \S+/, `slack_api_url: ${hook}`))
  const up = await startUp({ config: path.join(dir, 'tidewatch.yaml'), dataDir: path.join(dir, 'data') })
  const messages = (): { text: string, color: string, title: string }[] => slack.at('/services/T000/B000/XXXXSECRET').map(r => r.body.attachments[0])
  try {
    await waitRulesEvaluating(up.url, { name: 'rules' })
    const cart = ['cart-7d9f8-x2k4p', 'shop', 'cart', 'node-a'] as const
    const invoice = ['invoice-6f7d8-z8x7c', 'billing', 'invoice', 'node-b'] as const
    const web = ['web-5c6b7-q9w2e', 'shop', 'nginx', 'node-c'] as const
    await produceSpread(up.bootstrap, 'logs', [
      ...Array.from({ length: 40 }, (_, i) => { const [pod, ns, c, h] = [cart, web, invoice][i % 3]; return fluentd(`GET /api/cart 200 ${i}ms`, pod, ns, c, h) }),
      fluentd('java.lang.IllegalStateException: cart is locked\n\tat shop.Cart.add(Cart.java:42)', ...cart),
      fluentd('Exception in thread "main" java.lang.OutOfMemoryError: Java heap space', ...invoice),
      fluentd('java.lang.IllegalStateException: cart is locked again', ...cart),
      fluentd('GET /api/cart 500 upstream reset', ...web)
    ])
    await waitFor(() => messages().length >= 2, { what: 'two Slack messages', timeoutMs: 60_000 })
    // A later exception in another pod: once its message is in, anything more for the cart pod would be too.
    await produceSpread(up.bootstrap, 'logs', [fluentd('NullPointerException in sentinel', 'sentinel-1', 'shop', 'sentinel', 'node-d')])
    await waitFor(() => messages().some(m => m.text.includes('Pod: sentinel-1')), { what: 'the sentinel message', timeoutMs: 60_000 })

    const byPod = (pod: string): { text: string, color: string, title: string }[] => messages().filter(m => m.text.includes(`Pod: ${pod}\n`))
    assert.equal(byPod(cart[0]).length, 1, 'one message for the pod that threw twice')
    assert.equal(byPod(invoice[0]).length, 1)
    assert.equal(byPod(web[0]).length, 0, 'no message for a pod without exceptions')
    assert.equal(byPod(cart[0])[0].text, 'Found problem in log\nContainer: cart\nNamespace: shop\nPod: cart-7d9f8-x2k4p\nHost: node-a')
    assert.equal(byPod(cart[0])[0].color, 'warning')
    assert.equal(byPod(cart[0])[0].title, 'exception in cart-7d9f8-x2k4p')
    assert.equal(byPod(invoice[0])[0].text, 'Found problem in log\nContainer: invoice\nNamespace: billing\nPod: invoice-6f7d8-z8x7c\nHost: node-b')
    assert.equal(byPod(invoice[0])[0].color, 'danger', 'a fatal one is red')
    assert.ok(!up.process.stderr.includes('XXXXSECRET') && !up.process.lines.join('\n').includes('XXXXSECRET'), 'the webhook URL is never printed')
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
    await slack.stop()
  }
})
