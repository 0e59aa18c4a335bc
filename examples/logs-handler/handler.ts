// The reference scenario's logs handler (OpenFunction's logs-handler sample), in TypeScript:
// a 404 served by a WordPress pod in namespace demo-project becomes an Alertmanager alert
// carrying the namespace, pod, request path and method.
import { defineFunction } from 'tidewatch'

const HTTP_CODE_NOT_FOUND = '404'
const NAMESPACE = 'demo-project'
const POD_NAME = /wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}/
const ALERT_NAME = '404 Request'
const SEVERITY = 'warning'
const REQUEST = /([A-Z]+) (\/\S*) HTTP/

export default defineFunction({
  outputs: ['notification-manager'],
  async handle (ctx, data) {
    // Matched on the record's JSON text, exactly like the original, so any shipper's envelope works.
    const content = typeof data === 'string' ? data : JSON.stringify(data)
    if (!content.includes(` ${HTTP_CODE_NOT_FOUND} `)) return
    if (!content.includes(`namespace_name":"${NAMESPACE}`)) return
    const pod = POD_NAME.exec(content)
    const request = REQUEST.exec(content)
    if (pod === null || request === null) return
    ctx.log.info({ pod: pod[0], path: request[2] }, 'matched a 404')
    await ctx.send(ctx.alert({
      labels: {
        alertname: ALERT_NAME,
        namespace: NAMESPACE,
        severity: SEVERITY,
        pod: pod[0],
        path: request[2],
        method: request[1]
      }
    }), 'notification-manager')
  }
})
