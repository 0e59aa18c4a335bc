// Debian's syslog daemons shipping kubelet log files to the broker of `tidewatch up` through
// their Kafka outputs — rsyslog (imfile → omkafka) and syslog-ng (wildcard-file → kafka-c) —
// each configured as an operator would, to write Fluent Bit's envelope: every line becomes a
// record with the pod's labels, and a 404 raises the reference alert. scripts/ensure-test-deps.sh
// installs both (rsyslog unpacked beside the system, Debian allowing one log daemon).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { LineProcess, tempDir } from './helpers/processes.js'
import { startUp, type RunningUp } from './helpers/tidewatch-up.js'
import { containerLogName, criLine, readTopic } from './helpers/tail.js'
import { waitFor } from './helpers/wait.js'
import { readEnvelope } from '../src/rules/envelope.js'

const RSYSLOG_ROOTS = ['/', '/var/cache/tidewatch-test-deps/rsyslog/root']
const POD = 'wordpress-v1-f54f697c5-hdn2z'
const accessLine = (p: string): string => `10.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET ${p} HTTP/1.1" 404 512 "-" "curl/8.5.0"`
const FILE_RE = '([^/_]+)_([^_]+)_(.+)-[0-9a-f]{64}[.]log'
const CRI_RE = '^([^ ]+) (stdout|stderr) [PF] (.*)'

let up: RunningUp
const daemons: LineProcess[] = []
before(async () => { up = await startUp() })
after(async () => {
  for (const d of daemons) await d.stop('SIGTERM').catch(() => {})
  await up.stop()
})

function writeLogs (dir: string, lines: string[]): void {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, containerLogName(POD, 'demo-project', 'wordpress')), lines.map(l => criLine(l, { at: 5 })).join(''))
}

async function assertShipped (line: string, p: string): Promise<void> {
  const r = await waitFor(async () => (await readTopic(up.bootstrap)).find(x => x.doc.log === line), { what: `'${line}' in logs`, timeoutMs: 60_000 })
  const env = readEnvelope(JSON.stringify(r.doc), 0)
  assert.equal(env.labels.namespace, 'demo-project')
  assert.equal(env.labels.pod, POD)
  assert.equal(env.labels.container, 'wordpress')
  assert.equal(env.labels.stream, 'stdout')
  assert.equal(env.ts, Date.parse('2024-05-01T12:00:00.000Z'))
  await waitFor(async () => {
    const alerts = await (await fetch(`${up.url}/api/v2/alerts`)).json() as { labels: Record<string, string> }[]
    return alerts.find(a => a.labels.path === p && a.labels.alertname === '404 Request' && a.labels.pod === POD)
  }, { what: `the 404 alert for ${p}`, timeoutMs: 60_000, intervalMs: 250 })
}

test('rsyslog (imfile → omkafka) ships kubelet files as the envelope: labelled records, and a 404 raises the alert', async () => {
  const root = RSYSLOG_ROOTS.find(r => fs.existsSync(path.join(r, 'usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so')))
  assert.ok(root !== undefined, 'rsyslog with omkafka is not installed: run scripts/ensure-test-deps.sh')
  const dir = tempDir('tidewatch-rsyslog-')
  const logs = path.join(dir, 'containers')
  writeLogs(logs, [accessLine('/rsyslog-ok').replace(' 404 ', ' 200 '), accessLine('/rsyslog')])
  fs.mkdirSync(path.join(dir, 'work'))
  const extract = (from: string, re: string, group: number): string => `re_extract(${from}, "${re}", 0, ${group}, "")`
  fs.writeFileSync(path.join(dir, 'rsyslog.conf'), `
global(workDirectory="${dir}/work")
module(load="imfile" mode="polling" PollingInterval="1")
module(load="omkafka")
template(name="envelope" type="string" string="%$!%")
ruleset(name="k8s") {
  set $!kubernetes!pod_name = ${extract('$!metadata!filename', FILE_RE, 1)};
  set $!kubernetes!namespace_name = ${extract('$!metadata!filename', FILE_RE, 2)};
  set $!kubernetes!container_name = ${extract('$!metadata!filename', FILE_RE, 3)};
  set $!kubernetes!host = $hostname;
  set $!time = ${extract('$msg', CRI_RE, 1)};
  set $!stream = ${extract('$msg', CRI_RE, 2)};
  set $!log = ${extract('$msg', CRI_RE, 3)};
  unset $!metadata;
  action(type="omkafka" broker=["${up.bootstrap}"] topic="logs" template="envelope" confParam=["compression.codec=lz4"])
}
input(type="imfile" File="${logs}/*.log" Tag="k8s" addMetadata="on" ruleset="k8s")
`)
  daemons.push(new LineProcess(path.join(root, 'usr/sbin/rsyslogd'), ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-M', path.join(root, 'usr/lib/x86_64-linux-gnu/rsyslog'), '-i', path.join(dir, 'rsyslogd.pid')]))
  await assertShipped(accessLine('/rsyslog'), '/rsyslog')
})

test('syslog-ng (wildcard-file → kafka-c) ships kubelet files as the envelope: labelled records, and a 404 raises the alert', async () => {
  const dir = tempDir('tidewatch-syslog-ng-')
  const logs = path.join(dir, 'containers')
  writeLogs(logs, [accessLine('/syslog-ng')])
  fs.writeFileSync(path.join(dir, 'syslog-ng.conf'), `@version: 3.38
options { keep-hostname(yes); };
source s_k8s { wildcard-file(base-dir("${logs}") filename-pattern("*.log") flags(no-parse) follow-freq(1)); };
parser p_file { regexp-parser(template("\${FILE_NAME}") patterns("(?<pod>[^/_]+)_(?<ns>[^_]+)_(?<container>.+)-[0-9a-f]{64}[.]log$") prefix("k8s.")); };
parser p_cri { regexp-parser(template("\${MESSAGE}") patterns("^(?<time>[^ ]+) (?<stream>stdout|stderr) [PF] (?<log>.*)$") prefix("cri.")); };
destination d_kafka { kafka-c(bootstrap-servers("${up.bootstrap}") topic("logs") message("$(format-json time=\${cri.time} stream=\${cri.stream} log=\${cri.log} kubernetes.pod_name=\${k8s.pod} kubernetes.namespace_name=\${k8s.ns} kubernetes.container_name=\${k8s.container} kubernetes.host=\${HOST})")); };
log { source(s_k8s); parser(p_file); parser(p_cri); destination(d_kafka); };
`)
  daemons.push(new LineProcess('syslog-ng', ['-F', '-f', path.join(dir, 'syslog-ng.conf'), '--no-caps', '-R', path.join(dir, 'persist'), '-p', path.join(dir, 'pid'), '-c', path.join(dir, 'ctl')]))
  await assertShipped(accessLine('/syslog-ng'), '/syslog-ng')
})
