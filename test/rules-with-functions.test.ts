// A project with both a function and a rules workload: `tidewatch up` runs them side by side on
// the same topic, each in its own consumer group under the same autoscaler. One 404 line from
// the WordPress pod reaches the notifier twice, as the logs-handler function's alert (code) and
// as the rule's (no code).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { CLI, tempDir } from './helpers/processes.js'
import { startUp } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'
import { notifierAlerts, produceSpread, waitRulesEvaluating, writeRulesProject } from './helpers/rules-project.js'
import type { FunctionStatus } from '../src/scaling/function-controller.js'

const FUNCTION = path.resolve(path.dirname(CLI), '..', '..', 'examples', 'logs-handler', 'function.yaml')
const RULES = `groups:
  - name: wordpress
    rules:
      - alert: NotFoundByRule
        expr: 'sum by (namespace, pod) (count_over_time({namespace="demo-project", container="wordpress"} |= " 404 " [1m])) > 0'
`

test('a project with a function and rules: tidewatch up runs both on the same topic, and a 404 line is alerted by each', { timeout: 240_000 }, async () => {
  const dir = tempDir('tidewatch-rules-functions-')
  const up = await startUp({ config: writeRulesProject(dir, RULES, { replicas: 1, functions: [FUNCTION] }), dataDir: path.join(dir, 'data') })
  try {
    assert.ok(up.process.lines.some(l => /functions\s+logs-handler \(/.test(l)), up.process.lines.join('\n'))
    assert.ok(up.process.lines.some(l => /rules\s+shop-rules \(1 rule, 1-1 replicas, reading logs\)/.test(l)), up.process.lines.join('\n'))
    await waitRulesEvaluating(up.url, { replicas: 1 })
    const pod = 'wordpress-v1-f54f697c5-hdn2z'
    await produceSpread(up.bootstrap, 'logs', [
      JSON.stringify({ time: new Date().toISOString(), log: '10.0.0.1 - - [25/Aug/2021:01:54:36 +0000] "GET /notfound HTTP/1.1" 404 49923 "-" "curl/7.58.0"\n', kubernetes: { namespace_name: 'demo-project', pod_name: pod, container_name: 'wordpress', host: 'node-3' } })
    ])
    const alerts = await waitFor(async () => {
      const all = await notifierAlerts(up.url)
      const fn = all.find(a => a.labels.alertname === '404 Request')
      const rule = all.find(a => a.labels.alertname === 'NotFoundByRule')
      return fn !== undefined && rule !== undefined ? { fn, rule } : null
    }, { what: 'the function\'s and the rule\'s alert in the notifier', timeoutMs: 90_000 })
    assert.equal(alerts.fn.labels.pod, pod)
    assert.equal(alerts.fn.labels.path, '/notfound')
    assert.deepEqual(alerts.rule.labels, { alertname: 'NotFoundByRule', namespace: 'demo-project', pod })
    const listed = ((await (await fetch(`${up.url}/api/v1/functions`)).json()) as { functions: FunctionStatus[] }).functions
    assert.deepEqual(listed.map(w => [w.name, w.kind ?? 'function']).sort(), [['logs-handler', 'function'], ['shop-rules', 'rules']])
  } finally {
    assert.equal(await up.stop(), 0, up.process.stderr.slice(-3000))
  }
})
