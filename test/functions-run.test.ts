// `tidewatch run` as a user runs it: replica processes under a supervisor, against the broker
// CLI and a real Alertmanager; one replica is killed with SIGKILL mid-stream.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BrokerProcess, CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { Alertmanager } from './helpers/alertmanager.js'
import { waitFor } from './helpers/wait.js'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'logs-handler')
const the404 = fs.readFileSync(path.join(example, 'sample.log'), 'utf8').split('\n')[0]

test('kill -9 of a replica mid-stream: it is restarted and every expected alert arrives at least once', async () => {
  const dataDir = tempDir()
  const broker = await BrokerProcess.start(dataDir)
  const am = await Alertmanager.start()
  // The example starts new groups at the latest offset; from the earliest, no record can fall
  // between a rebalance and a first commit, so "every alert" is exact.
  const fnFile = path.join(dataDir, 'function.yaml')
  fs.writeFileSync(fnFile, fs.readFileSync(path.join(example, 'function.yaml'), 'utf8')
    .replace('startFrom: latest', 'startFrom: earliest')
    .replace('handler: ./handler.ts', `handler: ${path.join(example, 'handler.ts')}`))
  const runner = new LineProcess(process.execPath, [CLI, 'run', fnFile, '--brokers', broker.bootstrap, '--replicas', '2', '--port', '0'], { ALERTMANAGER_URL: am.url })
  try {
    const pids = (): number[] => runner.stderr.split('\n').filter(l => l.includes('"replica process started"')).map(l => (JSON.parse(l) as { pid: number }).pid)
    await waitFor(() => pids().length === 2, { what: 'two replicas', timeoutMs: 30_000 })
    await waitFor(() => runner.stderr.split('\n').filter(l => l.includes('replica started')).length >= 2, { what: 'both replicas in the group', timeoutMs: 30_000 })
    const paths = Array.from({ length: 300 }, (_, i) => `/gone-${i}`)
    const lines = paths.map(p => the404.replace('/notfound', p))
    await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'logs'], { input: lines.slice(0, 100).join('\n') + '\n' })
    await waitFor(async () => (await am.alerts()).length >= 20, { what: 'alerts to start arriving', timeoutMs: 60_000 })
    process.kill(pids()[0], 'SIGKILL')
    await run('kcat', ['-b', broker.bootstrap, '-P', '-t', 'logs'], { input: lines.slice(100).join('\n') + '\n' })
    await waitFor(() => pids().length >= 3, { what: 'the killed replica to be restarted', timeoutMs: 30_000 })
    const alerts = await waitFor(async () => {
      const a = await am.alerts()
      return new Set(a.map(x => x.labels.path)).size === paths.length ? a : null
    }, { what: 'all 300 alerts', timeoutMs: 120_000 })
    assert.deepEqual(new Set(alerts.map(a => a.labels.path)), new Set(paths))
    assert.match(runner.stderr, /replica exited; restarting/)
  } finally {
    await runner.stop('SIGTERM')
    await am.stop()
    await broker.stop('SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})

test('without --brokers, tidewatch run starts the embedded broker itself and the alert still arrives', async () => {
  const dataDir = tempDir()
  const am = await Alertmanager.start()
  const fnFile = path.join(dataDir, 'function.yaml')
  fs.writeFileSync(fnFile, fs.readFileSync(path.join(example, 'function.yaml'), 'utf8')
    .replace('startFrom: latest', 'startFrom: earliest')
    .replace('handler: ./handler.ts', `handler: ${path.join(example, 'handler.ts')}`))
  const runner = new LineProcess(process.execPath, [CLI, 'run', fnFile, '--broker-port', '0', '--port', '0', '--data-dir', dataDir], { ALERTMANAGER_URL: am.url })
  try {
    const line = await waitFor(() => runner.lines.find(l => l.startsWith('  broker  ')), { what: 'tidewatch run to start', timeoutMs: 30_000 })
    const bootstrap = line.trim().split(/\s+/)[1]
    const produced = await run('kcat', ['-b', bootstrap, '-P', '-t', 'logs'], { input: the404 + '\n' })
    assert.equal(produced.code, 0, produced.stderr)
    const [alert] = await waitFor(async () => { const a = await am.alerts(); return a.length > 0 ? a : null }, { what: 'the alert', timeoutMs: 60_000 })
    assert.equal(alert.labels.alertname, '404 Request')
    assert.equal(await runner.stop('SIGINT'), 0, 'Ctrl-C stops replicas and the broker cleanly')
  } finally {
    await runner.stop('SIGKILL')
    await am.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})
