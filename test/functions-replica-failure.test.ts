// A replica in trouble must show it and get out of the way: stopped while its handler hangs, it
// still exits (leaving its batch uncommitted for the next member), and one whose consumer fails
// exits to be restarted instead of sitting "ready" with the lag stuck.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import path from 'node:path'
import { BrokerProcess, CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { groupOffsets } from './helpers/lag.js'
import { waitFor } from './helpers/wait.js'
import { writeBusyFunction } from './helpers/busy-function.js'

const execFileAsync = promisify(execFile)
import type { FunctionStatus } from '../src/scaling/function-controller.js'
import type { ScalingEvent } from '../src/scaling/events.js'

function writeFunction (dir: string): string {
  return writeBusyFunction(dir, 'stuck')
}

async function produce (bootstrap: string, ids: number[]): Promise<void> {
  const r = await run('kcat', ['-b', bootstrap, '-P', '-t', 'work'], { input: ids.map(id => JSON.stringify({ id })).join('\n') + '\n' })
  assert.equal(r.code, 0, r.stderr)
}

/** Ids in the output topic, read with kcat (through execFile: kcat -C takes no input, and
 * writing to the stdin of a kcat that already exited would fail with EPIPE). */
async function doneIds (bootstrap: string): Promise<Set<string>> {
  const { stdout } = await execFileAsync('kcat', ['-b', bootstrap, '-C', '-t', 'done', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 })
  return new Set(stdout.split('\n').filter(l => l !== ''))
}

test('SIGTERM stops a replica whose handler never returns: it exits, nothing of its batch is committed, and the next replica processes it all', async () => {
  const dir = tempDir()
  const marks = path.join(dir, 'marks')
  fs.mkdirSync(marks)
  const broker = await BrokerProcess.start(path.join(dir, 'broker'), ['--partitions', '2'])
  const file = writeFunction(dir)
  const replica = (hang: string): LineProcess => new LineProcess(process.execPath, [CLI, 'replica', file, '--brokers', broker.bootstrap], { BUSY: hang, MARKS: marks })
  let stuck: LineProcess | null = null
  let next: LineProcess | null = null
  try {
    stuck = replica('1')
    const ids = Array.from({ length: 20 }, (_, i) => i)
    await produce(broker.bootstrap, ids)
    await waitFor(() => fs.readdirSync(marks).length > 0, { what: 'the handler to be running', timeoutMs: 60_000 })
    stuck.child.kill('SIGTERM')
    await waitFor(() => stuck!.child.exitCode !== null, { what: 'the replica to exit after SIGTERM although its handler hangs', timeoutMs: 30_000 })
    assert.equal(stuck.child.exitCode, 0)
    assert.match(stuck.stderr, /replica did not stop in time; leaving the group and exiting/)
    assert.ok((await groupOffsets(broker.bootstrap, 'stuck', 'work')).every(p => p.committed <= 0), 'nothing was committed')

    next = replica('0')
    await waitFor(async () => (await doneIds(broker.bootstrap)).size === ids.length, { what: 'the next replica to process every record', timeoutMs: 60_000 })
  } finally {
    await stuck?.stop('SIGKILL')
    await next?.stop('SIGTERM')
    await broker.stop('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('a replica whose consumer fails (its broker killed) exits and is restarted instead of staying ready; when the broker is back the function catches up', async () => {
  const dir = tempDir()
  const brokerDir = path.join(dir, 'broker')
  let broker = await BrokerProcess.start(brokerDir, ['--partitions', '2'])
  const port = broker.port
  const runner = new LineProcess(process.execPath, [CLI, 'run', writeFunction(dir), '--brokers', broker.bootstrap, '--replicas', '1', '--port', '0', '--data-dir', path.join(dir, 'data')], { BUSY: '0' })
  try {
    const api = await waitFor(() => runner.lines.find(l => l.startsWith('  API '))?.trim().split(/\s+/)[1], { what: 'tidewatch run to be ready', timeoutMs: 60_000 })
    const status = async (): Promise<FunctionStatus> => ((await (await fetch(`${api}/api/v1/functions`)).json()) as { functions: FunctionStatus[] }).functions[0]
    const events = async (): Promise<ScalingEvent[]> => ((await (await fetch(`${api}/api/v1/events?limit=1000`)).json()) as { events: ScalingEvent[] }).events
    await produce(broker.bootstrap, [0, 1, 2])
    await waitFor(async () => (await doneIds(broker.bootstrap)).size === 3, { what: 'the first records to be processed', timeoutMs: 60_000 })

    await broker.stop('SIGKILL')
    const exit = await waitFor(async () => (await events()).find(e => e.type === 'replica-exit'), { what: 'the replica to exit once its consumer fails', timeoutMs: 60_000 })
    assert.match(exit.reason, /replica 1 exited with code 1 \(last error: .+\); restarting in \d+ ms/)
    const down = await status()
    assert.equal(down.replicas.ready, 0, 'a replica without a consumer is not reported ready')
    assert.notEqual(down.lastError, null)

    broker = await BrokerProcess.start(brokerDir, ['--port', String(port)])
    await produce(broker.bootstrap, [3, 4, 5])
    await waitFor(async () => (await doneIds(broker.bootstrap)).size === 6, { what: 'the restarted replica to catch up', timeoutMs: 90_000 })
    await waitFor(async () => { const s = await status(); return s.replicas.ready === 1 && s.lag.total === 0 }, { what: 'a ready replica and no lag', timeoutMs: 30_000 })
    // Its clients saw the broker go and come back; stopping must still end the process.
    runner.child.kill('SIGTERM')
    await waitFor(() => runner.child.exitCode !== null, { what: 'tidewatch run to exit after SIGTERM', timeoutMs: 30_000 })
    assert.equal(runner.child.exitCode, 0)
  } finally {
    await runner.stop('SIGTERM')
    await broker.stop('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
