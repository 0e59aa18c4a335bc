// Thousands of partitions: file descriptors stay under --max-open-files however many partitions
// exist, CreateTopics beyond the limits is refused with Kafka's codes and a message naming the
// flag, a restart brings back every topic, and a damaged or half-created topic directory on disk
// is reported without stopping the broker. A creation that runs out of inodes (a real tmpfs)
// answers an error and leaves nothing behind.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import { BrokerProcess, run, tempDir } from './helpers/processes.js'
import { RawClient } from './helpers/raw-client.js'
import { waitFor } from './helpers/wait.js'

const MAX_OPEN_FILES = 64
// Descriptors a broker holds besides segment files: stdio, the event loop, the listener and a
// few client sockets, the offsets file. Measured around 30; generous.
const OTHER_FDS = 60

const openFds = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length

/** [topic, error type] of each topic a createTopics call refused. */
async function createTopics (admin: Admin, topics: { topic: string, numPartitions: number }[]): Promise<[string, string][]> {
  try {
    await admin.createTopics({ topics, timeout: 60_000 })
    return []
  } catch (err) {
    const errors = (err as { errors?: { topic: string, type: string }[] }).errors
    if (errors === undefined) throw err
    return errors.map(e => [e.topic, e.type])
  }
}

/** The broker's error message for each topic (kafkajs keeps only the code), from a validate-only CreateTopics. */
async function creationMessages (port: number, topics: { name: string, numPartitions: number }[]): Promise<(string | null)[]> {
  const c = await RawClient.connect(port)
  try {
    const res = await c.request(19, 5, { topics: topics.map(t => ({ ...t, replicationFactor: -1, assignments: [], configs: [] })), timeoutMs: 1000, validateOnly: true })
    return res.topics.map((t: { errorMessage: string | null }) => t.errorMessage)
  } finally {
    c.close()
  }
}

async function highWatermarks (admin: Admin, topic: string): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topic)
  return offsets.sort((a, b) => a.partition - b.partition).map(o => Number(o.high))
}

test('8,000 partitions with --max-open-files 64: descriptors stay bounded, limits refused by code, restart brings every topic back, damaged directories are skipped', async () => {
  const dataDir = tempDir()
  const flags = ['--max-open-files', String(MAX_OPEN_FILES), '--max-partitions-per-topic', '3000', '--max-partitions-per-request', '3000', '--max-partitions', '8000']
  let broker = await BrokerProcess.start(dataDir, flags)
  try {
    let kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'many', logLevel: logLevel.NOTHING, retry: { retries: 2 } })
    let admin = kafka.admin()
    await admin.connect()
    const [wide, request] = await creationMessages(broker.port, [{ name: 'too-wide', numPartitions: 3001 }, { name: 'r', numPartitions: 2000 }, { name: 'r2', numPartitions: 1001 }]).then(m => [m[0], m[2]])
    assert.match(wide!, /3001 partitions exceed the limit of 3000 per topic \(raise it with --max-partitions-per-topic\)/)
    assert.match(request!, /3001 partitions in all, over the limit of 3000 per CreateTopics request \(raise it with --max-partitions-per-request\)/)
    assert.deepEqual(await createTopics(admin, [{ topic: 'many-a', numPartitions: 3000 }]), [])
    assert.deepEqual(await createTopics(admin, [{ topic: 'many-b', numPartitions: 3000 }]), [])
    assert.ok(openFds(broker.child.pid!) <= MAX_OPEN_FILES + OTHER_FDS, `descriptors after creating 6000 partitions: ${openFds(broker.child.pid!)}`)

    assert.deepEqual(await createTopics(admin, [{ topic: 'too-wide', numPartitions: 3001 }]), [['too-wide', 'INVALID_PARTITIONS']])
    const perRequest = await createTopics(admin, [{ topic: 'req-1', numPartitions: 2000 }, { topic: 'req-2', numPartitions: 1500 }])
    assert.deepEqual(perRequest, [['req-2', 'POLICY_VIOLATION']], 'the first topic fits the request limit, the second does not')
    assert.deepEqual(await createTopics(admin, [{ topic: 'one-more', numPartitions: 1 }]), [['one-more', 'POLICY_VIOLATION']], 'the broker holds its limit of 8000')
    assert.match((await creationMessages(broker.port, [{ name: 'one-more', numPartitions: 1 }]))[0]!, /8001 on this broker, over its limit of 8000 \(raise it with --max-partitions\)/)
    assert.deepEqual((await admin.listTopics()).sort(), ['many-a', 'many-b', 'req-1'])

    // One record in each of the 3000 partitions of many-a, and all of them read back.
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    await producer.send({ topic: 'many-a', acks: -1, messages: Array.from({ length: 3000 }, (_, p) => ({ partition: p, value: `m-${p}` })) })
    await producer.disconnect()
    assert.deepEqual(await highWatermarks(admin, 'many-a'), Array(3000).fill(1))
    const consumed = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'many-a', '-e', '-q', '-f', '%p %s\\n'], { timeoutMs: 180_000 })
    assert.equal(consumed.code, 0, consumed.stderr)
    const lines = consumed.stdout.split('\n').filter(l => l !== '')
    assert.equal(lines.length, 3000)
    assert.ok(lines.every(l => { const [p, v] = l.split(' '); return v === `m-${p}` }))
    assert.ok(openFds(broker.child.pid!) <= MAX_OPEN_FILES + OTHER_FDS, `descriptors after producing to and reading 3000 partitions: ${openFds(broker.child.pid!)}`)
    await admin.disconnect()

    // Stop; plant a creation that never finished and a topic whose topic.json is damaged.
    await broker.stop('SIGTERM')
    const topics = path.join(dataDir, 'topics')
    for (const p of ['0', '1']) fs.mkdirSync(path.join(topics, 'half', p), { recursive: true })
    fs.mkdirSync(path.join(topics, 'damaged', '0'), { recursive: true })
    fs.writeFileSync(path.join(topics, 'damaged', 'topic.json'), '{"name": "damaged", "topicId": ')
    fs.writeFileSync(path.join(topics, 'damaged', '0', '00000000000000000000.log'), 'precious bytes')

    broker = await BrokerProcess.start(dataDir, flags)
    const restarted = broker
    await waitFor(() => restarted.stderr.includes('broker listening'), { what: 'the start-up log' })
    assert.match(broker.stderr, /cannot load topic 'damaged': topic.json is not valid JSON/)
    assert.match(broker.stderr, /interrupted creation/)
    assert.equal(fs.existsSync(path.join(topics, 'half')), false, 'the unfinished creation was removed')
    assert.equal(fs.readFileSync(path.join(topics, 'damaged', '0', '00000000000000000000.log'), 'utf8'), 'precious bytes', 'damaged data is left alone')
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'many-again', logLevel: logLevel.NOTHING, retry: { retries: 2 } })
    admin = kafka.admin()
    await admin.connect()
    assert.deepEqual((await admin.listTopics()).sort(), ['many-a', 'many-b', 'req-1'])
    assert.deepEqual(await highWatermarks(admin, 'many-a'), Array(3000).fill(1))
    assert.equal((await highWatermarks(admin, 'many-b')).length, 3000)
    assert.deepEqual(await createTopics(admin, [{ topic: 'damaged', numPartitions: 1 }]), [], 'kafkajs takes TOPIC_ALREADY_EXISTS as success')
    assert.match((await creationMessages(broker.port, [{ name: 'damaged', numPartitions: 1 }]))[0]!, /a damaged topic 'damaged' is on disk/)
    assert.ok(!(await admin.listTopics()).includes('damaged'))
    await admin.disconnect()
    assert.ok(openFds(broker.child.pid!) <= MAX_OPEN_FILES + OTHER_FDS, `descriptors after a restart with 8000 partitions: ${openFds(broker.child.pid!)}`)
  } finally {
    await broker.stop('SIGKILL')
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
})

test('a CreateTopics that runs out of inodes on a real tmpfs answers KAFKA_STORAGE_ERROR, leaves no half topic, and the broker restarts with its other topics', async () => {
  const mnt = tempDir('tidewatch-inodes-')
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=50m,nr_inodes=1500', 'tmpfs', mnt], { encoding: 'utf8' })
  if (mounted.status !== 0) throw new Error(`this test needs 'mount -t tmpfs' (as root, where mounting is permitted), which failed: ${mounted.error?.message ?? mounted.stderr.trim()}`)
  const dataDir = path.join(mnt, 'data')
  let broker: BrokerProcess | undefined
  try {
    broker = await BrokerProcess.start(dataDir)
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'inodes', logLevel: logLevel.NOTHING, retry: { retries: 0 } })
    const admin = kafka.admin()
    await admin.connect()
    assert.deepEqual(await createTopics(admin, [{ topic: 'small', numPartitions: 4 }]), [])
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    await producer.send({ topic: 'small', acks: -1, messages: [0, 1, 2, 3].map(p => ({ partition: p, value: `s-${p}` })) })
    // Two inodes per partition (directory, log file): 2000 partitions cannot fit in 1500.
    assert.deepEqual(await createTopics(admin, [{ topic: 'huge', numPartitions: 2000 }]), [['huge', 'KAFKA_STORAGE_ERROR']])
    const b = broker
    await waitFor(() => b.stderr.includes('topic creation failed; nothing of it was kept'), { what: 'the broker to log the failed creation' })
    assert.equal(fs.existsSync(path.join(dataDir, 'topics', 'huge')), false, 'nothing of the failed topic is left')
    assert.deepEqual(await admin.listTopics(), ['small'])
    // The inodes are back: a smaller topic can be created, and the broker keeps serving.
    assert.deepEqual(await createTopics(admin, [{ topic: 'after', numPartitions: 10 }]), [])
    await producer.send({ topic: 'after', acks: -1, messages: [{ partition: 3, value: 'a' }] })
    await producer.disconnect()
    await admin.disconnect()

    broker.child.kill('SIGKILL')
    await broker.exited
    broker = await BrokerProcess.start(dataDir)
    const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'small', '-e', '-q', '-f', '%p %s\\n'])
    assert.deepEqual(r.stdout.split('\n').filter(l => l !== '').sort(), ['0 s-0', '1 s-1', '2 s-2', '3 s-3'])
    const after = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'after', '-e', '-q'])
    assert.equal(after.stdout, 'a\n')
  } finally {
    await broker?.stop('SIGKILL')
    spawnSync('umount', ['-l', mnt])
    fs.rmSync(mnt, { recursive: true, force: true })
  }
})
