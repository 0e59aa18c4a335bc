import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alert } from './alert.js'
import { decide, type DecideInput, type NotificationLogEntry } from './decide.js'

const S = 1000
const MIN = 60 * S
const NOW = Date.parse('2024-05-01T12:00:00Z')
const TIMING = { groupWaitMs: 30 * S, groupIntervalMs: 5 * MIN, repeatIntervalMs: 4 * 60 * MIN }

/** An alert named by its fingerprint; firing unless `endsAt` is given. */
function alert (fp: string, opts: { startsAt?: number, endsAt?: number, updatedAt?: number } = {}): Alert {
  return { fingerprint: fp, labels: { alertname: fp }, annotations: {}, startsAt: opts.startsAt ?? NOW - MIN, endsAt: opts.endsAt ?? NOW + 5 * MIN, generatorURL: '', updatedAt: opts.updatedAt ?? NOW - MIN, timeout: opts.endsAt === undefined }
}
const resolved = (fp: string): Alert => alert(fp, { endsAt: NOW - S })
const log = (at: number, firing: string[], resolvedFps: string[] = []): NotificationLogEntry => ({ at, firing: new Set(firing), resolved: new Set(resolvedFps) })
// A group that has flushed before and is due again now.
const due = { createdAt: NOW - 60 * MIN, lastFlushAt: NOW - 5 * MIN }

interface Case {
  name: string
  input: Partial<DecideInput>
  notify: boolean
  reason: string
  firing?: string[]
  resolved?: string[]
  /** Whether a notification-log entry is to be written. */
  logs: boolean
}

const cases: Case[] = [
  // The dispatcher's timer.
  { name: 'a new group waits for group_wait', input: { group: { createdAt: NOW - 10 * S }, alerts: [alert('a', { startsAt: NOW - 10 * S, updatedAt: NOW - 10 * S })] }, notify: false, reason: 'waiting for group_wait', logs: false },
  { name: 'a new group notifies once group_wait has passed', input: { group: { createdAt: NOW - 30 * S }, alerts: [alert('a')] }, notify: true, reason: 'first notification', firing: ['a'], logs: true },
  { name: 'an alert already older than group_wait when it arrived is not held back', input: { group: { createdAt: NOW - S }, alerts: [alert('a', { startsAt: NOW - 10 * MIN, updatedAt: NOW - S })] }, notify: true, reason: 'first notification', firing: ['a'], logs: true },
  { name: 'between flushes the group waits for group_interval', input: { group: { createdAt: NOW - MIN, lastFlushAt: NOW - 4 * MIN }, alerts: [alert('a'), alert('b')], lastNotified: log(NOW - 4 * MIN, ['a']) }, notify: false, reason: 'waiting for group_interval', logs: false },

  // The dedup stage, at a due flush.
  { name: 'nothing changed and repeat_interval not passed', input: { alerts: [alert('a')], lastNotified: log(NOW - 5 * MIN, ['a']) }, notify: false, reason: 'unchanged since last notification', logs: false },
  { name: 'repeat_interval passed', input: { alerts: [alert('a')], lastNotified: log(NOW - 4 * 60 * MIN - 1, ['a']) }, notify: true, reason: 'repeat interval elapsed', firing: ['a'], logs: true },
  { name: 'exactly repeat_interval ago is not yet a repeat', input: { alerts: [alert('a')], lastNotified: log(NOW - 4 * 60 * MIN, ['a']) }, notify: false, reason: 'unchanged since last notification', logs: false },
  { name: 'a new firing alert', input: { alerts: [alert('a'), alert('b')], lastNotified: log(NOW - 5 * MIN, ['a']) }, notify: true, reason: 'new alerts added', firing: ['a', 'b'], logs: true },
  { name: 'firing again after everything had resolved counts as first', input: { alerts: [alert('a')], lastNotified: log(NOW - 5 * MIN, [], ['a']) }, notify: true, reason: 'first notification', firing: ['a'], logs: true },
  { name: 'a firing alert gone (silenced) changes nothing', input: { alerts: [alert('a')], lastNotified: log(NOW - 5 * MIN, ['a', 'b']) }, notify: false, reason: 'unchanged since last notification', logs: false },
  { name: 'one resolved, send_resolved on', input: { alerts: [alert('a'), resolved('b')], lastNotified: log(NOW - 5 * MIN, ['a', 'b']) }, notify: true, reason: 'some alerts resolved', firing: ['a'], resolved: ['b'], logs: true },
  { name: 'one resolved, send_resolved off: waits for the repeat', input: { alerts: [alert('a'), resolved('b')], lastNotified: log(NOW - 5 * MIN, ['a', 'b']), sendResolved: false }, notify: false, reason: 'unchanged since last notification', logs: false },
  { name: 'one resolved, send_resolved off, at the repeat: only firing alerts are sent', input: { alerts: [alert('a'), resolved('b')], lastNotified: log(NOW - 5 * 60 * MIN, ['a', 'b']), sendResolved: false }, notify: true, reason: 'repeat interval elapsed', firing: ['a'], resolved: [], logs: true },
  { name: 'a resolved alert already notified as resolved', input: { alerts: [alert('a'), resolved('b')], lastNotified: log(NOW - 5 * MIN, ['a'], ['b']) }, notify: false, reason: 'unchanged since last notification', logs: false },
  { name: 'all resolved, send_resolved on', input: { alerts: [resolved('a'), resolved('b')], lastNotified: log(NOW - 5 * MIN, ['a', 'b']) }, notify: true, reason: 'all alerts resolved', firing: [], resolved: ['a', 'b'], logs: true },
  { name: 'all resolved, send_resolved off: nothing sent, but logged so the next firing is new', input: { alerts: [resolved('a')], lastNotified: log(NOW - 5 * MIN, ['a']), sendResolved: false }, notify: false, reason: 'resolved, but send_resolved is off', logs: true },
  { name: 'resolved before it was ever notified', input: { alerts: [resolved('a')] }, notify: false, reason: 'never notified and nothing firing', logs: false },
  { name: 'fired and resolved between two notifications', input: { alerts: [resolved('a')], lastNotified: log(NOW - 5 * MIN, [], ['z']) }, notify: false, reason: 'fired and resolved between notifications', logs: false },
  { name: 'every alert muted', input: { alerts: [], lastNotified: log(NOW - 5 * MIN, ['a']) }, notify: false, reason: 'no alerts', logs: false }
]

test('decide: should the group notify now, and why', () => {
  for (const c of cases) {
    const d = decide({ now: NOW, group: due, alerts: [], sendResolved: true, ...TIMING, ...c.input })
    const what = `${c.name}: ${d.reason} (${d.detail})`
    assert.equal(d.notify, c.notify, what)
    assert.equal(d.reason, c.reason, what)
    assert.deepEqual(d.firing.map(a => a.fingerprint), c.firing ?? [], what)
    assert.deepEqual(d.resolved.map(a => a.fingerprint), c.resolved ?? [], what)
    assert.equal(d.log !== undefined, c.logs, what)
  }
})

test('the log entry holds every firing and resolved alert, whatever was sent', () => {
  const d = decide({ now: NOW, group: due, alerts: [alert('a'), resolved('b')], lastNotified: log(NOW - 5 * 60 * MIN, ['a', 'b']), sendResolved: false, ...TIMING })
  assert.deepEqual(d.log, { at: NOW, firing: new Set(['a']), resolved: new Set(['b']) })
  assert.deepEqual(d.expired, ['b'], 'resolved alerts leave the group after the flush')
})

test('flush bookkeeping: when to ask again', () => {
  const waiting = decide({ now: NOW, group: { createdAt: NOW - 10 * S }, alerts: [alert('a', { startsAt: NOW - 10 * S, updatedAt: NOW - 10 * S })], sendResolved: true, ...TIMING })
  assert.deepEqual([waiting.flushed, waiting.nextCheckAt], [false, NOW + 20 * S])
  const interval = decide({ now: NOW, group: { createdAt: NOW - MIN, lastFlushAt: NOW - MIN }, alerts: [alert('a')], sendResolved: true, ...TIMING })
  assert.deepEqual([interval.flushed, interval.nextCheckAt], [false, NOW + 4 * MIN])
  const flushed = decide({ now: NOW, group: due, alerts: [alert('a')], lastNotified: log(NOW - 5 * MIN, ['a']), sendResolved: true, ...TIMING })
  assert.deepEqual([flushed.flushed, flushed.notify, flushed.nextCheckAt], [true, false, NOW + 5 * MIN])
})
