// The coordinator's restart and failure paths, with a manual clock and stand-in partitions that
// record the markers they are asked to write (the real-client tests are in test/).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { TransactionCoordinator } from './coordinator.js'
import { GroupCoordinator } from '../groups/coordinator.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { ManualClock } from '../../shared/clock.js'
import { silentLogger } from '../../shared/logger.js'

interface Marker { topic: string, partition: number, producerId: number, epoch: number, commit: boolean }

function setup (): { open: () => TransactionCoordinator, clock: ManualClock, markers: Marker[], failing: Set<string>, groups: GroupCoordinator, done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-txn-coord-'))
  const clock = new ManualClock()
  const markers: Marker[] = []
  const failing = new Set<string>()
  const groups = GroupCoordinator.open({ dataDir: dir, logger: silentLogger(), clock })
  let nextId = 100
  const open = (): TransactionCoordinator => new TransactionCoordinator({
    dataDir: dir,
    logger: silentLogger(),
    clock,
    nextProducerId: () => nextId++,
    groups,
    partition: (topic, partition) => ({
      appendMarker (producerId, epoch, commit) {
        if (failing.has(topic)) return ErrorCode.KAFKA_STORAGE_ERROR
        markers.push({ topic, partition, producerId, epoch, commit })
        return ErrorCode.NONE
      }
    })
  })
  return { open, clock, markers, failing, groups, done: () => { groups.close(); fs.rmSync(dir, { recursive: true, force: true }) } }
}

const always = (): boolean => true

test('a restart keeps the id\'s producer id and its open transaction: the timeout still aborts it, with the epoch bumped, and the held offsets are dropped (stand-in partitions)', () => {
  const { open, clock, markers, groups, done } = setup()
  try {
    let c = open()
    const { producerId, producerEpoch } = c.initProducerId('t', 10_000, -1, -1, 4)
    assert.deepEqual(c.addPartitions('t', producerId, producerEpoch, [{ topic: 'a', partition: 0 }], always, 3), [ErrorCode.NONE])
    assert.equal(c.addOffsets('t', producerId, producerEpoch, 'g', 3), ErrorCode.NONE)
    assert.equal(c.holdOffsets('t', producerId, producerEpoch, 'g', [{ topic: 'a', partition: 0, offset: 5, leaderEpoch: -1, metadata: null }]), ErrorCode.NONE)
    assert.ok(c.hasHeldOffset('g', 'a', 0))
    c.close()

    c = open()
    assert.equal(c.describe('t')!.producerId, producerId)
    assert.equal(c.describe('t')!.state, 'Ongoing')
    clock.advance(10_001)
    assert.deepEqual(markers, [{ topic: 'a', partition: 0, producerId, epoch: producerEpoch + 1, commit: false }])
    assert.equal(c.describe('t')!.state, 'CompleteAbort')
    assert.equal(c.endTxn('t', producerId, producerEpoch, true, 3), ErrorCode.PRODUCER_FENCED, 'the timed-out producer is fenced')
    assert.equal(groups.fetchOffsets('g', [{ topic: 'a', partitions: [0] }]).topics[0].partitions[0].offset, -1)
    assert.equal(c.initProducerId('t', 10_000, -1, -1, 4).producerId, producerId, 'the same producer id for the id after it all')
    c.close()
  } finally {
    done()
  }
})

test('a marker that cannot be written (storage error) is retried until it is; meanwhile the id answers CONCURRENT_TRANSACTIONS; the commit\'s offsets are applied once (stand-in partitions)', () => {
  const { open, clock, markers, failing, groups, done } = setup()
  try {
    const c = open()
    const { producerId, producerEpoch } = c.initProducerId('t', 60_000, -1, -1, 4)
    c.addPartitions('t', producerId, producerEpoch, [{ topic: 'full', partition: 0 }, { topic: 'ok', partition: 1 }], always, 3)
    c.addOffsets('t', producerId, producerEpoch, 'g', 3)
    c.holdOffsets('t', producerId, producerEpoch, 'g', [{ topic: 'ok', partition: 1, offset: 7, leaderEpoch: -1, metadata: null }])
    failing.add('full')
    assert.equal(c.endTxn('t', producerId, producerEpoch, true, 3), ErrorCode.NONE)
    assert.deepEqual(markers.map(m => m.topic), ['ok'])
    assert.equal(c.describe('t')!.state, 'PrepareCommit')
    assert.equal(c.initProducerId('t', 60_000, -1, -1, 4).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS)
    assert.equal(groups.fetchOffsets('g', [{ topic: 'ok', partitions: [1] }]).topics[0].partitions[0].offset, 7, 'committed with the decision')
    clock.advance(1000)
    assert.deepEqual(markers.map(m => m.topic), ['ok'], 'still failing')
    failing.clear()
    clock.advance(1000)
    assert.deepEqual(markers.map(m => `${m.topic} ${m.commit}`), ['ok true', 'full true'])
    assert.equal(c.describe('t')!.state, 'CompleteCommit')
    assert.equal(c.endTxn('t', producerId, producerEpoch, true, 3), ErrorCode.NONE, 'a retried commit of a committed transaction')
    assert.equal(c.endTxn('t', producerId, producerEpoch, false, 3), ErrorCode.INVALID_TXN_STATE)
    c.close()
  } finally {
    done()
  }
})

test('a decision stored but not marked before a restart is finished by the restarted coordinator (stand-in partitions)', () => {
  const { open, markers, failing, done } = setup()
  try {
    let c = open()
    const { producerId, producerEpoch } = c.initProducerId('t', 60_000, -1, -1, 4)
    c.addPartitions('t', producerId, producerEpoch, [{ topic: 'x', partition: 0 }], always, 3)
    failing.add('x')
    c.endTxn('t', producerId, producerEpoch, false, 3)
    c.close()
    failing.clear()
    c = open()
    assert.deepEqual(markers, [{ topic: 'x', partition: 0, producerId, epoch: producerEpoch, commit: false }])
    assert.equal(c.describe('t')!.state, 'CompleteAbort')
    c.close()
  } finally {
    done()
  }
})
