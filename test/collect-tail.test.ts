// `tidewatch tail` as a user runs it, on generated kubelet log trees, against a real broker;
// what it shipped is read back with kcat.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { startTempBroker } from './helpers/temp-broker.js'
import { tempDir, type LineProcess } from './helpers/processes.js'
import { waitFor } from './helpers/wait.js'
import { CONTAINER_ID, containerLogName, criLine, dockerLine, readTopic, startTail, waitForRecords, writeFile } from './helpers/tail.js'
import type { RunningBroker } from '../src/broker/broker.js'

let broker: RunningBroker
const running: LineProcess[] = []

before(async () => { broker = await startTempBroker({ defaultPartitions: 3 }) })
after(async () => {
  for (const p of running) await p.stop('SIGKILL').catch(() => {})
  await broker.close()
})

async function tail (args: string[]): Promise<LineProcess> {
  const p = await startTail(['--brokers', broker.bootstrap, '--rotate-wait-ms', '300', ...args])
  running.push(p)
  return p
}

test('a /var/log/containers tree: CRI parts of a 40 KiB line, docker json-file, a Java stack trace joined by --multiline java, each labelled from its path', async () => {
  const root = tempDir('tidewatch-tail-tree-')
  const pods = path.join(root, 'pods')
  const containers = path.join(root, 'containers')
  fs.mkdirSync(containers, { recursive: true })
  // containerd: the file under pods/, a symlink under containers/.
  const criFile = path.join(pods, 'shop_web-6f7d8-abcde_11111111-2222-3333-4444-555555555555', 'nginx', '0.log')
  const long = Array.from({ length: 40 * 1024 }, (_, i) => 'abcdefghij'[i % 10]).join('')
  let cri = criLine('GET /index.html 200', { at: 1 })
  for (let i = 0; i < long.length; i += 16384) cri += criLine(long.slice(i, i + 16384), { partial: i + 16384 < long.length, at: 2 })
  cri += criLine('GET /missing 404', { stream: 'stderr', at: 3 })
  writeFile(criFile, cri)
  fs.symlinkSync(criFile, path.join(containers, containerLogName('web-6f7d8-abcde', 'shop', 'nginx')))
  // docker json-file, named as kubelet names it for dockershim.
  const dockerId = 'd'.repeat(64)
  writeFile(path.join(containers, containerLogName('api-1', 'shop', 'api', dockerId)), dockerLine('x'.repeat(16384)) + dockerLine('y'.repeat(100) + '\n') + dockerLine('started\n', 'stderr'))
  const java = ['2024-05-01 12:00:00.123 ERROR [main] c.e.Foo - request failed', 'java.lang.IllegalStateException: boom', '\tat com.example.Foo.bar(Foo.java:42)', 'Caused by: java.io.IOException: disk full', '\t... 1 more']
  writeFile(path.join(containers, containerLogName('billing-0', 'pay', 'app')), [...java, 'next line'].map((l, i) => criLine(l, { at: 10 + i })).join(''))

  await tail(['--topic', 'tree', '--checkpoints', path.join(root, 'cp'), '--multiline', 'java', '--node-name', 'node-7', path.join(containers, '*.log')])
  const records = await waitForRecords(broker.bootstrap, 7, { topic: 'tree' })
  assert.equal(records.length, 7, JSON.stringify(records.map(r => r.doc.log.slice(0, 40))))
  const byLog = (pred: (log: string) => boolean): Record<string, any> => { const r = records.find(x => pred(x.doc.log)); assert.ok(r, 'record missing'); return r.doc }

  const joined = byLog(l => l.length === long.length)
  assert.equal(joined.log, long)
  assert.deepEqual(joined.kubernetes, { pod_name: 'web-6f7d8-abcde', namespace_name: 'shop', container_name: 'nginx', container_id: CONTAINER_ID, host: 'node-7' })
  assert.equal(joined.stream, 'stdout')
  const notFound = byLog(l => l === 'GET /missing 404')
  assert.equal(notFound.stream, 'stderr')
  assert.match(notFound.time, /^2024-05-01T12:00:00\.000000003Z$/)

  const chunks = byLog(l => l.startsWith('xxxx'))
  assert.equal(chunks.log, 'x'.repeat(16384) + 'y'.repeat(100))
  assert.equal(chunks.kubernetes.container_id, dockerId)
  assert.equal(byLog(l => l === 'started').stream, 'stderr')

  assert.equal(byLog(l => l.startsWith('2024-05-01 12:00:00.123 ERROR')).log, java.join('\n'))
  assert.equal(byLog(l => l === 'next line').kubernetes.namespace_name, 'pay')
  // One pod's lines share a partition, in order.
  const web = records.filter(r => r.doc.kubernetes.pod_name === 'web-6f7d8-abcde')
  assert.equal(new Set(web.map(r => r.partition)).size, 1)
  assert.deepEqual(web.map(r => r.doc.log.length), [19, long.length, 16])
})

test('rotation by rename, copytruncate and a retargeted symlink: every line arrives once, the rotated file read to its end, the new one from 0', async () => {
  const root = tempDir('tidewatch-tail-rotate-')
  const dir = path.join(root, 'logs')
  const renamed = path.join(dir, containerLogName('rename-0', 'rot', 'app'))
  const truncated = path.join(dir, containerLogName('copytrunc-0', 'rot', 'app'))
  const podDir = path.join(root, 'pods', 'rot_sym-0_uid-1', 'app')
  const link = path.join(dir, containerLogName('sym-0', 'rot', 'app'))
  const lines = (name: string, from: number, n: number): string => Array.from({ length: n }, (_, i) => criLine(`${name} ${from + i}`)).join('')
  writeFile(renamed, lines('rename', 0, 50))
  writeFile(truncated, lines('copytrunc', 0, 50))
  writeFile(path.join(podDir, '0.log'), lines('sym', 0, 50))
  fs.symlinkSync(path.join(podDir, '0.log'), link)

  await tail(['--topic', 'rotate', '--checkpoints', path.join(root, 'cp'), path.join(dir, '*.log')])
  await waitForRecords(broker.bootstrap, 150, { topic: 'rotate' })

  // rename: the writer appends to the old file after the rename, then opens the new one.
  fs.renameSync(renamed, renamed + '.1')
  fs.appendFileSync(renamed + '.1', lines('rename', 50, 10))
  writeFile(renamed, lines('rename', 60, 40))
  // copytruncate: copied away (outside the pattern), emptied in place, written again.
  fs.copyFileSync(truncated, truncated + '.1')
  fs.truncateSync(truncated, 0)
  fs.appendFileSync(truncated, lines('copytrunc', 50, 30))
  // kubelet after a container restart: a new file, the symlink moved to it (atomically).
  writeFile(path.join(podDir, '1.log'), lines('sym', 60, 40))
  fs.symlinkSync(path.join(podDir, '1.log'), link + '.tmp')
  fs.renameSync(link + '.tmp', link)
  fs.appendFileSync(path.join(podDir, '0.log'), lines('sym', 50, 10))

  const records = await waitForRecords(broker.bootstrap, 280, { topic: 'rotate' })
  const seen = (name: string): number[] => records.map(r => r.doc.log as string).filter(l => l.startsWith(name + ' ')).map(l => Number(l.split(' ')[1]))
  assert.deepEqual(seen('rename').sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i))
  assert.deepEqual(seen('copytrunc').sort((a, b) => a - b), Array.from({ length: 80 }, (_, i) => i))
  assert.deepEqual(seen('sym').sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i))
  // The renamed file's tail went before the new file's first line.
  const order = seen('rename')
  assert.ok(order.indexOf(59) < order.indexOf(60), `rename order: ${order.join(',')}`)
})

test('a file created after start is picked up; invalid UTF-8 is kept with replacement characters and counted in /metrics', async () => {
  const root = tempDir('tidewatch-tail-new-')
  const dir = path.join(root, 'logs')
  fs.mkdirSync(dir, { recursive: true })
  const p = await tail(['--topic', 'fresh', '--checkpoints', path.join(root, 'cp'), '--port', '0', path.join(dir, '*.log')])
  const metricsUrl = p.lines.find(l => l.includes('metrics on '))!.split('metrics on ')[1]
  const file = path.join(dir, containerLogName('late-0', 'new', 'app'))
  fs.writeFileSync(file, Buffer.concat([Buffer.from(criLine('valid line')), Buffer.from('2024-05-01T12:00:00.000000001Z stdout F bad \xff\xfe bytes\n', 'latin1')]))
  const records = await waitForRecords(broker.bootstrap, 2, { topic: 'fresh' })
  assert.equal(records[0].doc.log, 'valid line')
  assert.equal(records[1].doc.log, 'bad \uFFFD\uFFFD bytes')
  const text = await waitFor(async () => {
    const body = await (await fetch(metricsUrl)).text()
    return /tidewatch_tail_records_acked_total 2\b/.test(body) ? body : null
  }, { what: '/metrics to count 2 acknowledged records' })
  assert.match(text, /tidewatch_tail_invalid_utf8_lines_total 1\b/)
  assert.match(text, /tidewatch_tail_file_lag_bytes\{path="[^"]+late-0[^"]+"\} 0\b/)
})

test('a restarted agent resumes from its checkpoint: nothing is sent twice after a clean stop', async () => {
  const root = tempDir('tidewatch-tail-resume-')
  const file = path.join(root, 'logs', containerLogName('resume-0', 'cp', 'app'))
  writeFile(file, Array.from({ length: 100 }, (_, i) => criLine(`line ${i}`)).join(''))
  const args = ['--topic', 'resume', '--checkpoints', path.join(root, 'cp'), path.join(root, 'logs', '*.log')]
  const first = await tail(args)
  await waitForRecords(broker.bootstrap, 100, { topic: 'resume' })
  assert.equal(await first.stop('SIGTERM'), 0)
  fs.appendFileSync(file, Array.from({ length: 20 }, (_, i) => criLine(`line ${100 + i}`)).join(''))
  await tail(args)
  // The file is read in order into one partition: a line sent twice would come before the last one.
  await waitFor(async () => (await readTopic(broker.bootstrap, 'resume')).some(r => r.doc.log === 'line 119'), { what: 'the last line' })
  const all = await readTopic(broker.bootstrap, 'resume')
  assert.equal(all.length, 120, `duplicates after a clean restart: ${all.length - 120}`)
  assert.deepEqual(all.map(r => r.doc.log), Array.from({ length: 120 }, (_, i) => `line ${i}`))
})
