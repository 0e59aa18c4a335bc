// `tidewatch up` with a `tail:` block collects local files into its own broker: a 404 written
// to a kubelet-named file raises the reference alert, like any other way in; the `ingest:`
// block's topic is where the shippers' APIs write.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { tempDir } from './helpers/processes.js'
import { LOGS_HANDLER_PROJECT, startUp } from './helpers/tidewatch-up.js'
import { containerLogName, criLine, waitForRecords } from './helpers/tail.js'
import { waitFor } from './helpers/wait.js'

test('up collects the tail: block\'s files: a 404 line in a container log raises the alert with the pod from the path; ingest: sets the APIs\' topic', async () => {
  const dir = tempDir('tidewatch-up-tail-')
  const examples = path.dirname(LOGS_HANDLER_PROJECT)
  fs.mkdirSync(path.join(dir, 'containers'))
  fs.writeFileSync(path.join(dir, 'tidewatch.yaml'), [
    `functions: [${JSON.stringify(path.join(examples, 'function.yaml'))}]`,
    `notifier: ${JSON.stringify(path.join(examples, 'notifier.yaml'))}`,
    'tail:',
    '  paths: [containers/*.log]',
    '  multiline: java',
    'ingest:',
    '  topic: shipped',
    ''
  ].join('\n'))
  const up = await startUp({ cwd: dir })
  try {
    assert.ok(up.process.lines.some(l => l.trim().startsWith('tail') && l.includes('containers/*.log')), up.process.lines.join('\n'))
    const pod = 'wordpress-v1-f54f697c5-tail1'
    fs.writeFileSync(path.join(dir, 'containers', containerLogName(pod, 'demo-project', 'wordpress')), criLine('10.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET /from-tail HTTP/1.1" 404 512 "-" "curl/8.5.0"'))
    const alert = await waitFor(async () => {
      const alerts = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
      return alerts.find(a => a.labels.path === '/from-tail')?.labels
    }, { what: 'the alert for the tailed 404', timeoutMs: 60_000, intervalMs: 250 })
    assert.equal(alert.pod, pod)
    assert.equal(alert.namespace, 'demo-project')
    const pushed = await fetch(`${up.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: { namespace: 'shop', pod: 'web-0' }, values: [[String(Date.now() * 1e6), 'pushed to the ingest topic']] }] }) })
    assert.equal(pushed.status, 204)
    const [record] = await waitForRecords(up.bootstrap, 1, { topic: 'shipped' })
    assert.equal(record.doc.log, 'pushed to the ingest topic')
    assert.deepEqual([record.doc.kubernetes.namespace_name, record.doc.kubernetes.pod_name], ['shop', 'web-0'])
  } finally {
    await up.stop()
  }
})
