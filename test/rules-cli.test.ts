// `tidewatch test RULES.yaml`: a generated corpus replayed through the rules, as a user runs it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLI, run, tempDir } from './helpers/processes.js'
import { INCIDENTS, scenario, T0 } from './fixtures/rules/corpus.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const rules = path.join(root, 'test', 'fixtures', 'rules', 'shop.yaml')
const M = 60_000

interface Change { alert: string, state: string, labels: Record<string, string>, value: number, at: string, annotations?: Record<string, string> }

async function replay (input: string, ...args: string[]): Promise<{ changes: Change[], stderr: string, code: number | null }> {
  const dir = tempDir()
  try {
    const file = path.join(dir, 'input.log')
    fs.writeFileSync(file, input)
    const r = await run(process.execPath, [CLI, 'test', rules, '--input', file, ...args])
    return { changes: r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map(l => JSON.parse(l) as Change), stderr: r.stderr, code: r.code }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const at = (ms: number): string => new Date(T0 + ms).toISOString()

test('tidewatch test fires and resolves each rule of the corpus at the event times its incident implies', async () => {
  const { changes, stderr, code } = await replay(scenario().join('\n') + '\n')
  assert.equal(code, 0, stderr)
  const { exceptionAt, lateExceptionAt, burst, silent, jsonErrors, notFoundAt, end } = INCIDENTS
  const seen = changes.map(c => `${c.at} ${c.alert} ${c.state}`)
  assert.deepEqual(seen, [
    `${at(exceptionAt)} JavaException firing`,
    // The exception leaves the 1m window a minute later.
    `${at(exceptionAt + M)} JavaException resolved`,
    // 503/502s from the start of the burst: the 4th error in the window crosses 5%, then for: 10s.
    `${at(burst.from + 700)} HighErrorRate pending`,
    `${at(burst.from + 10_700)} HighErrorRate firing`,
    // When the burst's last 503 (at burst end − 0.9 s) leaves the window, three 502s of 63 lines are below 5%.
    `${at(burst.to - 900 + M)} HighErrorRate resolved`,
    // The cart's last line before the silence is at silent.from − 1 s; a minute later nothing is left.
    `${at(silent.from - 1000 + M)} CartSilent firing`,
    `${at(silent.to)} CartSilent resolved`,
    // The third JSON error (one a second) reaches >= 3; the fourth leaving the 2m window ends it.
    `${at(jsonErrors.from + 2500)} ApiErrors firing`,
    `${at(notFoundAt)} NotFound firing`,
    `${at(notFoundAt + M)} NotFound resolved`,
    `${at(jsonErrors.from + 3500 + 2 * M)} ApiErrors resolved`,
    `${at(lateExceptionAt)} JavaException firing`,
    // After the input, time moves on: the late exception resolves, and the cart, silent now, is absent.
    `${at(lateExceptionAt + M)} JavaException resolved`,
    `${at(end - 1000 + M)} CartSilent firing`
  ])
  const exception = changes[0]
  assert.deepEqual(exception.labels, { alertname: 'JavaException', container: 'cart', namespace: 'shop', pod: 'cart-7d9f8-x2k4p', severity: 'error' })
  assert.deepEqual(exception.annotations, { summary: 'exception in cart-7d9f8-x2k4p', value: '1' })
  assert.equal(exception.value, 1)
  assert.equal(changes.find(c => c.alert === 'HighErrorRate' && c.state === 'firing')!.annotations!.summary, '47.31% of requests fail')
  assert.deepEqual(changes.find(c => c.alert === 'NotFound')!.labels, { alertname: 'NotFound', namespace: 'demo-project', path: '/wp-content/missing.png', pod: 'wordpress-v1-f54f697c5-hdn2z', severity: 'warning' })
  assert.deepEqual(changes.find(c => c.alert === 'ApiErrors')!.labels, { alertname: 'ApiErrors', pod: 'api-6f7d8-m3n4b', route: '/v1/pay' })
  assert.match(stderr, /records, 5 rules, \d+ matches, 14 state changes/)
})

test('--after 0 stops at the last record; records out of order are replayed in event time', async () => {
  const lines = scenario()
  const inOrder = await replay(lines.join('\n'), '--after', '0')
  assert.equal(inOrder.changes.at(-1)!.at, at(INCIDENTS.lateExceptionAt))
  assert.equal(inOrder.changes.filter(c => c.state === 'firing').length, 6)
  // Blocks of the file reversed: shippers deliver slightly out of order.
  const shuffled = Array.from({ length: Math.ceil(lines.length / 50) }, (_, i) => lines.slice(i * 50, i * 50 + 50).reverse()).flat()
  const again = await replay(shuffled.join('\n'), '--after', '0')
  assert.deepEqual(again.changes, inOrder.changes)
  assert.equal(again.stderr, inOrder.stderr, 'the same matches: none lost to reordering')
})

test('plain log lines: every record has its topic as a label; --start and --step give lines their event times', async () => {
  const dir = tempDir()
  try {
    const file = path.join(dir, 'rules.yaml')
    fs.writeFileSync(file, 'groups:\n  - name: plain\n    rules:\n      - alert: Exception\n        expr: \'count_over_time({topic="logs"} |~ "Exception" [1m]) > 0\'\n')
    const input = path.join(dir, 'app.log')
    fs.writeFileSync(input, ['boot', 'java.lang.IllegalStateException in main', 'ok', ''].join('\n'))
    const r = await run(process.execPath, [CLI, 'test', file, '--input', input, '--start', '2024-11-22T05:00:00Z', '--step', '2s'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(r.stdout.trim().split('\n').map(l => { const c = JSON.parse(l); return `${c.at} ${c.state} ${JSON.stringify(c.labels)}` }), [
      '2024-11-22T05:00:02.000Z firing {"alertname":"Exception","topic":"logs"}',
      '2024-11-22T05:01:02.000Z resolved {"alertname":"Exception","topic":"logs"}'
    ])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a rule file with problems is refused with exit status 2, naming each problem\'s place; a Function file still runs as before', async () => {
  const dir = tempDir()
  try {
    const file = path.join(dir, 'rules.yaml')
    fs.writeFileSync(file, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: \'sum(rate({app="x"} |> "<_>" [1m])) > 0\'\n')
    const r = await run(process.execPath, [CLI, 'test', file, '--input', '/dev/null'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /rules\.yaml:5:35: groups\[0\]\.rules\[0\]\.expr: the pattern line filter \|> is not supported/)
    const help = await run(process.execPath, [CLI, 'test', '--help'])
    assert.match(help.stdout, /--after DURATION/)
    const fn = await run(process.execPath, [CLI, 'test', path.join(root, 'examples', 'logs-handler', 'function.yaml'), '--after', '1m'])
    assert.equal(fn.code, 2)
    assert.match(fn.stderr, /--after is for rule files/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
