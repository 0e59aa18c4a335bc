import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { parseFunctionConfig, type FunctionConfig } from '../functions/config/load.js'
import { clusterFunctionFile, doubleSubstitutions, loopbackOutputs } from './function-file.js'
import { functionFileYaml, renderKubernetes } from './render-kubernetes.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const example = path.join(repoRoot, 'examples', 'logs-handler')

function config (yaml: string, env: Record<string, string> = {}): FunctionConfig {
  return parseFunctionConfig(path.join(example, 'deploy-test.yaml'), yaml, env)
}

const SECRETS = {
  amUrl: 'https://am.example.net/api/token-am-123',
  amAuth: 'Bearer am-bearer-456',
  hookUrl: 'https://hooks.example.net/T000/B000/hook-secret-789',
  hookKey: 'hook-api-key-abc',
  slackUrl: 'https://hooks.slack.com/services/T1/B1/slack-secret-def'
}

const everyOutput = `name: alerts
input: { topic: logs, prefilter: [" 500 "] }
handler: { path: ./handler.ts, export: default }
outputs:
  am: { type: alertmanager, url: "\${AM_URL}", headers: { Authorization: "${SECRETS.amAuth}" } }
  hook: { type: webhook, url: "${SECRETS.hookUrl}", headers: { X-Api-Key: "${SECRETS.hookKey}", X-Empty: "" } }
  chat: { type: slack, url: "${SECRETS.slackUrl}" }
  copy: { type: kafka, topic: alerts-copy }
  stdout: { type: log }
env: { LEVEL: debug }
timeoutMs: 2500
`

test('output URLs and header values become ${TIDEWATCH_SECRET_<N>} references, numbered in output order', () => {
  const fn = clusterFunctionFile(config(everyOutput, { AM_URL: SECRETS.amUrl }))
  assert.deepEqual(fn.document.outputs.am, {
    type: 'alertmanager', url: '${TIDEWATCH_SECRET_1}', headers: { Authorization: '${TIDEWATCH_SECRET_2}' },
    retry: { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 10000 }
  })
  assert.equal(fn.document.outputs.hook.url, '${TIDEWATCH_SECRET_3}')
  assert.deepEqual(fn.document.outputs.hook.headers, { 'X-Api-Key': '${TIDEWATCH_SECRET_4}', 'X-Empty': '' }, 'an empty value hides nothing and stays inline')
  assert.equal(fn.document.outputs.chat.url, '${TIDEWATCH_SECRET_5}')
  assert.deepEqual(fn.document.outputs.copy, { type: 'kafka', topic: 'alerts-copy', retry: { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 10000 } })
  assert.deepEqual(fn.document.outputs.stdout, { type: 'log' })
  assert.deepEqual(fn.secrets, {
    TIDEWATCH_SECRET_1: SECRETS.amUrl,
    TIDEWATCH_SECRET_2: SECRETS.amAuth,
    TIDEWATCH_SECRET_3: SECRETS.hookUrl,
    TIDEWATCH_SECRET_4: SECRETS.hookKey,
    TIDEWATCH_SECRET_5: SECRETS.slackUrl
  })
  assert.equal(fn.document.handler, './handler.mjs')
  assert.equal(fn.document.input.consumerGroup, 'alerts', 'the resolved group is written out')
})

test('secret values appear in secret.yaml only: never in the ConfigMap or any other file', () => {
  const cfg = config(everyOutput, { AM_URL: SECRETS.amUrl })
  const fn = clusterFunctionFile(cfg)
  const files = renderKubernetes({
    config: cfg, target: { name: 'alerts', image: 'tidewatch:test', brokers: 'kafka:9092' },
    functionYaml: functionFileYaml(fn.document), handlerCode: 'export default () => {}\n', secrets: fn.secrets, source: 'function.yaml'
  })
  for (const f of files) {
    for (const [what, value] of Object.entries(SECRETS)) {
      assert.equal(f.text.includes(value), f.name === 'secret.yaml', `${what} ${f.name === 'secret.yaml' ? 'missing from' : 'leaked into'} ${f.name}`)
    }
  }
  const configMap = parse(files.find(f => f.name === 'configmap.yaml')!.text)
  assert.match(configMap.data['function.yaml'], /\$\{TIDEWATCH_SECRET_1\}/)
})

test('the rewritten Function file loads back, with the Secret as environment, into the same function', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-deploy-'))
  try {
    const original = config(everyOutput, { AM_URL: SECRETS.amUrl })
    const fn = clusterFunctionFile(original)
    fs.writeFileSync(path.join(dir, 'function.yaml'), functionFileYaml(fn.document))
    fs.writeFileSync(path.join(dir, 'handler.mjs'), 'export default () => {}\n')
    const loaded = parseFunctionConfig(path.join(dir, 'function.yaml'), fs.readFileSync(path.join(dir, 'function.yaml'), 'utf8'), fn.secrets)
    assert.equal(loaded.handler.path, path.join(dir, 'handler.mjs'))
    assert.equal(loaded.handler.export, 'default')
    assert.deepEqual(loaded.input, original.input)
    assert.deepEqual(loaded.scale, original.scale)
    assert.deepEqual(loaded.env, original.env)
    assert.equal(loaded.timeoutMs, original.timeoutMs)
    const reveal = (c: FunctionConfig): unknown => JSON.parse(JSON.stringify([...c.outputs.values()], (_, v) => typeof v?.reveal === 'function' ? v.reveal() : v))
    assert.deepEqual(reveal(loaded), reveal(original))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a named export is kept', () => {
  const fn = clusterFunctionFile(config('name: a\ninput: { topic: t }\nhandler: { path: ./handler.ts, export: onLog }\n'))
  assert.deepEqual(fn.document.handler, { path: './handler.mjs', export: 'onLog' })
})

test('a value that would be substituted a second time in the replica is found', () => {
  const fn = clusterFunctionFile(config('name: a\ninput: { topic: t }\nhandler: ./handler.ts\nenv: { A: "${X}", B: plain }\n', { X: 'literally ${HOME}' }))
  assert.deepEqual(doubleSubstitutions(fn), [['env', 'A']])
  assert.deepEqual(doubleSubstitutions(clusterFunctionFile(config(everyOutput, { AM_URL: SECRETS.amUrl }))), [], 'our own references are fine')
})

test('outputs pointing at loopback addresses are named', () => {
  const cfg = config(`name: a
input: { topic: t }
handler: ./handler.ts
outputs:
  local: { type: alertmanager, url: "http://127.0.0.1:9093" }
  named: { type: webhook, url: "http://localhost:8080/hook" }
  v6: { type: webhook, url: "http://[::1]:8080/hook" }
  remote: { type: slack, url: "https://hooks.slack.com/services/x" }
  copy: { type: kafka, topic: c }
`)
  assert.deepEqual(loopbackOutputs(cfg), ['local', 'named', 'v6'])
})
