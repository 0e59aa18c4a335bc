// `tidewatch test`: the local development loop, run as a user runs it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLI, run, tempDir } from './helpers/processes.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const example = path.join(root, 'examples', 'logs-handler')

test('tidewatch test on the reference sample prints exactly one send: the 404 alert with the seed\'s labels', async () => {
  const r = await run(process.execPath, [CLI, 'test', path.join(example, 'function.yaml'), '--input', path.join(example, 'sample.log')], { env: { ALERTMANAGER_URL: '' } })
  assert.equal(r.code, 0, r.stderr)
  const sends = r.stdout.trim().split('\n').map(l => JSON.parse(l))
  assert.equal(sends.length, 1)
  const [send] = sends
  assert.equal(send.line, 1)
  assert.equal(send.output, 'notification-manager')
  assert.equal(send.type, 'alertmanager')
  assert.deepEqual(send.payload.labels, {
    alertname: '404 Request', namespace: 'demo-project', severity: 'warning',
    pod: 'wordpress-v1-f54f697c5-hdn2z', path: '/notfound', method: 'GET'
  })
  assert.ok(!Number.isNaN(Date.parse(send.payload.startsAt)))
  assert.match(send.payload.generatorURL, /\/context\?topic=logs&partition=0&offset=0$/)
  assert.match(r.stderr, /2 lines, 1 send, 0 handler errors/)
})

test('a handler that sends to an output the Function file lacks is refused at load, naming both', async () => {
  const dir = tempDir()
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
    fs.writeFileSync(path.join(dir, 'handler.ts'), 'export default async (ctx: any, data: unknown) => {\n  if (data) await ctx.send(data, "slak")\n}\n')
    fs.writeFileSync(path.join(dir, 'function.yaml'), 'name: typo\ninput: { topic: logs }\nhandler: ./handler.ts\noutputs:\n  slack: { type: log }\n')
    const r = await run(process.execPath, [CLI, 'test', path.join(dir, 'function.yaml')], { input: 'x\n' })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /handler\.ts: sends to output 'slak' not defined in .*function\.yaml \(outputs defined: slack\)/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('handler errors and timeouts are reported per line with a stack trace into the .ts source, and the run goes on', async () => {
  const dir = tempDir()
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
    fs.writeFileSync(path.join(dir, 'handler.ts'), [
      'export default async (ctx: any, data: any): Promise<void> => {',
      '  if (data === "boom") throw new Error("bad record")',
      '  if (data === "hang") return new Promise(() => {})',
      '  await ctx.send({ seen: data })',
      '}', ''
    ].join('\n'))
    fs.writeFileSync(path.join(dir, 'function.yaml'), 'name: flaky\ninput: { topic: logs }\nhandler: ./handler.ts\ntimeoutMs: 200\noutputs:\n  out: { type: log }\n')
    const r = await run(process.execPath, [CLI, 'test', path.join(dir, 'function.yaml')], { input: 'a\nboom\nhang\n{"n":1}\n' })
    assert.equal(r.code, 1)
    const lines = r.stdout.trim().split('\n').map(l => JSON.parse(l))
    assert.deepEqual(lines.map(l => l.line), [1, 2, 3, 4])
    assert.deepEqual(lines[0].payload, { seen: 'a' })
    assert.equal(lines[1].error, 'bad record')
    assert.match(lines[1].stack, /handler\.ts:2:\d+/)
    assert.match(lines[2].error, /did not finish within 200 ms/)
    assert.deepEqual(lines[3].payload, { seen: { n: 1 } }, 'JSON records arrive parsed')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
