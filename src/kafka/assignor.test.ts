import { test } from 'node:test'
import assert from 'node:assert/strict'
import { assignRoundRobin, decodeAssignment, decodeSubscriptionTopics, encodeAssignment, encodeSubscription } from './assignor.js'
import { commitDecision } from './decisions.js'

test('round robin gives every partition to exactly one subscribed member, evenly, whatever order the members come in', () => {
  const members = ['m-c', 'm-a', 'm-b'].map(memberId => ({ memberId, topics: ['logs'] }))
  const split = assignRoundRobin(members, new Map([['logs', 10]]))
  const again = assignRoundRobin([...members].reverse(), new Map([['logs', 10]]))
  assert.deepEqual([...split], [...again])
  const all = [...split.values()].flatMap(m => m.get('logs') ?? []).sort((a, b) => a - b)
  assert.deepEqual(all, [...Array(10).keys()])
  assert.deepEqual([...split.values()].map(m => m.get('logs')!.length).sort(), [3, 3, 4])
})

test('subscription and assignment bytes round-trip, and an empty assignment of zero bytes reads as none', () => {
  assert.deepEqual(decodeSubscriptionTopics(encodeSubscription(['a', 'b'])), ['a', 'b'])
  assert.deepEqual([...decodeAssignment(encodeAssignment(new Map([['a', [3, 1]], ['b', [0]]])))], [['a', [1, 3]], ['b', [0]]])
  assert.equal(decodeAssignment(Buffer.alloc(0)).size, 0)
})

test('a commit is allowed only for an owned partition, within what was handed out since it was assigned', () => {
  assert.equal(commitDecision(undefined, 5).commit, false)
  assert.equal(commitDecision({ startedAt: 10, handedOutUpTo: 20 }, 9).commit, false)
  assert.equal(commitDecision({ startedAt: 10, handedOutUpTo: 20 }, 21).commit, false)
  assert.equal(commitDecision({ startedAt: 10, handedOutUpTo: 20 }, 15).commit, true)
  assert.equal(commitDecision({ startedAt: 10, handedOutUpTo: 20 }, 20).commit, true)
})
