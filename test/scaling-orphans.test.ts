// kill -9 of the supervisor (`tidewatch run`, `tidewatch up`) while its replicas are busy in a
// handler and a parked spare waits: every process it started must go, and leave the group, so
// that a restarted supervisor owns every partition instead of sharing them with orphans.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import path from 'node:path'
import { Kafka, logLevel, AssignerProtocol } from 'kafkajs'
import { BrokerProcess, CLI, LineProcess, run, tempDir } from './helpers/processes.js'
import { freePort } from './helpers/alertmanager.js'
import { waitFor } from './helpers/wait.js'
import { writeBusyFunction } from './helpers/busy-function.js'

const execFileAsync = promisify(execFile)
import type { FunctionStatus } from '../src/scaling/function-controller.js'

function writeFunction (dir: string): string {
  return writeBusyFunction(dir, 'slow', 'scale: { minReplicas: 2, maxReplicas: 2 }\n')
}

/** State letter of a process from /proc, or null when there is no such process. */
function procState (pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
  } catch {
    return null
  }
}

/** Every process descended from `root`, from the ppid field of /proc/PID/stat. */
function descendants (root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {}
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) for (const c of children.get(queue.shift()!) ?? []) { out.push(c); queue.push(c) }
  return out
}

/** Gone, or a zombie (exited, waiting for whoever adopted it to reap it). */
const dead = (pid: number): boolean => { const s = procState(pid); return s === null || s === 'Z' || s === 'X' }

/** Spreads `ids` over the 4 partitions explicitly (kcat's sticky partitioner would put a burst on one). */
async function produce (bootstrap: string, ids: number[]): Promise<void> {
  for (let p = 0; p < 4; p++) {
    const mine = ids.filter(id => id % 4 === p)
    const r = await run('kcat', ['-b', bootstrap, '-P', '-t', 'work', '-p', String(p)], { input: mine.map(id => JSON.stringify({ id })).join('\n') + '\n' })
    assert.equal(r.code, 0, r.stderr)
  }
}

/** Ids in the output topic, read with kcat (through execFile: kcat -C takes no input, and
 * writing to the stdin of a kcat that already exited would fail with EPIPE). */
async function doneIds (bootstrap: string): Promise<Set<string>> {
  const { stdout } = await execFileAsync('kcat', ['-b', bootstrap, '-C', '-t', 'done', '-e', '-q', '-f', '%s\n'], { timeout: 60_000 })
  return new Set(stdout.split('\n').filter(l => l !== ''))
}

async function functionStatus (api: string): Promise<FunctionStatus> {
  const res = await fetch(`${api}/api/v1/functions`)
  return ((await res.json()) as { functions: FunctionStatus[] }).functions[0]
}

/** The group's members, and the partitions of `work` each is assigned, as kafkajs sees them. */
async function groupMembers (bootstrap: string): Promise<{ state: string, members: number[][] }> {
  const admin = new Kafka({ clientId: 'orphans-test', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    const { groups: [g] } = await admin.describeGroups(['slow'])
    const members = g.members.map(m => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment.work ?? [])
    return { state: g.state, members }
  } finally {
    await admin.disconnect()
  }
}

/**
 * Two replicas in a stable group (before any record: one stuck in its handler could not take
 * part in a rebalance) and a parked spare, with records waiting.
 */
async function busyWithSpare (api: string, bootstrap: string, ids: number[]): Promise<void> {
  await waitFor(async () => { const s = await functionStatus(api); return s.replicas.ready === 2 && s.replicas.spare }, { what: 'two ready replicas and a parked spare', timeoutMs: 60_000 })
  await waitFor(async () => { const g = await groupMembers(bootstrap); return g.state === 'Stable' && g.members.length === 2 }, { what: 'a stable group of two', timeoutMs: 60_000 })
  await produce(bootstrap, ids)
}

/**
 * Waits until both replicas are inside the handler and a parked spare is loaded, then kills
 * `proc` with SIGKILL and waits for every process it had started to be gone.
 */
async function killBusySupervisor (proc: LineProcess, api: string, marks: string, family: number[]): Promise<void> {
  await waitFor(() => fs.readdirSync(marks).filter(f => f.startsWith('busy-')).length >= 2, { what: 'two replicas busy in the handler', timeoutMs: 60_000 })
  await waitFor(async () => (await functionStatus(api)).replicas.spare, { what: 'a parked spare', timeoutMs: 60_000 })
  await waitFor(async () => (await functionStatus(api)).lag.total > 0, { what: 'lag to be present (records waiting)' })
  family.push(...descendants(proc.child.pid!))
  assert.ok(family.length >= 3, `two replicas and a spare under the supervisor (found ${family.length} processes)`)
  proc.child.kill('SIGKILL')
  // Not proc.exited: that waits for the output pipes to close, which orphans would hold open.
  await waitFor(() => proc.child.signalCode !== null, { what: 'the supervisor to be killed' })
  await waitFor(() => family.every(dead), { what: `every process the supervisor started (${family.join(', ')}) to exit`, timeoutMs: 60_000 })
}

/** Cleanup after a failure: whatever the test started that is still alive. */
async function killAll (family: number[], procs: (LineProcess | null)[]): Promise<void> {
  for (const pid of family) if (!dead(pid)) try { process.kill(pid, 'SIGKILL') } catch {}
  await Promise.all(procs.map(async p => await p?.stop('SIGKILL')))
}

test('kill -9 of tidewatch run --brokers B with busy replicas and a parked spare: every replica exits and leaves the group; a restarted run gets all partitions', async () => {
  const dir = tempDir()
  const marks = path.join(dir, 'marks')
  fs.mkdirSync(marks)
  const broker = await BrokerProcess.start(path.join(dir, 'broker'), ['--partitions', '4'])
  const file = writeFunction(dir)
  const start = (env: NodeJS.ProcessEnv, args: string[] = []): LineProcess => new LineProcess(process.execPath, [CLI, 'run', file, '--brokers', broker.bootstrap, '--port', '0', '--data-dir', path.join(dir, 'data'), ...args], { MARKS: marks, ...env })
  let first: LineProcess | null = null
  let second: LineProcess | null = null
  const family: number[] = []
  try {
    first = start({ BUSY: '1' })
    const api = (p: LineProcess): Promise<string> => waitFor(() => p.lines.find(l => l.startsWith('  API '))?.trim().split(/\s+/)[1], { what: 'tidewatch run to be ready', timeoutMs: 60_000 })
    const firstApi = await api(first)
    const ids = Array.from({ length: 40 }, (_, i) => i)
    await busyWithSpare(firstApi, broker.bootstrap, ids)
    await killBusySupervisor(first, firstApi, marks, family)
    await waitFor(async () => (await groupMembers(broker.bootstrap)).members.length === 0, { what: 'the group to have no members left', timeoutMs: 30_000 })

    second = start({ BUSY: '0' }, ['--replicas', '1'])
    await api(second)
    const group = await waitFor(async () => { const g = await groupMembers(broker.bootstrap); return g.state === 'Stable' && g.members.length > 0 ? g : null }, { what: 'the new replica to join', timeoutMs: 60_000 })
    assert.equal(group.members.length, 1, 'only the new replica is in the group')
    assert.deepEqual([...group.members[0]].sort(), [0, 1, 2, 3], 'it owns every partition')
    await waitFor(async () => (await doneIds(broker.bootstrap)).size === ids.length, { what: 'every record processed by the new run', timeoutMs: 60_000 })
  } finally {
    await second?.stop('SIGTERM')
    await killAll(family, [first])
    await broker.stop('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('kill -9 of tidewatch up with busy replicas and a parked spare: every process it started exits; after a quick restart only its own replicas are in the group', async () => {
  const dir = tempDir()
  const marks = path.join(dir, 'marks')
  fs.mkdirSync(marks)
  writeFunction(dir)
  const project = path.join(dir, 'tidewatch.yaml')
  fs.writeFileSync(project, 'functions:\n  - ./function.yaml\nbroker:\n  partitions: 4\n')
  const brokerPort = await freePort()
  const bootstrap = `127.0.0.1:${brokerPort}`
  const start = (env: NodeJS.ProcessEnv): LineProcess => new LineProcess(process.execPath, [CLI, 'up', '--config', project, '--port', '0', '--broker-port', String(brokerPort), '--data-dir', path.join(dir, 'data')], { MARKS: marks, ALERTMANAGER_URL: undefined, TIDEWATCH_PUBLIC_URL: undefined, ...env })
  const consoleUrl = (p: LineProcess): Promise<string> => waitFor(() => {
    if (p.child.exitCode !== null) throw new Error(`tidewatch up exited: ${p.stderr}`)
    return p.lines.some(l => l.startsWith('Ctrl-C')) ? p.lines.find(l => l.trim().startsWith('console'))!.trim().split(/\s+/)[1].replace(/\/$/, '') : null
  }, { what: 'tidewatch up to print its addresses', timeoutMs: 60_000 })
  let first: LineProcess | null = null
  let second: LineProcess | null = null
  const family: number[] = []
  try {
    first = start({ BUSY: '1' })
    const firstUrl = await consoleUrl(first)
    const ids = Array.from({ length: 40 }, (_, i) => i)
    await busyWithSpare(firstUrl, bootstrap, ids)
    await killBusySupervisor(first, firstUrl, marks, family)

    // Restarted at once on the same broker port: an orphan would reconnect and rejoin the group.
    second = start({ BUSY: '0' })
    const url = await consoleUrl(second)
    await waitFor(async () => (await doneIds(bootstrap)).size === ids.length, { what: 'every record processed after the restart', timeoutMs: 60_000 })
    // Compared once the group is stable and up's replicas have all joined.
    const { group, status } = await waitFor(async () => {
      const g = await groupMembers(bootstrap)
      const st = await functionStatus(url)
      return g.state === 'Stable' && st.replicas.ready === st.replicas.current ? { group: g, status: st } : null
    }, { what: 'a stable group', timeoutMs: 30_000 })
    assert.equal(group.members.length, status.replicas.current, `members of the group (${group.members.length}) are exactly the replicas up shows (${status.replicas.current})`)
    assert.deepEqual(group.members.flat().sort(), [0, 1, 2, 3], 'its replicas own every partition')
  } finally {
    await second?.stop('SIGTERM')
    await killAll(family, [first])
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
