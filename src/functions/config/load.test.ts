import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import { parseFunctionConfig, ConfigError } from './load.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-fn-'))
fs.writeFileSync(path.join(dir, 'handler.ts'), 'export default () => {}\n')
const file = path.join(dir, 'function.yaml')

function problems (text: string, env: Record<string, string> = {}): string[] {
  try {
    parseFunctionConfig(file, text, env)
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.message.split('\n')
  }
  assert.fail('expected a ConfigError')
}

test('a valid Function file becomes typed config with defaults; secrets never print', () => {
  const c = parseFunctionConfig(file, [
    'name: logs-handler',
    'input: { topic: logs }',
    'handler: ./handler.ts',
    'outputs:',
    '  slack: { type: slack, url: "${SLACK_WEBHOOK_URL}" }',
    '  am: { type: alertmanager, url: "${AM_URL:-http://127.0.0.1:9093}" }',
    'env: { LEVEL: 3 }'
  ].join('\n'), { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXXSECRET' })
  assert.equal(c.input.consumerGroup, 'logs-handler')
  assert.equal(c.input.startFrom, 'latest')
  assert.equal(c.handler.path, path.join(dir, 'handler.ts'))
  assert.equal(c.handler.export, 'default')
  assert.deepEqual(c.scale, { minReplicas: 0, maxReplicas: 100, lagThreshold: 10, activationLagThreshold: 0, pollingInterval: 30, cooldownPeriod: 300, scaleDownStabilization: 300, allowIdleConsumers: false, limitToPartitionsWithLag: false })
  assert.deepEqual(c.env, { LEVEL: '3' })
  const slack = c.outputs.get('slack')!
  assert.equal(slack.type === 'slack' && slack.url.reveal(), 'https://hooks.slack.com/services/T000/B000/XXXXSECRET')
  const printed = JSON.stringify([...c.outputs.values()]) + inspect(c, { depth: 5 }) + String(slack.type === 'slack' && slack.url)
  assert.ok(!printed.includes('XXXXSECRET'), printed)
  assert.ok(printed.includes('https://hooks.slack.com/[redacted]'))
  const am = c.outputs.get('am')!
  assert.equal(am.type === 'alertmanager' && am.url.reveal(), 'http://127.0.0.1:9093', 'shell-style default')
})

test('errors name the file, line, field and the fix — all of them at once', () => {
  const lines = problems([
    'name: Logs_Handler',
    'input:',
    '  topic: logs',
    '  startFrom: oldest',
    '  consumerGroop: x',
    'handler: ./handler.ts',
    'outputs:',
    '  hook: { type: webhok, url: "http://x" }',
    '  slack: { type: slack, url: "${MISSING_URL}" }',
    'scale: { maxReplicas: 0 }'
  ].join('\n'))
  const text = lines.join('\n')
  assert.match(text, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:7: name: use 1-63 lower-case letters`))
  assert.match(text, /:4:14: input\.startFrom: .*earliest.*latest/)
  assert.match(text, /:2:1: input: unknown field 'consumerGroop'|input: unknown field 'consumerGroop'/)
  assert.match(text, /outputs\.hook\.type: each output needs a type: alertmanager, webhook, slack, kafka or log/)
  assert.match(text, /:9:\d+: outputs\.slack\.url: environment variable MISSING_URL is not set/)
  assert.match(text, /:10:\d+: scale\.maxReplicas: /)
  assert.ok(lines.length >= 6, text)
})

test('missing required fields, YAML syntax errors and a missing handler file are reported with places', () => {
  assert.match(problems('name: x\n').join('\n'), /input: required; add input/)
  // A value of the wrong type is not "missing".
  const wrongType = problems('name: x\ninput: { topic: 5 }\nhandler: ./h.ts\n').join('\n')
  assert.match(wrongType, /input\.topic: .*expected string/i)
  assert.doesNotMatch(wrongType, /input\.topic: required/)
  assert.match(problems('name: x\ninput: { topic: t }\nhandler: ./h.ts\nscale: { minReplicas: 5, maxReplicas: 2 }\n').join('\n'), /scale\.minReplicas: must not exceed maxReplicas \(2\)/)
  assert.match(problems('name: x\ninput: [\n').join('\n'), /function\.yaml:\d+:\d+: YAML: /)
  assert.match(problems('name: x\ninput: { topic: t }\nhandler: ./nope.ts\n').join('\n'), /:3:\d+: handler: no such file: .*nope\.ts; the path is relative to the Function file/)
})
