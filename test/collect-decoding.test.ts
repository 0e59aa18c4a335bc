// How lines become entries, in process: CRI parts, docker chunks, multiline modes, long lines,
// and the resume positions the checkpoints are made of.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FileDecoder, type Entry } from '../src/collect/decoder.js'
import { detectFormat, type Format } from '../src/collect/formats.js'
import { multilineMode } from '../src/collect/multiline.js'
import { kubernetesFromPath } from '../src/collect/kubernetes.js'
import { criLine, dockerLine } from './helpers/tail.js'

function decode (format: Format, text: string, o: { multiline?: string, maxBytes?: number } = {}): { entries: Entry[], decoder: FileDecoder } {
  const entries: Entry[] = []
  const decoder = new FileDecoder({ format, multiline: multilineMode(o.multiline ?? 'none'), maxBytes: o.maxBytes ?? 1024 * 1024, emit: e => entries.push(e) })
  let at = 0
  for (const line of text.split(/(?<=\n)/)) {
    if (!line.endsWith('\n')) continue
    decoder.line(line.slice(0, -1), at, Buffer.byteLength(line), 0)
    at += Buffer.byteLength(line)
  }
  return { entries, decoder }
}

test('a 40 KiB CRI line written as P parts and an F becomes one entry, exactly the line', () => {
  const line = Array.from({ length: 40 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('')
  let text = ''
  for (let i = 0; i < line.length; i += 16 * 1024) text += criLine(line.slice(i, i + 16 * 1024), { partial: i + 16 * 1024 < line.length })
  text += criLine('next')
  const { entries } = decode('cri', text)
  assert.equal(entries.length, 2)
  assert.equal(entries[0].text, line)
  assert.equal(entries[0].stream, 'stdout')
  assert.equal(entries[1].text, 'next')
  assert.equal(entries[1].resume, Buffer.byteLength(text))
})

test('CRI parts of stdout and stderr interleaved join per stream, and the position stays before a held part', () => {
  const a = criLine('out-1 ', { partial: true })
  const b = criLine('err whole', { stream: 'stderr' })
  const c = criLine('out-2')
  const { entries } = decode('cri', a + b + c)
  assert.deepEqual(entries.map(e => [e.stream, e.text]), [['stderr', 'err whole'], ['stdout', 'out-1 out-2']])
  // The stderr line is out, but a restart must read the held stdout part again: resume is 0.
  assert.equal(entries[0].resume, 0)
  assert.equal(entries[1].resume, a.length + b.length + c.length)
})

test('docker json-file 16 KiB chunks without a newline are joined up to the chunk that ends the line', () => {
  const long = 'x'.repeat(16384 * 2 + 100)
  const text = dockerLine(long.slice(0, 16384)) + dockerLine(long.slice(16384, 32768)) + dockerLine(long.slice(32768) + '\n') + dockerLine('short\n', 'stderr')
  const { entries } = decode('docker', text)
  assert.deepEqual(entries.map(e => e.text.length), [long.length, 5])
  assert.equal(entries[0].text, long)
  assert.equal(entries[1].stream, 'stderr')
  assert.equal(entries[0].time, '2024-05-01T12:00:00.000000000Z')
})

test('auto detects CRI, docker and plain from a file\'s first line', () => {
  assert.equal(detectFormat(criLine('x').trimEnd()), 'cri')
  assert.equal(detectFormat(dockerLine('x\n').trimEnd()), 'docker')
  assert.equal(detectFormat('2024-05-01 12:00:00 INFO started'), 'plain')
  assert.equal(detectFormat('{"msg":"json but not docker"}'), 'plain')
})

const JAVA = [
  '2024-05-01 12:00:00.123 ERROR [main] c.e.Foo - request failed',
  'java.lang.IllegalStateException: boom',
  '\tat com.example.Foo.bar(Foo.java:42)',
  '\tat com.example.Main.main(Main.java:7)',
  'Caused by: java.io.IOException: disk full',
  '\tat com.example.Io.write(Io.java:9)',
  '\t... 1 more'
]

test('--multiline java joins a stack trace, its cause and "... N more" into the entry of the line before', () => {
  const text = [...JAVA, '2024-05-01 12:00:01.000 INFO [main] c.e.Foo - next request'].map(l => criLine(l)).join('')
  const { entries, decoder } = decode('cri', text, { multiline: 'java' })
  assert.equal(entries.length, 1)
  assert.equal(entries[0].text, JAVA.join('\n'))
  // The next line is held (it may start a trace of its own) and is emitted when idle.
  assert.equal(decoder.holding, true)
  decoder.flushIdle(10_000, 1000)
  assert.equal(entries[1].text, '2024-05-01 12:00:01.000 INFO [main] c.e.Foo - next request')
})

test('--multiline python joins a traceback up to and including its exception line', () => {
  const tb = ['ERROR:root:failed', 'Traceback (most recent call last):', '  File "app.py", line 3, in <module>', '    main()', 'ValueError: bad value']
  const { entries } = decode('plain', [...tb, 'INFO:root:next', 'INFO:root:after'].join('\n') + '\n', { multiline: 'python' })
  assert.deepEqual(entries.map(e => e.text), [tb.join('\n'), 'INFO:root:next'])
})

test('--multiline go joins a panic and its goroutine dump', () => {
  const panic = ['panic: runtime error: index out of range [3] with length 3', '', 'goroutine 1 [running]:', 'main.main()', '\t/app/main.go:8 +0x1d', 'exit status 2']
  const { entries } = decode('plain', [...panic, 'listening on :8080', 'ready'].join('\n') + '\n', { multiline: 'go' })
  assert.deepEqual(entries.map(e => e.text), [panic.join('\n'), 'listening on :8080'])
})

test('--multiline REGEX starts a record at each line the RE2 regex matches at its start', () => {
  const { entries } = decode('plain', '[2024-05-01] one\n  more of one\n[2024-05-02] two\nnot a start [2024-05-03]\n[2024-05-04] three\n', { multiline: '\\[\\d{4}-' })
  assert.deepEqual(entries.map(e => e.text), ['[2024-05-01] one\n  more of one', '[2024-05-02] two\nnot a start [2024-05-03]'])
})

test('an entry over the maximum is cut into parts marked split, none dropped', () => {
  const big = 'y'.repeat(10_000)
  let text = ''
  for (let i = 0; i < big.length; i += 1000) text += criLine(big.slice(i, i + 1000), { partial: i + 1000 < big.length })
  const { entries } = decode('cri', text, { maxBytes: 4096 })
  assert.ok(entries.length >= 3)
  assert.equal(entries.map(e => e.text).join(''), big)
  assert.deepEqual(entries.map(e => e.split?.part), entries.map((_, i) => i + 1))
  assert.deepEqual(entries.map(e => e.split?.last), entries.map((_, i) => i === entries.length - 1))
})

test('Kubernetes metadata comes from both kubelet layouts', () => {
  const id = 'ab'.repeat(32)
  assert.deepEqual(kubernetesFromPath(`/var/log/containers/web-7d9f_shop_nginx-proxy-${id}.log`, 'node-1'), { pod_name: 'web-7d9f', namespace_name: 'shop', container_name: 'nginx-proxy', container_id: id, host: 'node-1' })
  assert.deepEqual(kubernetesFromPath('/var/log/pods/shop_web-7d9f_0f1e2d3c-aaaa-bbbb-cccc-111122223333/nginx/0.log', 'node-1'), { pod_name: 'web-7d9f', namespace_name: 'shop', container_name: 'nginx', pod_id: '0f1e2d3c-aaaa-bbbb-cccc-111122223333', host: 'node-1' })
  assert.equal(kubernetesFromPath('/var/log/syslog'), null)
})
