// The reference scenario's logs handler (OpenFunction's logs-handler sample), in TypeScript:
// a 404 served by a WordPress pod in namespace demo-project becomes an Alertmanager alert
// carrying the namespace, pod, request path and method.
import { defineFunction } from 'tidewatch'

const HTTP_CODE_NOT_FOUND = '404'
const NAMESPACE = 'demo-project'
const POD_NAME = /^wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}$/
const ALERT_NAME = '404 Request'
const SEVERITY = 'warning'
const REQUEST = /"([A-Z]+) (\/\S*) HTTP\/[\d.]+" (\d{3}) /

interface LogFields { line: string, namespace?: string, pod?: string }

/**
 * The log line and its pod, from the record's parsed fields, whatever the shipper's envelope:
 * Fluent Bit / Fluentd (`log`, `kubernetes.namespace_name`, `kubernetes.pod_name`), Vector and
 * Tidewatch's own ingest (`message`, `namespace`, `pod`), or rsyslog's jsonf (`msg`), where the
 * line itself may be the container runtime's JSON record as an escaped string.
 */
function fieldsOf (data: unknown, depth = 0): LogFields {
  if (typeof data === 'string') {
    const text = data.trim()
    if (depth < 2 && text.startsWith('{')) { try { return fieldsOf(JSON.parse(text), depth + 1) } catch {} }
    return { line: data }
  }
  const r = (data ?? {}) as Record<string, any>
  const k8s = (r.kubernetes ?? {}) as Record<string, any>
  const text = r.log ?? r.message ?? r.msg
  const inner: LogFields = typeof text === 'string' ? fieldsOf(text, depth + 1) : { line: JSON.stringify(r) }
  return { line: inner.line, namespace: k8s.namespace_name ?? r.namespace ?? inner.namespace, pod: k8s.pod_name ?? r.pod ?? inner.pod }
}

/**
 * Who owns the pod, from an inventory service when ENRICH_URL is set (`tidewatch up --demo` runs
 * one that answers in tens of milliseconds, as a CMDB or the Kubernetes API would): a realistic
 * per-record cost, which is what makes a storm need several replicas.
 */
async function ownerOf (env: Readonly<Record<string, string | undefined>>, namespace: string, pod: string): Promise<string | undefined> {
  const url = env.ENRICH_URL
  if (url === undefined || url === '') return undefined
  try {
    const res = await fetch(`${url}?namespace=${encodeURIComponent(namespace)}&pod=${encodeURIComponent(pod)}`, { signal: AbortSignal.timeout(2000) })
    return res.ok ? ((await res.json()) as { team?: string }).team : undefined
  } catch {
    return undefined // the alert goes out without an owner rather than not at all
  }
}

export default defineFunction({
  outputs: ['notification-manager'],
  async handle (ctx, data) {
    const { line, namespace, pod } = fieldsOf(data)
    const request = REQUEST.exec(line)
    if (request === null || request[3] !== HTTP_CODE_NOT_FOUND) return
    if (namespace !== NAMESPACE || pod === undefined || !POD_NAME.test(pod)) return
    ctx.log.info({ pod, path: request[2] }, 'matched a 404')
    const team = await ownerOf(ctx.env, namespace, pod)
    await ctx.send(ctx.alert({
      labels: {
        alertname: ALERT_NAME,
        namespace: NAMESPACE,
        severity: SEVERITY,
        pod,
        path: request[2],
        method: request[1],
        ...(team !== undefined ? { team } : {})
      }
    }), 'notification-manager')
  }
})
