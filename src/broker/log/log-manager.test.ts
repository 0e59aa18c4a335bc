import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LogManager, isValidTopicName } from './log-manager.js'
import { ErrorCode } from '../../protocol/error-codes.js'
import { silentLogger } from '../../shared/logger.js'

test('topic names follow Kafka\'s rules, so no name can escape the data directory', () => {
  for (const ok of ['logs', 'a.b_c-1', 'x'.repeat(249)]) assert.ok(isValidTopicName(ok), ok)
  for (const bad of ['', '.', '..', '../etc', 'a/b', 'a\\b', 'x'.repeat(250), 'sp ace', 'ü']) assert.ok(!isValidTopicName(bad), bad)
})

test('topics, their ids and configs persist; bad configs are refused naming the config; delete removes files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-topics-'))
  try {
    let m = LogManager.open(dir, {}, silentLogger())
    assert.equal(m.createTopic('logs', 3, { 'retention.ms': '60000' }).errorCode, ErrorCode.NONE)
    assert.equal(m.createTopic('logs', 3, {}).errorCode, ErrorCode.TOPIC_ALREADY_EXISTS)
    assert.equal(m.createTopic('../evil', 1, {}).errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION)
    assert.equal(m.createTopic('zero', 0, {}).errorCode, ErrorCode.INVALID_PARTITIONS)
    const unknown = m.createTopic('bad-config', 1, { 'retention.mss': '1' })
    assert.equal(unknown.errorCode, ErrorCode.INVALID_CONFIG)
    assert.match(unknown.errorMessage!, /retention\.mss/)
    const badValue = m.createTopic('bad-value', 1, { 'segment.bytes': 'lots' })
    assert.match(badValue.errorMessage!, /segment\.bytes.*whole number/)
    const id = m.getTopic('logs')!.topicId
    m.close()

    m = LogManager.open(dir, {}, silentLogger())
    const logs = m.getTopic('logs')!
    assert.equal(logs.partitions.length, 3)
    assert.equal(logs.topicId, id)
    assert.equal(m.getTopicById(id)?.name, 'logs')
    const retention = m.describeConfigs('logs').find(c => c.name === 'retention.ms')!
    assert.deepEqual(retention, { name: 'retention.ms', value: '60000', isDefault: false, type: 5 }, 'a LONG (DescribeConfigs type 5)')
    assert.equal(m.describeConfigs('logs').find(c => c.name === 'segment.bytes')!.isDefault, true)
    assert.equal(m.deleteTopic('logs'), ErrorCode.NONE)
    assert.equal(fs.existsSync(path.join(dir, 'topics', 'logs')), false)
    assert.equal(m.deleteTopic('logs'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    m.close()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
