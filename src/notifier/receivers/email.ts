/**
 * E-mail over SMTP (nodemailer), configured as Alertmanager's `email_configs`: `to`, `from`,
 * `smarthost` (host:port; port 465 means implicit TLS), `hello`, `auth_username` /
 * `auth_password`, `require_tls` (STARTTLS required; when false, STARTTLS is not attempted,
 * as in Alertmanager), `headers` (templates; `Subject` sets the subject), `html` and `text`
 * (templates). Defaults: the subject is Alertmanager's title (`[FIRING:2] HighErrors (prod)`),
 * the body an HTML table and a plain-text list of the listed alerts with "… and N more".
 *
 * Failures are classified for the retry stage: SMTP 5xx answers (a refused login or recipient)
 * are final; 4xx answers, timeouts and connection errors are retried. The password is handed to
 * nodemailer only; errors and logs name the server by host:port.
 */
import nodemailer from 'nodemailer'
import type { Logger } from '../../shared/logger.js'
import { DeliveryError } from '../../shared/http-delivery.js'
import type { IntegrationConfig } from '../config.js'
import type { QueuedNotification } from '../store/outbox.js'
import { escapeHtml, renderField, templateData } from '../template/index.js'
import { integrationKey, type Integration, type RateLimit } from './integration.js'

type EmailConfig = Extract<IntegrationConfig, { type: 'email' }>

export const SMTP_TIMEOUT_MS = 10_000

export interface EmailMessage { from: string, to: string, subject: string, html: string, text: string, headers: Record<string, string> }

export function emailMessage (n: QueuedNotification, c: EmailConfig, externalURL: string, logger?: Logger): EmailMessage {
  const d = templateData(n, externalURL, c.maxAlerts)
  const headers: Record<string, string> = {}
  let subject: string | undefined
  for (const [name, t] of Object.entries(c.headers)) {
    // Header values are single lines: a template producing a newline must not add headers.
    const value = renderField(t, 'email.default.subject', d, logger).replace(/[\r\n]+/g, ' ')
    if (name.toLowerCase() === 'subject') subject = value
    else if (!['to', 'from'].includes(name.toLowerCase())) headers[name] = value
  }
  return {
    from: c.from,
    to: c.to,
    subject: subject ?? renderField(undefined, 'email.default.subject', d),
    html: renderField(c.html, 'email.default.html', d, logger, { escape: escapeHtml }),
    text: renderField(c.text, 'email.default.text', d, logger),
    headers
  }
}

/** Is an SMTP failure worth retrying? 5xx answers and refused logins are not. */
export function classifySmtpError (err: unknown, describe: string): DeliveryError {
  const e = err as { responseCode?: number, code?: string, message?: string }
  const permanent = e.responseCode !== undefined ? e.responseCode >= 500 : e.code === 'EAUTH' || e.code === 'EENVELOPE'
  const what = e.responseCode !== undefined ? `SMTP ${e.responseCode}` : e.code ?? 'error'
  // The server's text is kept (it says what is wrong) but cut short; it never holds our password.
  const detail = (e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 300)
  return new DeliveryError(`${describe}: ${what}: ${detail}`, { retryable: !permanent })
}

export function emailIntegration (receiver: string, c: EmailConfig, logger?: Logger, receiverLimit?: RateLimit): Integration {
  const server = `${c.smarthost.host.includes(':') ? `[${c.smarthost.host}]` : c.smarthost.host}:${c.smarthost.port}`
  const describe = `${receiver}/email/${c.index} (smtp://${server})`
  return {
    key: integrationKey(receiver, 'email', c.index),
    receiver,
    type: 'email',
    sendResolved: c.sendResolved,
    rateLimits: receiverLimit === undefined ? [] : [receiverLimit],
    describe,
    async send (n, ctx) {
      const m = emailMessage(n, c, ctx.externalURL, logger)
      const transport = nodemailer.createTransport({
        host: c.smarthost.host,
        port: c.smarthost.port,
        secure: c.smarthost.port === 465,
        requireTLS: c.requireTls,
        ignoreTLS: !c.requireTls && c.smarthost.port !== 465,
        name: c.hello,
        auth: c.authUsername !== undefined ? { user: c.authUsername, pass: c.authPassword?.reveal() ?? '' } : undefined,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
        logger: false
      })
      let onAbort = (): void => {}
      const aborted = new Promise<never>((_resolve, reject) => {
        onAbort = () => reject(new DeliveryError(`${describe}: aborted`, { retryable: true }))
        if (ctx.signal.aborted) onAbort()
        ctx.signal.addEventListener('abort', onAbort, { once: true })
      })
      aborted.catch(() => {})
      try {
        await Promise.race([transport.sendMail({ ...m }), aborted])
      } catch (err) {
        if (err instanceof DeliveryError) throw err
        throw classifySmtpError(err, describe)
      } finally {
        ctx.signal.removeEventListener('abort', onAbort)
        transport.close()
      }
    }
  }
}
