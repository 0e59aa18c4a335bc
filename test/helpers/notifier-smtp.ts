import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

/** One message the SMTP sink accepted, with its MIME parts decoded enough to read. */
export interface ReceivedMail { from: string, to: string[], user?: string, password?: string, raw: string, headers: Record<string, string>, subject: string, text: string, html: string }

/**
 * A local SMTP server (the `smtp-server` package) on a free 127.0.0.1 port that requires a login
 * (no TLS: STARTTLS is not offered) and records every message. `rejectRcpt` answers RCPT TO with
 * an SMTP error for chosen addresses (e.g. 550 permanent, 451 transient).
 */
export class SmtpSink {
  readonly mails: ReceivedMail[] = []
  readonly port: number
  readonly #server: SMTPServer

  private constructor (server: SMTPServer, port: number) { this.#server = server; this.port = port }

  static async start (o: { user: string, password: string, rejectRcpt?: (address: string) => { code: number, message: string } | undefined }): Promise<SmtpSink> {
    const mails: ReceivedMail[] = []
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth (auth, _session, callback) {
        if (auth.username === o.user && auth.password === o.password) return callback(null, { user: auth.username })
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }))
      },
      onRcptTo (address, _session, callback) {
        const reject = o.rejectRcpt?.(address.address)
        if (reject !== undefined) return callback(Object.assign(new Error(reject.message), { responseCode: reject.code }))
        callback()
      },
      onData (stream, session, callback) {
        const chunks: Buffer[] = []
        stream.on('data', (c: Buffer) => chunks.push(c))
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8')
          mails.push({ ...parseMail(raw), from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address, to: session.envelope.rcptTo.map(r => r.address), user: session.user as string | undefined, raw })
          callback()
        })
      }
    })
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const sink = new SmtpSink(server, (server.server.address() as AddressInfo).port)
    ;(sink as { mails: ReceivedMail[] }).mails = mails
    return sink
  }

  async stop (): Promise<void> {
    await new Promise<void>(resolve => this.#server.close(() => resolve()))
  }
}

/** Headers, subject and the text and HTML parts of a nodemailer message (quoted-printable or base64). */
function parseMail (raw: string): Pick<ReceivedMail, 'headers' | 'subject' | 'text' | 'html'> {
  const [head] = raw.split(/\r?\n\r?\n/)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  const part = (type: string): string => {
    const m = new RegExp(`Content-Type: ${type}[^\\r\\n]*\\r?\\n((?:[^\\r\\n]+\\r?\\n)*)\\r?\\n([\\s\\S]*?)(?:\\r?\\n--|$)`, 'i').exec(raw)
    if (m === null) return ''
    return (/base64/i.test(m[1]) ? Buffer.from(m[2], 'base64').toString('utf8') : decodeQuotedPrintable(m[2])).replace(/\r\n/g, '\n')
  }
  return { headers, subject: decodeWords(headers.subject ?? ''), text: part('text/plain'), html: part('text/html') }
}

function decodeQuotedPrintable (s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=) in a header. */
function decodeWords (s: string): string {
  return s.replace(/=\?utf-8\?([qb])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) => enc.toLowerCase() === 'b'
    ? Buffer.from(text, 'base64').toString('utf8')
    : decodeQuotedPrintable(text.replace(/_/g, ' ')))
}
