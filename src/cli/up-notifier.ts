import { secretUrl } from '../shared/secret.js'
import { DEFAULT_RECEIVER_TIMEOUT_MS, loadNotifierConfig, parseNotifierConfig, type Notifier, type NotifierConfig } from '../notifier/index.js'

// With no routing file in the project: one group per alert name and namespace, shown in the
// console (and printed by `tidewatch up`), delivered nowhere else.
const DEFAULT_ROUTING = `route:
  receiver: console
  group_by: [alertname, namespace]
  group_wait: 5s
  group_interval: 30s
  repeat_interval: 4h
receivers:
  - name: console
`

/**
 * The project's routing file (or the default). With SLACK_WEBHOOK_URL set, the root route's
 * receiver also posts to that Slack webhook, so the demo reaches Slack with no file to edit.
 */
export function loadProjectNotifierConfig (file: string | null, slackWebhookUrl: string | undefined): NotifierConfig {
  const config = file === null ? parseNotifierConfig('<default routing>', DEFAULT_ROUTING) : loadNotifierConfig(file)
  if (slackWebhookUrl === undefined || slackWebhookUrl === '') return config
  const receiver = config.receivers.get(config.route.options.receiver)
  if (receiver === undefined || receiver.integrations.some(i => i.type === 'slack')) return config
  const index = receiver.integrations.filter(i => i.type === 'slack').length
  receiver.integrations.push({ type: 'slack', index, apiUrl: secretUrl(slackWebhookUrl), sendResolved: true, maxAlerts: 20, timeoutMs: DEFAULT_RECEIVER_TIMEOUT_MS })
  return config
}

/** Prints each alert once when it starts firing and once when it resolves; returns a stop function. */
export function printAlertsAsTheyFire (notifier: Notifier, print: (line: string) => void, everyMs = 1000): () => void {
  const firing = new Map<string, string>()
  const timer = setInterval(() => {
    const now = new Map(notifier.alerts().map(s => [s.alert.fingerprint, s]))
    for (const [fp, s] of now) {
      if (firing.has(fp)) continue
      const labels = Object.entries(s.alert.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}=${v}`).join(' ')
      const text = `${s.alert.labels.alertname ?? '(no alertname)'}  ${labels}`
      firing.set(fp, text)
      const muted = s.silencedBy.length > 0 ? '  (silenced)' : s.inhibitedBy.length > 0 ? '  (inhibited)' : ''
      print(`alert firing    ${text}${muted}`)
    }
    for (const [fp, text] of firing) {
      if (now.has(fp)) continue
      firing.delete(fp)
      print(`alert resolved  ${text}`)
    }
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
