import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deliveryStatus, type DeliverySource } from './status.js'

function source (over: Partial<DeliverySource> = {}): DeliverySource {
  return {
    pendingNotifications: 0,
    deliveries: [],
    groups: () => [{
      routePath: '{}',
      receiver: 'team',
      groupKey: '{}:{alertname="404 Request"}',
      groupLabels: { alertname: '404 Request' },
      alerts: [{ fingerprint: 'f1' }, { fingerprint: 'f2' }],
      createdAt: 0,
      lastFlushAt: 5000
    }],
    config: { receivers: new Map([['team', { name: 'team', integrations: [{ type: 'webhook', index: 0 }, { type: 'slack', index: 0 }] }]]) },
    ...over
  } as unknown as DeliverySource
}

test('each integration of a group shows its newest outcome for that group', () => {
  const status = deliveryStatus(source({
    deliveries: [
      { at: 1000, integration: 'team/webhook/0', groupKey: '{}:{alertname="404 Request"}', outcome: 'failed', attempts: 1, reason: 'HTTP 400' },
      { at: 2000, integration: 'team/webhook/0', groupKey: '{}:{alertname="404 Request"}', outcome: 'delivered', attempts: 3 },
      { at: 3000, integration: 'team/slack/0', groupKey: 'another group', outcome: 'delivered', attempts: 1 }
    ]
  }))
  assert.equal(status.groups.length, 1)
  const [g] = status.groups
  assert.deepEqual(g.fingerprints, ['f1', 'f2'])
  assert.equal(g.lastFlushAt, new Date(5000).toISOString())
  assert.deepEqual(g.integrations, [
    { integration: 'team/webhook/0', last: { at: new Date(2000).toISOString(), outcome: 'delivered', attempts: 3, reason: null } },
    { integration: 'team/slack/0', last: null }
  ])
})

test('a receiver without integrations, and a group not flushed yet', () => {
  const status = deliveryStatus(source({
    pendingNotifications: 2,
    groups: () => [{ routePath: '{}', receiver: 'console', groupKey: 'k', groupLabels: {}, alerts: [], createdAt: 0 }],
    config: { receivers: new Map([['console', { name: 'console', integrations: [] }]]) } as unknown as DeliverySource['config']
  }))
  assert.equal(status.pending, 2)
  assert.deepEqual(status.groups[0].integrations, [])
  assert.equal(status.groups[0].lastFlushAt, null)
})
