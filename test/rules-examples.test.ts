// The bundled rules examples check out as their READMEs say: `tidewatch test` on each one's
// sample fires what the example promises, and each project file loads (rules and routing).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { CLI, run } from './helpers/processes.js'
import { loadProjectFile } from '../src/project/project-file.js'
import { loadNotifierConfig } from '../src/notifier/index.js'

const EXAMPLES = path.resolve(path.dirname(CLI), '..', '..', 'examples')

async function changes (example: string, input: string): Promise<{ alert: string, state: string, labels: Record<string, string>, at: string }[]> {
  const r = await run(process.execPath, [CLI, 'test', path.join(EXAMPLES, example, 'rules.yaml'), '--input', path.join(EXAMPLES, example, input)])
  assert.equal(r.code, 0, r.stderr)
  return r.stdout.trim().split('\n').map(l => JSON.parse(l))
}

test('examples/exception-to-slack: one alert per pod that logged an exception, critical for a fatal one', async () => {
  const fired = (await changes('exception-to-slack', 'sample.ndjson')).filter(c => c.state === 'firing')
  assert.deepEqual(fired.map(c => [c.alert, c.labels.pod, c.labels.container, c.labels.namespace, c.labels.host, c.labels.severity]), [
    ['Exception', 'cart-7d9f8-x2k4p', 'cart', 'shop', 'node-a', 'warning'],
    ['FatalException', 'invoice-6f7d8-z8x7c', 'invoice', 'billing', 'node-a', 'critical']
  ])
  const project = loadProjectFile(path.join(EXAMPLES, 'exception-to-slack', 'tidewatch.yaml'))
  assert.deepEqual(project.rules.map(r => [r.name, r.input.topic, r.ruleCount]), [['rules', 'logs', 2]])
  assert.deepEqual(loadNotifierConfig(project.notifier!).route.options.groupBy, ['alertname', 'namespace', 'pod'])
})

test('examples/logs-handler-rules: the seed\'s 404 line fires the logs-handler function\'s alert, from a rule', async () => {
  const all = await changes('logs-handler-rules', 'sample.log')
  assert.deepEqual(all.map(c => [c.state, c.at]), [['firing', '2021-08-25T01:54:37.226Z'], ['resolved', '2021-08-25T01:55:37.226Z']])
  assert.deepEqual(all[0].labels, { alertname: '404 Request', method: 'GET', namespace: 'demo-project', path: '/notfound', pod: 'wordpress-v1-f54f697c5-hdn2z', severity: 'warning' })
  const project = loadProjectFile(path.join(EXAMPLES, 'logs-handler-rules', 'tidewatch.yaml'))
  assert.deepEqual(project.rules.map(r => [r.name, r.scale.minReplicas, r.scale.maxReplicas]), [['logs-handler-rules', 1, 4]])
})
