// The log pipeline against Loki's documented examples (docs/sources/query/log_queries).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseLogql } from './parse.js'
import { compileQuery } from './pipeline.js'
import type { LogQuery } from './ast.js'

/** Runs `query` over one line with stream labels; the resulting labels and line, or null when dropped. */
function run (query: string, line: string, stream: Record<string, string> = { job: 'varlogs' }): { labels: Record<string, string>, line: string } | null {
  const parsed = parseLogql(query)
  assert.deepEqual(parsed.problems, [], query)
  const c = compileQuery((parsed.result as { query: LogQuery }).query, 0)
  assert.deepEqual(c.problems, [], query)
  if (!c.query!.matches(stream)) return null
  const e = { line, labels: new Map(Object.entries(stream)), stream, ts: Date.parse('2024-01-01T00:00:00Z') }
  for (const step of c.query!.steps) if (!step(e)) return null
  return { labels: Object.fromEntries([...e.labels].sort()), line: e.line }
}

const keeps = (q: string, line: string, stream?: Record<string, string>): boolean => run(q, line, stream) !== null

test('stream selectors: = != =~ !~, regexes anchored, a missing label is empty', () => {
  const s = { app: 'mysql', name: 'mysql-backup' }
  assert.ok(keeps('{app="mysql",name="mysql-backup"}', 'x', s))
  assert.ok(!keeps('{app="mysql",name="other"}', 'x', s))
  assert.ok(keeps('{name=~"mysql.+"}', 'x', s))
  assert.ok(!keeps('{name=~"mysql"}', 'x', s), 'anchored: mysql does not match all of mysql-backup')
  assert.ok(!keeps('{app="mysql", name!~"mysql.+"}', 'x', s))
  assert.ok(keeps('{app="mysql", env!="prod"}', 'x', s), 'a missing env is "", which is not prod')
  assert.ok(!keeps('{name=~"a|b"}', 'x', { name: 'ab' }))
  assert.match(compileQuery((parseLogql('{app=~".*"}').result as { query: LogQuery }).query, 0).problems[0].message, /at least one matcher that does not match the empty string/)
})

test('line filters: contains, not, regex (unanchored, . matches newlines), chained, or', () => {
  assert.ok(keeps('{job="varlogs"} |= "error"', 'an error here'))
  assert.ok(!keeps('{job="varlogs"} |= "error" != "timeout"', 'error: timeout'))
  assert.ok(keeps('{job="varlogs"} |~ "tsdb-ops.*io:2003"', 'x tsdb-ops at io:2003 y'))
  assert.ok(keeps('{job="varlogs"} |~ `error=\\w+`', 'level=warn error=disk'))
  assert.ok(keeps('{job="varlogs"} |~ "a.b"', 'a\nb'), '. matches a newline in line filters')
  assert.ok(keeps('{job="varlogs"} |= "ERROR" or "panic"', 'kernel panic'))
  assert.ok(!keeps('{job="varlogs"} != "debug" or "trace"', 'a trace line'), '!= a or b: neither')
  assert.ok(keeps('{job="varlogs"} |~ "(?i)exception"', 'java.lang.NullPointerEXCEPTION'))
  assert.ok(keeps('{job="varlogs"} |~ "ERROR|Exception"', 'IllegalStateException'))
  assert.ok(!keeps('{job="varlogs"} |~ "ERROR|Exception"', 'error'))
  assert.ok(keeps('{job="varlogs"} |~ "\\" 5[0-9][0-9] "', 'GET / HTTP/1.1" 503 12'))
  assert.ok(!keeps('{job="varlogs"} |~ "\\" 5[0-9][0-9] "', 'GET / HTTP/1.1" 200 503'))
})

test('| json: nested keys joined with _, arrays skipped, sanitised names, _extracted on clashes', () => {
  const doc = JSON.stringify({ protocol: 'HTTP/2.0', servers: ['129.0.1.1', '10.2.1.3'], request: { time: '6.032', method: 'GET', host: 'foo.grafana.net', size: '55', headers: { Accept: '*/*', 'User-Agent': 'curl/7.68.0' } }, response: { status: 401, size: '228', latency_seconds: '6.031' } })
  assert.deepEqual(run('{job="varlogs"} | json', doc)!.labels, {
    job: 'varlogs', protocol: 'HTTP/2.0', request_time: '6.032', request_method: 'GET', request_host: 'foo.grafana.net', request_size: '55',
    request_headers_Accept: '*/*', request_headers_User_Agent: 'curl/7.68.0', response_status: '401', response_size: '228', response_latency_seconds: '6.031'
  })
  assert.deepEqual(run('{job="varlogs"} | json first_server="servers[0]", ua="request.headers[\\"User-Agent\\"]"', doc)!.labels, { job: 'varlogs', first_server: '129.0.1.1', ua: 'curl/7.68.0' })
  assert.deepEqual(run('{job="varlogs"} | json server_list="servers", headers="request.headers"', doc)!.labels.server_list, '["129.0.1.1","10.2.1.3"]')
  assert.deepEqual(run('{job="varlogs"} | json servers', doc)!.labels.servers, '["129.0.1.1","10.2.1.3"]')
  assert.deepEqual(run('{job="varlogs"} | json', '{"a.b":{"c":"d"},"e":"f","job":"x"}')!.labels, { job: 'varlogs', a_b_c: 'd', e: 'f', job_extracted: 'x' })
  assert.equal(run('{job="varlogs"} | json', 'not json')!.labels.__error__, 'JSONParserErr')
  assert.equal(run('{job="varlogs"} | json | __error__=""', 'not json'), null)
})

test('| logfmt: all pairs or named ones, --strict and --keep-empty', () => {
  const line = 'at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200'
  assert.deepEqual(run('{job="varlogs"} | logfmt', line)!.labels, { job: 'varlogs', at: 'info', method: 'GET', path: '/', host: 'grafana.net', fwd: '124.133.124.161', service: '8ms', status: '200' })
  assert.deepEqual(run('{job="varlogs"} | logfmt host, fwd_ip="fwd"', line)!.labels, { job: 'varlogs', host: 'grafana.net', fwd_ip: '124.133.124.161' })
  assert.deepEqual(run('{job="varlogs"} | logfmt', 'a=1 =oops b="x \\"y\\"" flag')!.labels, { job: 'varlogs', a: '1', b: 'x "y"' })
  assert.deepEqual(run('{job="varlogs"} | logfmt --keep-empty', 'a=1 flag')!.labels, { job: 'varlogs', a: '1', flag: '' })
  assert.equal(run('{job="varlogs"} | logfmt --strict', 'a=1 =oops b=2')!.labels.__error__, 'LogfmtParserErr')
})

test('| pattern and | regexp: Loki\'s nginx and query_range examples', () => {
  const nginx = '0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" ""'
  assert.deepEqual(run('{job="varlogs"} | pattern `<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>`', nginx)!.labels,
    { job: 'varlogs', ip: '0.191.12.2', method: 'GET', uri: '/api/plugins/versioncheck', status: '200', size: '2', agent: 'Go-http-client/2.0' })
  const debug = 'level=debug ts=2021-06-10T09:24:13.472094048Z caller=logging.go:66 traceID=0568b66ad2d9294c msg="POST /loki/api/v1/push (204) 16.652862ms"'
  assert.deepEqual(run('{job="varlogs"} | pattern `<_> msg="<method> <path> (<status>) <latency>"`', debug)!.labels,
    { job: 'varlogs', method: 'POST', path: '/loki/api/v1/push', status: '204', latency: '16.652862ms' })
  assert.deepEqual(run('{job="varlogs"} | pattern "x <a>"', 'y 1')!.labels, { job: 'varlogs' }, 'a leading literal anchors the pattern')
  assert.deepEqual(run('{job="varlogs"} | regexp "(?P<method>\\\\w+) (?P<path>[\\\\w|/]+) \\\\((?P<status>\\\\d+?)\\\\) (?P<duration>.*)"', 'POST /api/prom/api/v1/query_range (200) 1.5s')!.labels,
    { job: 'varlogs', method: 'POST', path: '/api/prom/api/v1/query_range', status: '200', duration: '1.5s' })
})

test('| unpack: packed labels, _entry becomes the line', () => {
  assert.deepEqual(run('{job="varlogs"} | unpack', '{"container":"myapp","pod":"pod-3223f","_entry":"original log message"}'), { labels: { job: 'varlogs', container: 'myapp', pod: 'pod-3223f' }, line: 'original log message' })
})

test('label filters: strings, numbers, durations, bytes; and before or; conversion errors keep the line with __error__', () => {
  const f = (filter: string, labels: string): boolean => keeps(`{job="varlogs"} | logfmt | ${filter}`, labels)
  assert.ok(f('duration > 10s and throughput_mb < 500', 'duration=12s throughput_mb=20'))
  assert.ok(!f('duration > 10s and throughput_mb < 500', 'duration=1.5s throughput_mb=20'))
  // Loki's equivalent forms: and binds tighter than or.
  for (const form of ['duration >= 20ms or size == 20KB and method!~"2.."', 'duration >= 20ms or size == 20KB , method!~"2.."', 'duration >= 20ms or (size == 20KB and method!~"2..")']) {
    assert.ok(f(form, 'duration=25ms size=1KB method=200'), form)
    assert.ok(f(form, 'duration=1ms size=20KB method=404'), form)
    assert.ok(!f(form, 'duration=1ms size=20KB method=200'), form)
  }
  assert.ok(!f('(duration >= 20ms or size == 20KB) and method!~"2.."', 'duration=25ms size=1KB method=200'))
  assert.ok(f('status >= 500', 'status=503'))
  assert.ok(!f('status >= 500', 'other=1'), 'a missing label does not pass a number filter')
  assert.ok(f('size > 1KiB', 'size="2 KiB"'))
  const bad = run('{job="varlogs"} | logfmt | status > 5', 'status=abc')
  assert.equal(bad!.labels.__error__, 'LabelFilterErr')
})

test('line_format and label_format use Go templates; drop and keep', () => {
  assert.equal(run('{job="varlogs"} | logfmt | line_format "{{.query}} {{.duration}}"', 'query=up duration=3s')!.line, 'up 3s')
  assert.equal(run('{job="varlogs"} | logfmt | line_format "{{.ip}} {{.status}} {{div .duration 1000}}"', 'ip=1.1.1.1 status=200 duration=3000')!.line, '1.1.1.1 200 3')
  assert.equal(run('{job="varlogs"} | line_format `{{ __line__ | upper }}`', 'abc')!.line, 'ABC')
  assert.equal(run('{job="varlogs"} | logfmt | line_format `{{ .path | replace " " "_" | trunc 5 | upper }}`', 'path="a b c d e f"')!.line, 'A_B_C')
  assert.equal(run('{job="varlogs"} | logfmt | line_format `{{ if contains "ErrTimeout" .err }}timeout{{ else }}no{{ end }}`', 'err=ErrTimeout')!.line, 'timeout')
  assert.equal(run('{job="varlogs"} | logfmt | line_format `{{ regexReplaceAll "(\\\\d+)ms" .d "${1}" }}`', 'd=15ms')!.line, '15')
  assert.deepEqual(run('{job="varlogs"} | logfmt | label_format dst=src', 'src=1')!.labels, { job: 'varlogs', dst: '1' }, 'renaming drops the source')
  assert.deepEqual(run('{job="varlogs"} | logfmt | label_format dst="{{.src}}!"', 'src=1')!.labels, { job: 'varlogs', dst: '1!', src: '1' })
  const doc = '{"level": "info", "method": "GET", "path": "/", "host": "grafana.net", "status": "200"}'
  assert.deepEqual(run('{job="varlogs"} | json | drop level, method="GET"', doc)!.labels, { host: 'grafana.net', job: 'varlogs', path: '/', status: '200' })
  assert.deepEqual(run('{job="varlogs"} | json | keep level, method="GET"', doc)!.labels, { level: 'info', method: 'GET' })
  assert.deepEqual(run('{job="varlogs"} | json | keep level, method="GET"', doc.replace('GET', 'POST'))!.labels, { level: 'info' })
  assert.equal(run('{job="varlogs"} | decolorize', '\u001b[31mred\u001b[0m text')!.line, 'red text')
  assert.match(compileQuery((parseLogql('{a="b"} | line_format "{{ now }}"').result as { query: LogQuery }).query, 0).problems[0].message, /function 'now' is not supported/)
})
