import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { ReplicaSet } from './replica-set.js'
import { EventLog } from './events.js'
import { silentLogger } from '../shared/logger.js'

// Real child processes speaking the replica IPC protocol, standing in for `tidewatch replica`
// (a stand-in replica process, not the real one: the e2e tests run those).
const STAND_IN = `
const fs = require('fs')
const parked = process.argv.includes('--parked')
const dir = process.env.MARKS
const ready = () => process.send({ type: 'ready' })
// Before anything is sent: the parent may signal as soon as it hears 'ready'.
process.on('SIGTERM', () => setTimeout(() => { fs.writeFileSync(dir + '/graceful-' + process.pid, ''); process.exit(0) }, 50))
if (process.env.CRASH === '1') process.exit(3)
if (parked) { process.send({ type: 'parked' }); process.on('message', m => { if (m.type === 'start') ready() }) } else ready()
process.send({ type: 'stats', records: 5, handlerErrors: 1, deadLetters: 1, sends: 2 })
setInterval(() => {}, 1000)
`

function harness (env: Record<string, string> = {}, spare = false): { set: ReplicaSet, events: EventLog, spawned: { parked: boolean }[], marks: string } {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-replicaset-'))
  const events = new EventLog()
  const spawned: { parked: boolean }[] = []
  const set = new ReplicaSet({
    name: 'fn',
    events,
    logger: silentLogger(),
    spare,
    // Long, so a loaded machine cannot turn a graceful stop into a SIGKILL.
    graceMs: 60_000,
    spawn: parked => {
      spawned.push({ parked })
      return spawn(process.execPath, ['-e', STAND_IN, '--', ...(parked ? ['--parked'] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, MARKS: marks, ...env } })
    }
  })
  return { set, events, spawned, marks }
}

async function until (cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

test('scaling down stops the highest slots gracefully (SIGTERM, then they finish), and counters survive them', async () => {
  const { set, marks, events } = harness()
  try {
    set.scaleTo(3)
    await until(() => set.ready === 3, 'three ready replicas')
    await until(() => set.totals().records === 15, 'stats from three replicas')
    set.scaleTo(1)
    assert.equal(set.running, 1, 'the two leaving replicas no longer count as running')
    assert.equal(set.stopping, 2, 'they are reported as stopping until they exit')
    await until(() => fs.readdirSync(marks).length === 2, 'two graceful exits')
    await until(() => set.stopping === 0, 'no replica left stopping')
    assert.equal(set.totals().records, 15, 'counters of exited replicas are kept')
    assert.equal(events.list().length, 0, 'a requested stop is not a crash')
  } finally {
    await set.stopAll()
  }
  assert.equal(fs.readdirSync(marks).length, 3)
})

test('a replica that keeps dying is restarted with backoff and reported as crash-looping', async () => {
  const { set, events } = harness({ CRASH: '1' })
  try {
    set.scaleTo(1)
    await until(() => events.list().some(e => e.type === 'crash-loop'), 'a crash-loop event')
    const exits = events.list().filter(e => e.type === 'replica-exit')
    assert.ok(exits.length >= 5, `restarted after each exit (${exits.length})`)
    assert.match(exits[0].reason, /replica 1 exited with code 3; restarting in 250 ms/)
    assert.match(exits[1].reason, /restarting in 500 ms/, 'backoff doubles')
    assert.match(events.list().find(e => e.type === 'crash-loop')!.reason, /exited 5 times in the last minute/)
  } finally {
    await set.stopAll()
  }
})

test('a parked spare becomes the next replica without a process start, and a new spare is parked', async () => {
  const { set, spawned } = harness({}, true)
  try {
    set.keepSpare()
    assert.deepEqual(spawned, [{ parked: true }])
    await until(() => set.spareReady, 'the spare to report it is parked')
    set.scaleTo(1)
    assert.equal(set.spareReady, false, 'the spare was taken')
    await until(() => set.ready === 1, 'the spare to join')
    assert.equal(spawned.filter(s => !s.parked).length, 0, 'no cold start for the first replica')
    await until(() => spawned.length === 2, 'a new spare')
    assert.deepEqual(spawned[1], { parked: true })
    await until(() => set.spareReady, 'the new spare to be parked')
  } finally {
    await set.stopAll()
  }
})
