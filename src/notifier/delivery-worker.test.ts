import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { silentLogger } from '../shared/logger.js'
import { DeliveryWorker } from './delivery-worker.js'
import type { Deliver } from './pipeline/index.js'
import { fakeIntegration, settle } from './pipeline/test-support.js'
import { Outbox, type QueuedNotification } from './store/outbox.js'

function note (groupKey: string): Omit<QueuedNotification, 'id'> {
  return { integration: 'team/webhook/0', receiver: 'team', groupKey, groupLabels: {}, firing: [], resolved: [], reason: 'first notification', log: { at: 0, firing: [], resolved: [] }, logRetentionMs: 1000, queuedAt: 0 }
}

test('delivery worker: a group stuck retrying does not hold up the other groups of the same integration', async () => {
  const outbox = Outbox.open(fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-worker-'))).outbox
  const started: string[] = []
  const deliver: Deliver = async d => {
    started.push(d.n.groupKey)
    if (d.n.groupKey === 'stuck') {
      // Retrying until the notifier closes.
      await new Promise(resolve => d.signal.addEventListener('abort', resolve))
      return { outcome: 'aborted' }
    }
    outbox.done(d.n, 'delivered')
    return { outcome: 'delivered', n: d.n, attempts: 1 }
  }
  const abort = new AbortController()
  const worker = new DeliveryWorker(fakeIntegration(), outbox, deliver, abort.signal, silentLogger())
  outbox.put(note('stuck'))
  outbox.put(note('a'))
  await settle()
  outbox.put(note('b'))
  await settle()
  assert.deepEqual(started, ['stuck', 'a', 'b'])
  assert.deepEqual(outbox.pendingFor('team/webhook/0').map(n => n.groupKey), ['stuck'])
  // A newer notification for the stuck group waits for the delivery under way (which retries with the newest).
  outbox.put(note('stuck'))
  await settle()
  assert.deepEqual(started, ['stuck', 'a', 'b'])
  abort.abort()
  await worker.done
  outbox.close()
})

test('delivery worker: at most maxConcurrentSends requests in flight to one integration', async () => {
  const outbox = Outbox.open(fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-worker-'))).outbox
  let inFlight = 0
  let most = 0
  const release: (() => void)[] = []
  const integration = fakeIntegration({
    send: async () => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise<void>(resolve => release.push(resolve))
      inFlight--
    }
  })
  const deliver: Deliver = async d => {
    await d.integration.send(d.n, { signal: d.signal, externalURL: '' })
    outbox.done(d.n, 'delivered')
    return { outcome: 'delivered', n: d.n, attempts: 1 }
  }
  const abort = new AbortController()
  const worker = new DeliveryWorker(integration, outbox, deliver, abort.signal, silentLogger(), 2)
  for (const g of ['a', 'b', 'c', 'd', 'e']) outbox.put(note(g))
  while (outbox.size > 0) {
    await settle()
    release.shift()?.()
  }
  assert.equal(most, 2)
  abort.abort()
  await worker.done
  outbox.close()
})
