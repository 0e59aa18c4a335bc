import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { GroupCoordinator, type JoinRequest } from './coordinator.js'
import { selectProtocol } from './protocol-selection.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { ManualClock } from '../../shared/clock.js'
import { silentLogger } from '../../shared/logger.js'

function setup (): { c: GroupCoordinator, clock: ManualClock, dir: string, reopen: () => GroupCoordinator, done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-groups-'))
  const clock = new ManualClock()
  const open = (): GroupCoordinator => GroupCoordinator.open({ dataDir: dir, logger: silentLogger(), clock })
  const c = open()
  return { c, clock, dir, reopen: open, done: () => fs.rmSync(dir, { recursive: true, force: true }) }
}

const join = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId: 'g', memberId: '', groupInstanceId: null, clientId: 'client', clientHost: '127.0.0.1',
  sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 5_000, protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('m') }], requireKnownMemberId: false, ...over
})

test('protocol selection: the common protocol most members prefer', () => {
  const rdkafka = { protocols: [{ name: 'range' }, { name: 'roundrobin' }] }
  const platformatic = { protocols: [{ name: 'roundrobin' }] }
  const kafkajs = { protocols: [{ name: 'RoundRobinAssigner' }] }
  assert.equal(selectProtocol([rdkafka, rdkafka]), 'range')
  assert.equal(selectProtocol([rdkafka, platformatic]), 'roundrobin')
  assert.equal(selectProtocol([rdkafka, kafkajs]), null)
})

test('one member: MEMBER_ID_REQUIRED, join, sync, heartbeat, stable', async () => {
  const { c, done } = setup()
  try {
    const first = await c.join(join({ requireKnownMemberId: true }))
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    assert.match(first.memberId, /^client-/)
    const joined = await c.join(join({ memberId: first.memberId, requireKnownMemberId: true }))
    assert.deepEqual([joined.errorCode, joined.generationId, joined.leader, joined.protocolName], [0, 1, first.memberId, 'range'])
    assert.equal(joined.members.length, 1, 'the leader sees every member')
    const synced = await c.sync({ groupId: 'g', generationId: 1, memberId: joined.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('all') }] })
    assert.equal(synced.assignment.toString(), 'all')
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 1, memberId: joined.memberId, groupInstanceId: null }), ErrorCode.NONE)
    assert.equal(c.describe(['g'])[0].state, 'Stable')
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 0, memberId: joined.memberId, groupInstanceId: null }), ErrorCode.ILLEGAL_GENERATION)
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 1, memberId: 'nobody', groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID)
  } finally { c.close(); done() }
})

test('a second member triggers a rebalance; followers wait for the leader\'s assignment', async () => {
  const { c, done } = setup()
  try {
    const a = await c.join(join())
    await c.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
    const bJoin = c.join(join({ clientId: 'b' }))
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS)
    const aJoin = c.join(join({ memberId: a.memberId }))
    const [a2, b2] = await Promise.all([aJoin, bJoin])
    assert.equal(a2.generationId, 2)
    assert.equal(a2.leader, a.memberId, 'the leader stays the leader')
    assert.equal(a2.members.length, 2)
    assert.equal(b2.members.length, 0)
    let followerDone = false
    const bSync = c.sync({ groupId: 'g', generationId: 2, memberId: b2.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] })
      .then(r => { followerDone = true; return r })
    await Promise.resolve()
    assert.equal(followerDone, false, 'the follower waits for the leader')
    await c.sync({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }, { memberId: b2.memberId, assignment: Buffer.from('B') }] })
    assert.equal((await bSync).assignment.toString(), 'B')
    const kafkajs = await c.join(join({ protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }] }))
    assert.equal(kafkajs.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  } finally { c.close(); done() }
})

test('session expiry and leaving remove members; a member that does not rejoin is dropped after the rebalance timeout', async () => {
  const { c, clock, done } = setup()
  try {
    const a = await c.join(join())
    await c.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
    const bPending = c.join(join({ clientId: 'b' }))
    clock.advance(5_000) // rebalance timeout: a never rejoined
    const b = await bPending
    assert.equal(b.generationId, 2)
    assert.deepEqual(c.describe(['g'])[0].members.map(m => m.memberId), [b.memberId])
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID)
    await c.sync({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
    clock.advance(9_999)
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId, groupInstanceId: null }), ErrorCode.NONE)
    clock.advance(10_001)
    assert.equal(c.describe(['g'])[0].state, 'Empty', 'session expired')
    const d = await c.join(join())
    assert.equal(c.leave('g', [{ memberId: d.memberId, groupInstanceId: null }]).members[0].errorCode, ErrorCode.NONE)
    assert.equal(c.describe(['g'])[0].state, 'Empty')
    assert.equal(c.leave('g', [{ memberId: d.memberId, groupInstanceId: null }]).members[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  } finally { c.close(); done() }
})

test('offsets: member commits are checked, standalone commits allowed when empty, all-topic fetch, and they survive restarts and torn lines', async () => {
  const { c, dir, reopen, done } = setup()
  let current = c
  try {
    assert.equal(c.commitOffsets({ groupId: 'solo', generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: 'meta' }] })[0].errorCode, ErrorCode.NONE)
    const a = await c.join(join())
    const commit = (generationId: number, memberId: string): number => c.commitOffsets({ groupId: 'g', generationId, memberId, groupInstanceId: null, offsets: [{ topic: 't', partition: 1, offset: 9, leaderEpoch: -1, metadata: null }] })[0].errorCode
    assert.equal(commit(1, a.memberId), ErrorCode.REBALANCE_IN_PROGRESS, 'not before the group is stable')
    await c.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
    assert.equal(commit(1, a.memberId), ErrorCode.NONE)
    assert.equal(commit(7, a.memberId), ErrorCode.ILLEGAL_GENERATION)
    assert.equal(commit(-1, ''), ErrorCode.UNKNOWN_MEMBER_ID, 'standalone commits are refused while members are active')
    const big = c.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, offsets: [{ topic: 't', partition: 2, offset: 1, leaderEpoch: -1, metadata: 'x'.repeat(5000) }] })
    assert.equal(big[0].errorCode, ErrorCode.OFFSET_METADATA_TOO_LARGE)
    assert.deepEqual(c.fetchOffsets('g', null).topics, [{ topic: 't', partitions: [{ partition: 1, offset: 9, leaderEpoch: -1, metadata: '', errorCode: 0 }] }])
    assert.equal(c.fetchOffsets('g', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].offset, -1)
    c.close()

    fs.appendFileSync(path.join(dir, 'groups', 'offsets.jsonl'), '{"g":"g","t":"t","p":1,"o":99') // torn by a crash
    current = reopen()
    assert.equal(current.fetchOffsets('g', [{ topic: 't', partitions: [1] }]).topics[0].partitions[0].offset, 9)
    assert.equal(current.fetchOffsets('solo', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].metadata, 'meta')
    assert.deepEqual(current.list().map(g => g.groupId), ['g', 'solo'])
    current.deleteTopicOffsets('t')
    assert.deepEqual(current.fetchOffsets('g', null).topics, [])
  } finally { current.close(); done() }
})

test('initial rebalance delay: the first join waits, again while members keep arriving, never past the rebalance timeout', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-groups-'))
  const clock = new ManualClock()
  const c = GroupCoordinator.open({ dataDir: dir, logger: silentLogger(), clock, initialRebalanceDelayMs: 1000 })
  try {
    let done = 0
    const a = c.join(join({ clientId: 'a', rebalanceTimeoutMs: 2500 })).then(r => { done++; return r })
    clock.advance(900)
    const b = c.join(join({ clientId: 'b', rebalanceTimeoutMs: 2500 })).then(r => { done++; return r })
    clock.advance(100) // the first delay ends; b arrived meanwhile, so it is extended
    await Promise.resolve()
    assert.equal(done, 0, 'still waiting: a member arrived during the delay')
    const late = c.join(join({ clientId: 'late', rebalanceTimeoutMs: 2500 }))
    clock.advance(1000) // second delay ends; late arrived meanwhile, but only 500 ms of the timeout are left
    await Promise.resolve()
    assert.equal(done, 0)
    clock.advance(500)
    const [ra, rb, rl] = await Promise.all([a, b, late])
    assert.deepEqual([ra.generationId, rb.generationId, rl.generationId], [1, 1, 1], 'all three share the first generation')
    assert.equal(ra.members.length + rb.members.length + rl.members.length, 3, 'the leader sees all three')
  } finally { c.close(); fs.rmSync(dir, { recursive: true, force: true }) }
})

test('static members: a rejoin with an empty member id takes over the old member and its assignment without a rebalance; the old id is fenced', async () => {
  const { c, done } = setup()
  try {
    const a = await c.join(join({ groupInstanceId: 'ia', clientId: 'a', requireKnownMemberId: true }))
    assert.equal(a.errorCode, ErrorCode.NONE, 'a static member needs no MEMBER_ID_REQUIRED round trip')
    await c.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: 'ia', protocolType: null, protocolName: null, assignments: [{ memberId: a.memberId, assignment: Buffer.from('A') }] })
    const again = await c.join(join({ groupInstanceId: 'ia', clientId: 'a2' }))
    assert.equal(again.errorCode, ErrorCode.NONE)
    assert.equal(again.generationId, 1, 'same generation: no rebalance')
    assert.notEqual(again.memberId, a.memberId)
    assert.equal(again.leader, a.memberId, 'told the old leader id, so it does not compute an assignment')
    assert.equal(c.describe(['g'])[0].state, 'Stable')
    const synced = await c.sync({ groupId: 'g', generationId: 1, memberId: again.memberId, groupInstanceId: 'ia', protocolType: null, protocolName: null, assignments: [] })
    assert.equal(synced.assignment.toString(), 'A', 'the assignment is kept')
    assert.equal(c.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: 'ia' }), ErrorCode.FENCED_INSTANCE_ID)
    assert.equal(c.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: 'ia', offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] })[0].errorCode, ErrorCode.FENCED_INSTANCE_ID)
    assert.equal(c.leave('g', [{ memberId: a.memberId, groupInstanceId: 'ia' }]).members[0].errorCode, ErrorCode.FENCED_INSTANCE_ID)
    assert.equal(c.leave('g', [{ memberId: again.memberId, groupInstanceId: 'ia' }]).members[0].errorCode, ErrorCode.NONE)
    assert.equal(c.describe(['g'])[0].state, 'Empty')
  } finally { c.close(); done() }
})

test('commits: accepted from a current member while the group prepares a rebalance, refused between JoinGroup and SyncGroup', async () => {
  const { c, done } = setup()
  try {
    const a = await c.join(join())
    const commit = (generationId: number): number => c.commitOffsets({ groupId: 'g', generationId, memberId: a.memberId, groupInstanceId: null, offsets: [{ topic: 't', partition: 0, offset: 3, leaderEpoch: 4, metadata: null }] })[0].errorCode
    assert.equal(commit(1), ErrorCode.REBALANCE_IN_PROGRESS, 'CompletingRebalance: it does not know what it owns yet')
    await c.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })
    const b = c.join(join({ clientId: 'b' }))
    assert.equal(c.describe(['g'])[0].state, 'PreparingRebalance')
    assert.equal(commit(1), ErrorCode.NONE, 'PreparingRebalance: a still owns its partitions')
    assert.equal(c.fetchOffsets('g', [{ topic: 't', partitions: [0] }]).topics[0].partitions[0].leaderEpoch, 4)
    void c.join(join({ memberId: a.memberId }))
    await b
  } finally { c.close(); done() }
})
