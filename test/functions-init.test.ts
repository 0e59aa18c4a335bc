// A user's function lives in their own folder, with no Tidewatch installed beside it: `tidewatch
// init` there, then `tidewatch test` and `tidewatch up` run it at once, and the editor types
// resolve. Every folder here is a temp dir outside the repository.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLI, run, tempDir } from './helpers/processes.js'
import { startUp } from './helpers/tidewatch-up.js'
import { waitFor } from './helpers/wait.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const TSC = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')

async function tidewatch (cwd: string, ...args: string[]): Promise<Awaited<ReturnType<typeof run>>> {
  return await run(process.execPath, [CLI, ...args], { timeoutMs: 60_000, cwd })
}

test('init in a folder outside the repository: test prints the alert for the sample 404, and the files are not overwritten', async () => {
  const parent = tempDir('tidewatch-init-')
  assert.ok(!parent.startsWith(repoRoot))
  const created = await tidewatch(parent, 'init', 'checkout-alerts')
  assert.equal(created.code, 0, created.stderr)
  const dir = path.join(parent, 'checkout-alerts')
  assert.deepEqual(fs.readdirSync(dir).sort(), ['.gitignore', 'function.yaml', 'handler.ts', 'sample.log', 'tidewatch.yaml', 'tsconfig.json'])
  assert.match(fs.readFileSync(path.join(dir, 'function.yaml'), 'utf8'), /^name: checkout-alerts$/m)
  assert.ok(!fs.existsSync(path.join(dir, 'node_modules')), 'nothing is installed beside the handler')

  const out = await tidewatch(dir, 'test', 'function.yaml', '--input', 'sample.log')
  assert.equal(out.code, 0, out.stderr)
  const sends = out.stdout.trim().split('\n').map(l => JSON.parse(l))
  assert.equal(sends.length, 1, 'one of the two 404s is in namespace demo-project')
  assert.equal(sends[0].line, 2)
  assert.equal(sends[0].output, 'alerts')
  assert.deepEqual(sends[0].payload.labels, { alertname: 'NotFound', severity: 'warning', namespace: 'demo-project', pod: 'wordpress-v1-f54f697c5-hdn2z', method: 'GET', path: '/notfound' })

  const again = await tidewatch(parent, 'init', 'checkout-alerts')
  assert.equal(again.code, 2)
  assert.match(again.stderr, /already has function\.yaml, handler\.ts, sample\.log, tidewatch\.yaml, tsconfig\.json, \.gitignore; nothing was written/)
  const bad = await tidewatch(parent, 'init', 'x', '--name', 'Not_A_Name')
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /a function name is a Kubernetes name/)
})

test('the generated tsconfig gives the handler the real types: it type-checks, and a send to an undeclared output does not', async () => {
  const dir = path.join(tempDir('tidewatch-init-'), 'typed')
  assert.equal((await tidewatch(path.dirname(dir), 'init', 'typed')).code, 0)
  const ok = await run(process.execPath, [TSC, '-p', dir], { timeoutMs: 120_000 })
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  const handler = path.join(dir, 'handler.ts')
  fs.writeFileSync(handler, fs.readFileSync(handler, 'utf8').replace("}), 'alerts')", "}), 'elsewhere')"))
  const wrong = await run(process.execPath, [TSC, '-p', dir], { timeoutMs: 120_000 })
  assert.notEqual(wrong.code, 0)
  assert.match(wrong.stdout, /handler\.ts.*'"elsewhere"' is not assignable to parameter of type '"alerts"'/)
})

test('a copy of the bundled example in a folder of its own runs with tidewatch test (tidewatch resolves to this installation)', async () => {
  const dir = path.join(tempDir('tidewatch-copy-'), 'logs-handler')
  fs.cpSync(path.join(repoRoot, 'examples', 'logs-handler'), dir, { recursive: true })
  const out = await tidewatch(dir, 'test', 'function.yaml', '--input', 'sample.log')
  assert.equal(out.code, 0, out.stderr)
  assert.ok(out.stdout.trim().split('\n').length >= 1)
  assert.equal(JSON.parse(out.stdout.trim().split('\n')[0]).payload.labels.alertname, '404 Request')
})

test('tidewatch up in the initialised folder: a 404 record posted to it becomes an alert in its notifier', async () => {
  const dir = path.join(tempDir('tidewatch-init-'), 'up-here')
  assert.equal((await tidewatch(path.dirname(dir), 'init', 'up-here')).code, 0)
  const up = await startUp({ cwd: dir, dataDir: path.join(dir, '.tidewatch') })
  try {
    assert.ok(up.process.lines.some(l => /functions\s+up-here \(0-4 replicas, reading logs\)/.test(l)), up.process.lines.join('\n'))
    const line = fs.readFileSync(path.join(dir, 'sample.log'), 'utf8').split('\n')[1]
    const res = await fetch(`${up.url}/api/v1/ingest/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: line })
    assert.equal(res.status, 200)
    const alerts = await waitFor(async () => {
      const list = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return list.length > 0 ? list : null
    }, { what: 'the alert from the initialised function', timeoutMs: 60_000 })
    assert.equal(alerts[0].labels.alertname, 'NotFound')
    assert.equal(alerts[0].labels.path, '/notfound')
  } finally {
    assert.equal(await up.stop(), 0)
  }
})

test('a handler that cannot load stops up and run before anything starts, naming the file and the error', async () => {
  const dir = path.join(tempDir('tidewatch-init-'), 'broken')
  assert.equal((await tidewatch(path.dirname(dir), 'init', 'broken')).code, 0)
  fs.appendFileSync(path.join(dir, 'handler.ts'), "\nthrow new Error('no config for the enrichment service')\n")
  for (const args of [['up', '--port', '0', '--broker-port', '0', '--data-dir', path.join(dir, '.tw-up')], ['run', 'function.yaml', '--port', '0', '--broker-port', '0', '--data-dir', path.join(dir, '.tw-run')]]) {
    const r = await tidewatch(dir, ...args)
    assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`)
    assert.match(r.stderr, /handler\.ts: the handler module failed while loading: no config for the enrichment service/, args[0])
    assert.ok(!fs.existsSync(path.join(dir, args[0] === 'up' ? '.tw-up' : '.tw-run', 'broker')), `${args[0]}: no broker was started`)
  }
  fs.writeFileSync(path.join(dir, 'handler.ts'), 'export default {}\n')
  const r = await tidewatch(dir, 'up', '--port', '0', '--broker-port', '0', '--data-dir', path.join(dir, '.tw-up2'))
  assert.equal(r.code, 2)
  assert.match(r.stderr, /handler\.ts: export 'default' is not a handler/)
})
