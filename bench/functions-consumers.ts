// The consumers bench:functions compares, each reading one whole topic: the seed's Python loop,
// kcat piped into grep (librdkafka with no per-record work in the consumer), and real Tidewatch
// replica processes (`tidewatch replica`, as the autoscaler starts them), profiled.
import fs from 'node:fs'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { KafkaClient } from '../src/kafka/client.js'
import { plaintextSettings } from '../src/kafka/connection-settings.js'
import { PYTHON, run, tempDir } from '../test/helpers/processes.js'
import { summarizeProfile, type ProfileSummary } from './cpu-profile.js'

export interface Measured {
  records: number
  seconds: number
  matched: number
  /** CPU seconds of the consumer process(es) over the measured time. */
  cpuSeconds: number
}

// The seed's loop (poll, json.loads, a rule on the record), with the reference 404 rule:
// status substring, namespace, pod-name regex, then method/path extraction.
const PYTHON_LOOP = `
import sys, json, re, time, resource
from confluent_kafka import Consumer
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': sys.argv[4], 'auto.offset.reset': 'earliest'})
c.subscribe([sys.argv[2]])
want = int(sys.argv[3])
pod = re.compile(r'(wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5})')
req = re.compile(r'([A-Z]+) (/\\S*) HTTP')
n = 0; matched = 0; start = None; cpu0 = 0
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
while n < want:
    msg = c.poll(1.0)
    if msg is None or msg.error(): continue
    if start is None: start = time.time(); cpu0 = cpu()
    n += 1
    content = msg.value().decode('utf-8')
    record = json.loads(content)
    if ' 404 ' in content and 'namespace_name":"demo-project' in content:
        p = pod.search(content)
        m = req.search(content)
        if p and m: matched += 1
end = time.time()
used = cpu() - cpu0
c.close()
print(json.dumps({'records': n, 'matched': matched, 'seconds': end - start, 'cpuSeconds': used}))
`

export async function pythonLoop (bootstrap: string, topic: string, records: number): Promise<Measured> {
  const py = await run(PYTHON, ['-c', PYTHON_LOOP, bootstrap, topic, String(records), `python-bench-${topic}`], { timeoutMs: 600_000 })
  if (py.code !== 0) throw new Error(py.stderr)
  return JSON.parse(py.stdout) as Measured
}

/**
 * `kcat -C -c N | grep -c " 404 "`: the whole topic through librdkafka into grep, timed (like
 * the Python loop, which also stops at the N-th record) from the first record kcat writes, which
 * the shell stamps, to the end.
 */
export async function kcatGrep (bootstrap: string, topic: string, records: number): Promise<Measured> {
  const cpu0 = childrenCpuSeconds()
  const script = `kcat -C -b ${bootstrap} -t ${topic} -o beginning -c ${records} -q -f '%s\\n' | { IFS= read -r first; date +%s%N >&2; n=$(grep -c ' 404 '); case "$first" in *' 404 '*) n=$((n+1));; esac; echo $n; }`
  const r = await run('sh', ['-c', script], { timeoutMs: 600_000 })
  const end = Date.now()
  if (r.code !== 0) throw new Error(r.stderr)
  const firstRecordMs = Number(BigInt(r.stderr.trim().split('\n').pop()!) / 1_000_000n)
  return { records, seconds: (end - firstRecordMs) / 1000, matched: Number(r.stdout.trim()), cpuSeconds: childrenCpuSeconds() - cpu0 }
}

/** CPU seconds used by this process's waited-for children (kcat and grep, via sh). */
function childrenCpuSeconds (): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
  return (Number(fields[13]) + Number(fields[14])) / 100
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds (pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function rssBytes (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Number(m[1]) * 1024
}

export interface ReplicaRun extends Measured {
  /** Resident memory of the replica when its first commit was seen, and its peak afterwards. */
  rssAtFirstCommit: number
  peakRss: number
  /** The first replica's CPU profile over the measured window. */
  profile: ProfileSummary
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

/**
 * `n` real replica processes of the reference 404 function (its Function file's prefilter,
 * examples/logs-handler/handler.ts, a log output) on `topic`, each under --cpu-prof. Timed from
 * the first commit to the commit of the last record, so process start and joining the group are
 * not counted (as for the Python loop, timed from its first record).
 */
export async function replicaProcesses (root: string, bootstrap: string, topic: string, records: number, n = 1): Promise<ReplicaRun> {
  const dir = tempDir('tidewatch-bench-replica-')
  const group = `tidewatch-bench-${topic}-${n}`
  const file = path.join(dir, 'function.yaml')
  fs.writeFileSync(file, `name: bench-${topic}
input: { topic: ${topic}, consumerGroup: ${group}, startFrom: earliest, prefilter: [" 404 "] }
handler: ${JSON.stringify(path.join(root, 'examples', 'logs-handler', 'handler.ts'))}
outputs:
  notification-manager: { type: log }
`)
  const profileDir = path.join(dir, 'profiles')
  // Each replica's log output (one line per alert) goes to a file, counted at the end: a pipe
  // into this process would make the replica wait on this process's reading. The file is on
  // tmpfs where there is one, so a disk busy with other work does not stall the replica's writes.
  const outDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/tidewatch-bench-') : dir
  const outputs = Array.from({ length: n }, (_, i) => path.join(outDir, `output-${i}.jsonl`))
  const children: ChildProcess[] = outputs.map(out => {
    const fd = fs.openSync(out, 'w')
    const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profileDir, path.join(root, 'dist', 'src', 'cli.js'), 'replica', file, '--brokers', bootstrap], { stdio: ['ignore', fd, 'inherit'], env: { ...process.env, TIDEWATCH_LOG_LEVEL: 'warn' } })
    fs.closeSync(fd)
    return child
  })
  const matchedLines = (): number => outputs.reduce((sum, out) => sum + fs.readFileSync(out, 'utf8').split('\n').filter(l => l.startsWith('{"output"')).length, 0)
  const kafka = new KafkaClient({ settings: plaintextSettings([bootstrap]), clientId: 'bench-watch' })
  // One OffsetFetch per look (every 20 ms): this process shares the cores with the replica.
  const committed = async (): Promise<number> => [...(await kafka.committedOffsets(group, topic)).values()].reduce((sum, c) => sum + Math.max(0, c), 0)
  try {
    let first = 0
    let start = 0
    let fromUs = 0
    let cpu0 = 0
    let rssAtFirstCommit = 0
    let peakRss = 0
    for (;;) {
      const c = await committed()
      const rss = children.reduce((t, ch) => t + rssBytes(ch.pid!), 0)
      if (start === 0 && c > 0) {
        start = performance.now(); fromUs = nowUs(); first = c
        cpu0 = children.reduce((t, ch) => t + cpuSeconds(ch.pid!), 0)
        rssAtFirstCommit = rss
      }
      if (start !== 0) peakRss = Math.max(peakRss, rss)
      if (c >= records) break
      if (children.some(ch => ch.exitCode !== null)) throw new Error('a replica exited during the bench')
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const toUs = nowUs()
    const scale = records / (records - first)
    const seconds = (performance.now() - start) / 1000 * scale
    const cpu = (children.reduce((t, ch) => t + cpuSeconds(ch.pid!), 0) - cpu0) * scale
    await stop(children)
    const matched = matchedLines()
    const [profile] = fs.readdirSync(profileDir).sort()
    // BENCH_PROFILE_DIR keeps the profiles (open them in Chrome DevTools or speedscope).
    const keep = process.env.BENCH_PROFILE_DIR
    if (keep !== undefined) fs.mkdirSync(keep, { recursive: true })
    if (keep !== undefined) for (const f of fs.readdirSync(profileDir)) fs.copyFileSync(path.join(profileDir, f), path.join(keep, `${topic}-${n}-${f}`))
    return { records, seconds, matched, cpuSeconds: cpu, rssAtFirstCommit, peakRss, profile: summarizeProfile(path.join(profileDir, profile), { fromUs, toUs }) }
  } finally {
    await stop(children)
    await kafka.close()
    fs.rmSync(dir, { recursive: true, force: true })
    fs.rmSync(outDir, { recursive: true, force: true })
  }
}

async function stop (children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map(async ch => {
    if (ch.exitCode !== null || ch.signalCode !== null) return
    const exited = new Promise(resolve => ch.once('exit', resolve))
    ch.kill('SIGTERM')
    await exited
  }))
}
