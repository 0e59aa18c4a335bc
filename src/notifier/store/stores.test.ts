import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Alert } from '../alert.js'
import { AlertStore } from './alerts.js'
import { JsonlFile } from './jsonl-file.js'
import { NotificationLog } from './notification-log.js'
import { Outbox, type QueuedNotification } from './outbox.js'
import { SilenceStore } from './silences.js'

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-store-'))

test('jsonl file: a torn last line is ignored and cut off; appends after it start on a clean line', () => {
  const dir = tmp()
  const file = path.join(dir, 'x.jsonl')
  fs.writeFileSync(file, '{"a":1}\n{"a":2}\n{"a":')
  const seen: unknown[] = []
  const { log, report } = JsonlFile.open<{ a: number }>(file, r => seen.push(r))
  assert.deepEqual(seen, [{ a: 1 }, { a: 2 }])
  assert.deepEqual(report, { records: 2, badLines: [3], tornTail: true })
  log.append({ a: 3 })
  log.close()
  assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n')
})

test('jsonl file: compaction keeps only the live records and survives reopening', () => {
  const file = path.join(tmp(), 'x.jsonl')
  const { log } = JsonlFile.open<{ a: number }>(file, () => {})
  for (let i = 0; i < 10; i++) log.append({ a: i })
  assert.equal(log.maybeCompact(() => [{ a: 9 }], 1, 5), true)
  log.append({ a: 10 })
  log.close()
  const seen: unknown[] = []
  JsonlFile.open<{ a: number }>(file, r => seen.push(r)).log.close()
  assert.deepEqual(seen, [{ a: 9 }, { a: 10 }])
})

function note (groupKey: string, at: number): Omit<QueuedNotification, 'id'> {
  return { integration: 'r/webhook/0', receiver: 'r', groupKey, groupLabels: {}, firing: [], resolved: [], reason: 'first notification', log: { at, firing: [], resolved: [] }, logRetentionMs: 1000, queuedAt: at }
}

test('outbox: one pending notification per group, the newest; replayed after a restart minus what was delivered', () => {
  const dir = tmp()
  const { outbox } = Outbox.open(dir)
  const a1 = outbox.put(note('a', 1))
  outbox.put(note('b', 2))
  const a2 = outbox.put(note('a', 3))
  assert.deepEqual(outbox.pendingFor('r/webhook/0').map(n => [n.groupKey, n.log.at]), [['b', 2], ['a', 3]])
  // Finishing the older version (sent before a2 was queued) leaves a2 owed.
  outbox.done(a1, 'delivered')
  assert.equal(outbox.latest(a1), a2)
  outbox.done(a2, 'delivered')
  outbox.close()
  const again = Outbox.open(dir).outbox
  assert.deepEqual(again.pendingFor('r/webhook/0').map(n => n.groupKey), ['b'])
  assert.ok(again.put(note('c', 4)).id > a2.id, 'ids keep increasing across restarts')
  again.close()
})

test('notification log: survives a restart; a late older entry does not overwrite a newer one; expired entries are gone', () => {
  const dir = tmp()
  const { log } = NotificationLog.open(dir)
  log.record('r/webhook/0', 'g', { at: 10, firing: new Set(['f1']), resolved: new Set() }, 100)
  assert.equal(log.record('r/webhook/0', 'g', { at: 5, firing: new Set(['old']), resolved: new Set() }, 100), false)
  log.close()
  const again = NotificationLog.open(dir).log
  assert.deepEqual(again.get('r/webhook/0', 'g', 50), { at: 10, firing: new Set(['f1']), resolved: new Set() })
  assert.equal(again.get('r/webhook/0', 'g', 100), undefined)
  again.close()
})

test('silences: created, updated in place or replaced, expired, and kept across a restart', () => {
  const dir = tmp()
  const { store } = SilenceStore.open(dir)
  const matchers = [{ name: 'alertname', value: 'A', isRegex: false }]
  const id = store.upsert({ matchers, startsAt: 0, endsAt: 1000, createdBy: 't', comment: 'c' }, 10)
  assert.deepEqual(store.mutedBy({ alertname: 'A' }, 20), [id])
  assert.equal(store.get(id)?.startsAt, 10, 'a start in the past moves to now')
  // Same matchers, longer: updated in place. Other matchers: the old one expires, a new id.
  assert.equal(store.upsert({ id, matchers, startsAt: 10, endsAt: 2000, createdBy: 't', comment: 'longer' }, 20), id)
  const replaced = store.upsert({ id, matchers: [{ name: 'alertname', value: 'B', isRegex: false }], startsAt: 20, endsAt: 2000, createdBy: 't', comment: 'other' }, 30)
  assert.notEqual(replaced, id)
  assert.deepEqual(store.mutedBy({ alertname: 'A' }, 40), [])
  assert.throws(() => store.upsert({ matchers: [{ name: 'x', value: '.*', isRegex: true }], startsAt: 0, endsAt: 100, createdBy: '', comment: '' }, 0), /match the empty string/)
  store.expire(replaced, 50)
  store.close()
  const again = SilenceStore.open(dir).store
  assert.deepEqual(again.list().map(s => [s.comment, s.endsAt]).sort(), [['longer', 30], ['other', 50]])
  assert.throws(() => again.expire(replaced, 60), /already expired/)
  again.close()
})

const alert = (fingerprint: string, endsAt: number): Alert => ({ fingerprint, labels: { alertname: fingerprint }, annotations: {}, startsAt: 0, endsAt, generatorURL: '', updatedAt: 0, timeout: false })

test('alert store: committed alerts are read back by a second open without a close (as after kill -9); drops stick; bad records are skipped', () => {
  const dir = tmp()
  const { store } = AlertStore.open(dir)
  store.put({ alert: alert('a', 100), seenAt: 5, limited: false })
  store.put({ alert: alert('b', 100), seenAt: 1, limited: true })
  store.put({ alert: alert('a', 200), seenAt: 5, limited: false })
  assert.equal(store.get('a')?.alert.endsAt, 200, 'a staged change is visible at once')
  store.commit()
  store.put({ alert: alert('c', 100), seenAt: 9, limited: false })
  // Not committed: the request was not answered, so nothing is owed.
  fs.appendFileSync(path.join(dir, 'alerts.jsonl'), '{"op":"put"}\n')
  const seen = AlertStore.open(dir).store
  assert.deepEqual(seen.list().map(s => [s.alert.fingerprint, s.alert.endsAt, s.seenAt, s.limited]), [['b', 100, 1, true], ['a', 200, 5, false]])
  assert.deepEqual([...seen.held()].map(a => a.fingerprint), ['a'])
  seen.drop(['a'])
  seen.close()
  store.close()
  const third = AlertStore.open(dir).store
  assert.deepEqual(third.list().map(s => s.alert.fingerprint), ['b'])
  third.close()
})
