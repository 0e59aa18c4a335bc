// The autoscaler end to end: `tidewatch run` with its embedded broker, real replica processes,
// kcat as the producer, and the HTTP API / CLI as a user would read them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { CLI, run, tempDir } from './helpers/processes.js'
import { RunningFunction } from './helpers/tidewatch-run.js'
import { waitFor } from './helpers/wait.js'
import type { FunctionStatus } from '../src/scaling/function-controller.js'

// Each record takes a few milliseconds, so a burst takes one replica a while and more help.
const HANDLER = `export default async function (ctx, data) {
  await new Promise(resolve => setTimeout(resolve, 8))
  await ctx.send(String(data.id), 'processed')
}
`

function writeFunction (dir: string, scale: string): string {
  fs.writeFileSync(path.join(dir, 'handler.ts'), HANDLER)
  const file = path.join(dir, 'function.yaml')
  fs.writeFileSync(file, `name: burst
input: { topic: logs, startFrom: latest }
handler: ./handler.ts
outputs:
  processed: { type: kafka, topic: processed }
scale:
${scale}
`)
  return file
}

class Running extends RunningFunction {
  static async startWith (file: string, dataDir: string, partitions: number): Promise<Running> {
    const { proc, api, bootstrap } = await RunningFunction.launch(file, dataDir, ['--partitions', String(partitions)])
    return new Running(proc, api, bootstrap)
  }

  /** Distinct ids the function has written to its output topic. */
  async processed (): Promise<Set<string>> {
    const r = await run('kcat', ['-b', this.bootstrap, '-C', '-t', 'processed', '-e', '-q', '-f', '%s\n'])
    return new Set(r.stdout.split('\n').filter(l => l !== ''))
  }

  async produce (ids: number[]): Promise<void> {
    const r = await run('kcat', ['-b', this.bootstrap, '-P', '-t', 'logs'], { input: ids.map(id => JSON.stringify({ id, log: `GET /page/${id} 200` })).join('\n') + '\n' })
    assert.equal(r.code, 0, r.stderr)
  }
}

test('a burst scales out to min(partitions, maxReplicas, ceil(lag / lagThreshold)), drains, and returns to zero after the cooldown', async () => {
  const dir = tempDir()
  // 4 partitions, lagThreshold 20, maxReplicas 10: 400 records want ceil(400/20) = 20, the partitions allow 4.
  const file = writeFunction(dir, '  lagThreshold: 20\n  maxReplicas: 10\n  pollingInterval: 1\n  cooldownPeriod: 2\n  scaleDownStabilization: 1')
  const tw = await Running.startWith(file, path.join(dir, 'data'), 4)
  try {
    const quiet = await tw.status()
    assert.equal(quiet.replicas.current, 0, 'no replica while the topic is quiet')
    assert.equal(quiet.mode, 'autoscale')

    const ids = Array.from({ length: 400 }, (_, i) => i)
    await tw.produce(ids)
    let highest = 0
    await waitFor(async () => {
      const s = await tw.status()
      highest = Math.max(highest, s.replicas.current)
      return highest === 4
    }, { what: '4 replicas running', timeoutMs: 60_000 })
    await waitFor(async () => (await tw.processed()).size === ids.length ? true : null, { what: 'every record processed', timeoutMs: 120_000, intervalMs: 300 })
    // Zero replicas, and the last one has finished leaving (it commits and exits on SIGTERM).
    const drained = await waitFor(async () => { const s = await tw.status(); return s.replicas.current === 0 && s.replicas.stopping === 0 && s.lag.total === 0 ? s : null }, { what: 'back to zero replicas', timeoutMs: 60_000 })
    assert.equal(drained.replicas.desired, 0)

    const scale = (await tw.events()).filter(e => e.type === 'scale')
    assert.ok(scale.every(e => (e.to ?? 0) <= 4), `never above the partition count: ${scale.map(e => e.to).join(',')}`)
    assert.equal(scale[0].from, 0)
    assert.match(scale[0].reason, /> activationLagThreshold 0/, 'the first step is an activation, with its reason')
    // Every step up is min(partitions, maxReplicas, ceil(lag / lagThreshold)) of the lag it names;
    // whether 4 comes in one step or two depends on how much had arrived at the first decision.
    for (const e of scale.filter(e => (e.to ?? 0) > (e.from ?? 0))) {
      const lag = Number(/lag (\d+) \/ lagThreshold 20/.exec(e.reason)?.[1])
      assert.equal(e.to, Math.min(4, 10, Math.max(1, Math.ceil(lag / 20))), `${e.from} → ${e.to}: ${e.reason}`)
      if (lag > 80) assert.match(e.reason, /capped at 4 partitions/, 'the partition cap is given as the reason')
    }
    const last = scale.at(-1)!
    assert.equal(last.to, 0)
    assert.match(last.reason, /for cooldownPeriod 2s/)
    // Whether a scale-down to 1 shows before the deactivation depends on a poll landing inside
    // the 2 s cooldown, which a busy machine may miss (KEDA too goes from N to 0 then); the
    // sequence itself is pinned down in policy.test.ts.

    // The same, as a user reads it.
    const status = await run(process.execPath, [CLI, 'status', '--url', tw.api, '--json'])
    assert.equal(status.code, 0, status.stderr)
    const [fn] = JSON.parse(status.stdout) as FunctionStatus[]
    assert.equal(fn.name, 'burst')
    assert.equal(fn.replicas.current, 0)
    const table = await run(process.execPath, [CLI, 'status', '--url', tw.api])
    assert.match(table.stdout, /^FUNCTION\s+REPLICAS\s+DESIRED\s+LAG/m)
    assert.match(table.stdout, /^burst\s+0 \(0-10\)\s+0\s+0\s/m)
    const events = await run(process.execPath, [CLI, 'events', '--url', tw.api, '--function', 'burst'])
    assert.match(events.stdout, /burst {2}0 → \d+ {2}lag \d+ > activationLagThreshold 0/)
    assert.match(events.stdout, /burst {2}[1-4] → 0 {2}lag 0 ≤ activationLagThreshold 0 for cooldownPeriod 2s/)
    const metrics = await (await fetch(`${tw.api}/metrics`)).text()
    assert.match(metrics, /^tidewatch_function_replicas\{function="burst"\} 0$/m)
    assert.match(metrics, /^tidewatch_scaling_events_total\{function="burst",type="scale"\} \d+$/m)
  } finally {
    assert.equal(await tw.proc.stop('SIGINT'), 0)
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('under the autoscaler, a replica killed with kill -9 is replaced and no record is left unprocessed', async () => {
  const dir = tempDir()
  const file = writeFunction(dir, '  minReplicas: 2\n  maxReplicas: 2\n  pollingInterval: 1')
  const tw = await Running.startWith(file, path.join(dir, 'data'), 4)
  try {
    await waitFor(async () => (await tw.status()).replicas.ready === 2, { what: 'two replicas in the group', timeoutMs: 60_000 })
    const ids = Array.from({ length: 600 }, (_, i) => i)
    await tw.produce(ids.slice(0, 300))
    await waitFor(async () => (await tw.processed()).size >= 30 ? true : null, { what: 'processing to start', timeoutMs: 60_000, intervalMs: 200 })
    const [victim] = tw.replicaPids()
    process.kill(victim, 'SIGKILL')
    await tw.produce(ids.slice(300))
    await waitFor(async () => (await tw.events()).some(e => e.type === 'replica-exit' && /killed by SIGKILL/.test(e.reason)) ? true : null, { what: 'the exit to be recorded', timeoutMs: 30_000 })
    await waitFor(() => tw.replicaPids().length >= 3 ? true : null, { what: 'a replacement replica', timeoutMs: 30_000 })
    const done = await waitFor(async () => { const p = await tw.processed(); return p.size === ids.length ? p : null }, { what: 'all 600 records processed', timeoutMs: 120_000, intervalMs: 300 })
    assert.deepEqual([...done].map(Number).sort((a, b) => a - b), ids)
    await waitFor(async () => { const s = await tw.status(); return s.lag.total === 0 && s.replicas.ready === 2 ? true : null }, { what: 'lag 0 with two replicas', timeoutMs: 60_000 })
  } finally {
    assert.equal(await tw.proc.stop('SIGINT'), 0)
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
