// The admin APIs tools call, with real admin clients: CreatePartitions and DeleteGroups from
// kafkajs, IncrementalAlterConfigs, OffsetDelete and authorized operations (Metadata v12,
// DescribeCluster, DescribeGroups) from @platformatic/kafka, whose exported protocol APIs are
// used where its Admin does not ask for authorized operations.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import { Admin, Connection, Consumer, Producer, stringDeserializers, stringSerializers, metadataV12, describeClusterV1 } from '@platformatic/kafka'
import { startTempBroker } from './helpers/temp-broker.js'
import type { RunningBroker } from '../src/broker/broker.js'
import { waitFor } from './helpers/wait.js'

let broker: RunningBroker
let kafka: Kafka

/** The broker's decoded response inside @platformatic/kafka's error (MultipleErrors of a ResponseError). */
function brokerResponse (err: Error): any {
  const inner = (err as Error & { errors?: (Error & { response?: unknown })[] }).errors?.[0]
  assert.ok(inner?.response !== undefined, `a response error from the broker, not ${err.message}`)
  return inner.response
}

before(async () => {
  broker = await startTempBroker({ defaultPartitions: 2 })
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'admin-test', logLevel: logLevel.NOTHING, retry: { retries: 2 } })
})
after(async () => { await broker.close() })

test('CreatePartitions (kafkajs): a topic grows, new partitions take records; shrinking or keeping the count is INVALID_PARTITIONS', async () => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.createTopics({ topics: [{ topic: 'admin-grow', numPartitions: 2 }] })
    await admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count: 5 }] })
    const [meta] = (await admin.fetchTopicMetadata({ topics: ['admin-grow'] })).topics
    assert.equal(meta.partitions.length, 5)
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: 'admin-grow', messages: [{ value: 'on a new partition', partition: 4 }] })
    await producer.disconnect()
    assert.equal((await admin.fetchTopicOffsets('admin-grow')).find(p => p.partition === 4)?.high, '1')
    for (const count of [3, 5]) {
      await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count }] }),
        (err: Error & { type?: string }) => err.type === 'INVALID_PARTITIONS' || /INVALID_PARTITIONS|partitions/i.test(String((err as any).cause ?? err.message)))
    }
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'admin-no-such-topic', count: 3 }] }))
    assert.equal(broker.core.logs.getTopic('admin-grow')!.partitions.length, 5, 'refused requests changed nothing')
  } finally {
    await admin.disconnect()
  }
})

test('DeleteGroups (kafkajs): an empty group is deleted with its offsets; one with members is NON_EMPTY_GROUP; an unknown one GROUP_ID_NOT_FOUND', async () => {
  const admin = kafka.admin()
  await admin.connect()
  const consumer = kafka.consumer({ groupId: 'admin-live', maxWaitTimeInMs: 100 })
  try {
    await admin.createTopics({ topics: [{ topic: 'admin-groups', numPartitions: 1 }] })
    await admin.setOffsets({ groupId: 'admin-done', topic: 'admin-groups', partitions: [{ partition: 0, offset: '0' }] })
    await consumer.connect()
    await consumer.subscribe({ topic: 'admin-groups' })
    await consumer.run({ eachMessage: async () => {} })
    await waitFor(async () => (await admin.describeGroups(['admin-live'])).groups[0].state === 'Stable', { what: 'the live group to be stable', timeoutMs: 60_000 })

    assert.deepEqual(await admin.deleteGroups(['admin-done']), [{ groupId: 'admin-done', errorCode: 0 }])
    assert.ok(!(await admin.listGroups()).groups.some(g => g.groupId === 'admin-done'), 'gone from ListGroups')
    assert.equal(broker.core.groups.fetchOffsets('admin-done', null).topics.length, 0, 'its committed offsets are gone')
    await assert.rejects(admin.deleteGroups(['admin-live', 'admin-never']), (err: Error & { groups?: { groupId: string, error: { type: string } }[] }) => {
      const types = Object.fromEntries((err.groups ?? []).map(g => [g.groupId, g.error.type]))
      assert.deepEqual(types, { 'admin-live': 'NON_EMPTY_GROUP', 'admin-never': 'GROUP_ID_NOT_FOUND' })
      return true
    })
  } finally {
    await consumer.disconnect()
    await admin.disconnect()
  }
})

test('IncrementalAlterConfigs (@platformatic/kafka): SET, APPEND and SUBTRACT on a list, DELETE back to the default; APPEND on a scalar is INVALID_CONFIG', async () => {
  const admin = new Admin({ clientId: 'incr-admin', bootstrapBrokers: [broker.bootstrap] })
  try {
    await admin.createTopics({ topics: ['admin-incr'], partitions: 1, configs: [{ name: 'retention.ms', value: '3600000' }] })
    const configs = async (): Promise<Record<string, string>> => {
      const [d] = await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'admin-incr' }] })
      return Object.fromEntries(d.configs.map(c => [c.name, c.value ?? '']))
    }
    const alter = (configs: { name: string, configOperation: number, value?: string }[]): Promise<void> =>
      admin.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: 'admin-incr', configs }] } as any)
    await alter([{ name: 'leader.replication.throttled.replicas', configOperation: 0, value: '0:1' }, { name: 'retention.ms', configOperation: 1 }])
    await alter([{ name: 'leader.replication.throttled.replicas', configOperation: 2, value: '1:1' }])
    let now = await configs()
    assert.equal(now['leader.replication.throttled.replicas'], '0:1,1:1', 'APPEND adds to the list')
    assert.equal(now['retention.ms'], '604800000', 'DELETE returns to the default')
    await alter([{ name: 'leader.replication.throttled.replicas', configOperation: 3, value: '0:1' }, { name: 'message.timestamp.type', configOperation: 0, value: 'LogAppendTime' }])
    now = await configs()
    assert.equal(now['leader.replication.throttled.replicas'], '1:1', 'SUBTRACT removes from the list')
    assert.equal(broker.core.logs.getTopic('admin-incr')!.partitions[0].config.logAppendTime, true, 'SET applies')
    await assert.rejects(alter([{ name: 'retention.ms', configOperation: 2, value: '5' }]), (err: Error) => {
      const [refused] = brokerResponse(err).responses
      assert.equal(refused.errorCode, 40, 'INVALID_CONFIG')
      assert.match(refused.errorMessage, /retention\.ms is not a list/)
      return true
    })
  } finally {
    await admin.close()
  }
})

test('IncrementalAlterConfigs on the broker (@platformatic/kafka, as librdkafka\'s 0081): SET and DELETE a setting, APPEND and SUBTRACT compact on log.cleanup.policy, which new topics then get', async () => {
  const admin = new Admin({ clientId: 'incr-broker-admin', bootstrapBrokers: [broker.bootstrap] })
  try {
    const alter = (configs: { name: string, configOperation: number, value?: string }[]): Promise<void> =>
      admin.incrementalAlterConfigs({ resources: [{ resourceType: 4, resourceName: '1', configs }] } as any)
    await alter([{ name: 'background.threads', configOperation: 0, value: '9' }, { name: 'log.cleanup.policy', configOperation: 2, value: 'compact' }])
    assert.deepEqual(broker.core.brokerConfigs.configs, { 'background.threads': '9', 'log.cleanup.policy': 'delete,compact' }, 'APPEND starts from the default, delete')
    await admin.createTopics({ topics: ['admin-dyn-default'], partitions: 1 })
    assert.equal(broker.core.logs.getTopic('admin-dyn-default')!.partitions[0].config.cleanupCompact, true, 'a new topic takes the dynamic default')
    await alter([{ name: 'background.threads', configOperation: 1 }, { name: 'log.cleanup.policy', configOperation: 3, value: 'compact' }])
    assert.deepEqual(broker.core.brokerConfigs.configs, { 'log.cleanup.policy': 'delete' })
    assert.equal(broker.core.logs.getTopic('admin-dyn-default')!.partitions[0].config.cleanupCompact, false, 'and follows it back')
    await assert.rejects(alter([{ name: 'auto.create.topics.enable', configOperation: 0, value: 'false' }]), (err: Error) => {
      const [refused] = brokerResponse(err).responses
      assert.equal(refused.errorCode, 42, 'INVALID_REQUEST')
      assert.match(refused.errorMessage, /auto\.create\.topics\.enable cannot be changed at run time here/)
      return true
    })
  } finally {
    await alter0(admin)
    await admin.close()
  }
})

/** Leaves no dynamic broker config behind for the tests after it. */
async function alter0 (admin: Admin): Promise<void> {
  await admin.alterConfigs({ resources: [{ resourceType: 4, resourceName: '1', configs: [] }] } as any).catch(() => {})
}

test('OffsetDelete (@platformatic/kafka): offsets of a topic no member subscribes to are deleted; a subscribed topic is GROUP_SUBSCRIBED_TO_TOPIC', async () => {
  const admin = new Admin({ clientId: 'offdel-admin', bootstrapBrokers: [broker.bootstrap] })
  const producer = new Producer({ clientId: 'offdel-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, autocreateTopics: true })
  const consumer = new Consumer({ groupId: 'offdel-group', clientId: 'offdel-consumer', bootstrapBrokers: [broker.bootstrap], deserializers: stringDeserializers, maxWaitTime: 200 })
  try {
    await producer.send({ messages: [{ topic: 'offdel-live', value: 'a', partition: 0 }, { topic: 'offdel-old', value: 'b', partition: 0 }] })
    await admin.alterConsumerGroupOffsets({ groupId: 'offdel-group', topics: [{ name: 'offdel-old', partitionOffsets: [{ partition: 0, offset: 1n }] }] })
    const stream = await consumer.consume({ topics: ['offdel-live'], mode: 'earliest', autocommit: false } as any)
    stream.on('data', () => {})
    await waitFor(() => consumer.assignments !== null && consumer.assignments.length > 0, { what: 'the consumer to be assigned', timeoutMs: 60_000 })
    await consumer.commit({ offsets: [{ topic: 'offdel-live', partition: 0, offset: 1n, leaderEpoch: -1 }] })

    await admin.deleteConsumerGroupOffsets({ groupId: 'offdel-group', topics: [{ name: 'offdel-old', partitionIndexes: [0] }] })
    await assert.rejects(admin.deleteConsumerGroupOffsets({ groupId: 'offdel-group', topics: [{ name: 'offdel-live', partitionIndexes: [0] }] }), (err: Error) => {
      assert.equal(brokerResponse(err).topics[0].partitions[0].errorCode, 86, 'GROUP_SUBSCRIBED_TO_TOPIC')
      return true
    })
    const [group] = await admin.listConsumerGroupOffsets({ groups: ['offdel-group'] })
    assert.deepEqual(group.topics.map(t => t.name).sort(), ['offdel-live'], 'only the subscribed topic\'s offset is left')
    await stream.close()
  } finally {
    await consumer.close(true)
    await producer.close()
    await admin.close()
  }
})

test('authorized operations without an authorizer: everything a topic, the cluster and a group support, when asked; unknown otherwise', async () => {
  const TOPIC_OPS = ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS']
  const CLUSTER_OPS = ['CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE']
  // Kafka's AclOperation codes: the bit set is 1 << code per operation.
  const code: Record<string, number> = { READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12 }
  const ops = (bits: number): string[] => Object.keys(code).filter(name => (bits & (1 << code[name])) !== 0).sort()
  const connection = new Connection('ops-test')
  const admin = new Admin({ clientId: 'ops-admin', bootstrapBrokers: [broker.bootstrap] })
  try {
    await connection.connect('127.0.0.1', broker.port)
    await admin.createTopics({ topics: ['ops-topic'], partitions: 1 })
    const asked = await metadataV12.api.async(connection, ['ops-topic'], false, true)
    assert.deepEqual(ops(asked.topics[0].topicAuthorizedOperations), [...TOPIC_OPS].sort())
    const notAsked = await metadataV12.api.async(connection, ['ops-topic'], false, false)
    assert.equal(notAsked.topics[0].topicAuthorizedOperations, -2147483648)
    const cluster = await describeClusterV1.api.async(connection, true, 1)
    assert.deepEqual(ops(cluster.clusterAuthorizedOperations), [...CLUSTER_OPS].sort())
    assert.equal(cluster.brokers[0].port, broker.port)
    await admin.alterConsumerGroupOffsets({ groupId: 'ops-group', topics: [{ name: 'ops-topic', partitionOffsets: [{ partition: 0, offset: 0n }] }] })
    const groups = await admin.describeGroups({ groups: ['ops-group'], includeAuthorizedOperations: true })
    assert.deepEqual(ops(groups.get('ops-group')!.authorizedOperations), ['DELETE', 'DESCRIBE', 'READ'])
  } finally {
    await connection.close()
    await admin.close()
  }
})
