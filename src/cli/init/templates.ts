// What `tidewatch init` writes: a function that works at once with `tidewatch test` and
// `tidewatch up` — the reference scenario's "HTTP 404 in a namespace becomes an alert", matched
// on the record's parsed fields (so any shipper's envelope works), with comments that say where
// to change it.

/** A Kubernetes name (RFC 1123 label) made from a folder name. */
export function functionNameFor (folder: string): string {
  const name = folder.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '')
  return name === '' ? 'my-function' : /^[a-z]/.test(name) ? name : `fn-${name}`.slice(0, 63)
}

export function functionYaml (name: string): string {
  return `# The Function file: where records come from, the handler, where its sends go, how it scales.
# Check it locally:   tidewatch test function.yaml --input sample.log
# Run everything:     tidewatch up        (reads ./tidewatch.yaml)
name: ${name}
input:
  topic: logs
  # consumerGroup defaults to the function's name.
  startFrom: latest
  # Checked on the raw bytes before decoding: only records containing one of these strings
  # reach the handler (most records stop here, cheaply). Remove it to see every record.
  prefilter: [" 404 "]
handler: ./handler.ts
outputs:
  alerts:
    type: alertmanager
    # Tidewatch's notifier under \`tidewatch up\`; Prometheus Alertmanager or KubeSphere
    # Notification Manager elsewhere.
    url: \${ALERTMANAGER_URL:-http://127.0.0.1:9093}
scale:
  minReplicas: 0
  maxReplicas: 4
  lagThreshold: 10
  cooldownPeriod: 60
`
}

export const HANDLER_TS = `// A handler: OpenFunction's (ctx, data) signature. \`data\` is the record's parsed JSON (or its
// text). Everything \`ctx.send\` queues for a batch is delivered before the batch is committed.
import { defineFunction } from 'tidewatch'

// What to alert on. Change these (or the whole match) to your own case.
const STATUS = 404
const NAMESPACE = 'demo-project'

/** The fields of a log record, whichever shipper sent it (Fluent Bit, Fluentd, Vector, tidewatch tail). */
function fieldsOf (data: unknown): { line: string, namespace?: string, pod?: string } {
  if (typeof data === 'string') return { line: data }
  const r = (data ?? {}) as Record<string, any>
  const k8s = (r.kubernetes ?? {}) as Record<string, any>
  const line = String(r.log ?? r.message ?? r.msg ?? JSON.stringify(r))
  return { line, namespace: k8s.namespace_name ?? r.namespace, pod: k8s.pod_name ?? r.pod }
}

const REQUEST = /"([A-Z]+) (\\S+) HTTP\\/[\\d.]+" (\\d{3}) /

export default defineFunction({
  outputs: ['alerts'],
  async handle (ctx, data) {
    const { line, namespace, pod } = fieldsOf(data)
    const request = REQUEST.exec(line)
    if (request === null || Number(request[3]) !== STATUS || namespace !== NAMESPACE) return
    await ctx.send(ctx.alert({
      labels: { alertname: 'NotFound', severity: 'warning', namespace, pod: pod ?? 'unknown', method: request[1], path: request[2] },
      annotations: { summary: \`\${request[1]} \${request[2]} answered \${STATUS} in \${pod ?? namespace}\` }
    }), 'alerts')
  }
})
`

export const SAMPLE_LOG = [
  { log: '10.0.0.7 - - [01/Dec/2026:10:00:01 +0000] "GET /index.php HTTP/1.1" 200 5120 "-" "curl/8.5.0"\n', stream: 'stdout', time: '2026-12-01T10:00:01.100000000Z', kubernetes: { pod_name: 'wordpress-v1-f54f697c5-hdn2z', namespace_name: 'demo-project', container_name: 'wordpress' } },
  { log: '10.0.0.7 - - [01/Dec/2026:10:00:02 +0000] "GET /notfound HTTP/1.1" 404 196 "-" "curl/8.5.0"\n', stream: 'stdout', time: '2026-12-01T10:00:02.200000000Z', kubernetes: { pod_name: 'wordpress-v1-f54f697c5-hdn2z', namespace_name: 'demo-project', container_name: 'wordpress' } },
  { log: '10.0.0.9 - - [01/Dec/2026:10:00:03 +0000] "GET /old-page HTTP/1.1" 404 196 "-" "curl/8.5.0"\n', stream: 'stdout', time: '2026-12-01T10:00:03.300000000Z', kubernetes: { pod_name: 'shop-7d9f8b6c4-x2x9k', namespace_name: 'shop', container_name: 'web' } }
].map(r => JSON.stringify(r)).join('\n') + '\n'

export const PROJECT_YAML = `# The project: what \`tidewatch up\` runs here. Paths are relative to this file.
functions:
  - ./function.yaml
# notifier: ./notifier.yaml   # Alertmanager routing (route, receivers, inhibit_rules) to reach
#                             # Slack, webhooks or e-mail; without it alerts show in the console.
broker:
  partitions: 4
`

/** Editor types only: \`tidewatch\` resolves to the installation that runs the handler. */
export function tsconfigJson (typesPath: string): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      paths: { tidewatch: [typesPath] }
    },
    include: ['*.ts']
  }, null, 2) + '\n'
}

export const GITIGNORE = '.tidewatch/\n'
