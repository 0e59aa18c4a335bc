// `tidewatch deploy --kubernetes --tail`: the DaemonSet a cluster runs the agent with, and the
// agent accepting exactly the arguments the manifest gives it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { CLI, run, tempDir } from './helpers/processes.js'
import { startTempBroker } from './helpers/temp-broker.js'
import { containerLogName, criLine, startTail, waitForRecords } from './helpers/tail.js'

test('the DaemonSet mounts /var/log read-only, keeps checkpoints on a hostPath, tolerates every node, and its args run the agent', async () => {
  const out = tempDir('tidewatch-daemonset-')
  const r = await run(process.execPath, [CLI, 'deploy', '--kubernetes', '--tail', '--out', out, '--brokers', 'kafka.kafka.svc:9092', '--multiline', 'java', '--namespace', 'logging'])
  assert.equal(r.code, 0, r.stderr)
  const ds = parse(fs.readFileSync(path.join(out, 'daemonset.yaml'), 'utf8'))
  assert.equal(ds.kind, 'DaemonSet')
  assert.equal(ds.metadata.namespace, 'logging')
  const pod = ds.spec.template.spec
  const c = pod.containers[0]
  const mount = (p: string): Record<string, unknown> => c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === p)
  assert.equal(mount('/var/log').readOnly, true)
  assert.equal(mount('/var/lib/docker/containers').readOnly, true)
  assert.notEqual(mount('/var/lib/tidewatch-tail').readOnly, true)
  const vol = (n: string): Record<string, any> => pod.volumes.find((v: { name: string }) => v.name === n)
  assert.deepEqual(vol('varlog').hostPath, { path: '/var/log' })
  assert.deepEqual(vol('checkpoints').hostPath, { path: '/var/lib/tidewatch-tail', type: 'DirectoryOrCreate' })
  assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }])
  assert.equal(c.env.find((e: { name: string }) => e.name === 'NODE_NAME').valueFrom.fieldRef.fieldPath, 'spec.nodeName')
  assert.ok(c.resources.requests.cpu !== undefined && c.resources.limits.memory !== undefined)
  assert.deepEqual(c.args.slice(0, 3), ['tail', '--brokers', 'kafka.kafka.svc:9092'])
  assert.equal(c.args.at(-1), '/var/log/containers/*.log')
  assert.deepEqual(parse(fs.readFileSync(path.join(out, 'kustomization.yaml'), 'utf8')).resources, ['daemonset.yaml'])

  // The same arguments on this machine, with the node's paths swapped for temporary ones.
  const broker = await startTempBroker()
  const node = tempDir('tidewatch-node-')
  const swap = (a: string): string => a === 'kafka.kafka.svc:9092' ? broker.bootstrap : a.replace('/var/lib/tidewatch-tail', path.join(node, 'cp')).replace('/var/log', path.join(node, 'log'))
  fs.mkdirSync(path.join(node, 'log', 'containers'), { recursive: true })
  fs.writeFileSync(path.join(node, 'log', 'containers', containerLogName('app-0', 'logging', 'app')), criLine('java.lang.Error: x') + criLine('\tat a.b(C.java:1)') + criLine('after'))
  const agent = await startTail(c.args.slice(1).map(swap), { NODE_NAME: 'node-a' })
  try {
    const records = await waitForRecords(broker.bootstrap, 2)
    assert.equal(records[0].doc.log, 'java.lang.Error: x\n\tat a.b(C.java:1)')
    assert.equal(records[0].doc.kubernetes.host, 'node-a')
  } finally {
    await agent.stop('SIGTERM')
    await broker.close()
  }
})

test('deploy --tail refuses what the pods could not use, naming the option', async () => {
  const out = tempDir('tidewatch-daemonset-bad-')
  const bad = await run(process.execPath, [CLI, 'deploy', '--kubernetes', '--tail', '--out', out, '--brokers', 'kafka', '--multiline', '(unclosed'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--brokers: 'kafka' is not host:port/)
  const regex = await run(process.execPath, [CLI, 'deploy', '--kubernetes', '--tail', '--out', out, '--brokers', 'kafka:9092', '--multiline', '(unclosed'])
  assert.equal(regex.code, 2)
  assert.match(regex.stderr, /--multiline: invalid regular expression/)
})
