import path from 'node:path'
import { parseArgs } from 'node:util'
import { createHttpApp, isLoopback } from '../api/http-app.js'
import { registerNotifierRoutes } from '../notifier/api/routes.js'
import { Notifier } from '../notifier/notifier.js'
import { createLogger } from '../shared/logger.js'
import { CliError, parseIntOption, resolveApiToken, tokenOptionsHelp, untilStopSignal } from './args.js'

export const NOTIFIER_USAGE = `Usage: tidewatch notifier --config FILE [options]

Runs the notifier alone: Alertmanager's v2 API (POST /api/v2/alerts, silences, status) on one
port, grouping and routing by an Alertmanager-style routing file, delivering to webhooks, Slack,
e-mail and other Alertmanagers. Alerts (written before the API answers 200), undelivered
notifications, the notification log and silences are kept in the data dir, so a restart —
even kill -9 — neither re-sends nor forgets.

Options:
  --config FILE        routing file: route, receivers, inhibit_rules (Alertmanager's YAML)
  --port N             HTTP port (default 9093; 0 picks a free port)
  --host ADDR          interface to listen on (default 127.0.0.1); any other address needs a token
${tokenOptionsHelp(23)}; every request must send Authorization: Bearer TOKEN
  --data-dir DIR       alerts, notification log, silences, outbox (default .tidewatch/notifier,
                       or $TIDEWATCH_DATA_DIR/notifier)
  --external-url URL   the URL receivers link back to (default: http://HOST:PORT)
  -h, --help           show this help`

export async function runNotifierCommand (argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'token-file': { type: 'string' },
        token: { type: 'string' },
        'data-dir': { type: 'string' },
        'external-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true
    }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${NOTIFIER_USAGE}`)
  }
  if (values.help === true) {
    console.log(NOTIFIER_USAGE)
    return 0
  }
  if (values.config === undefined) throw new CliError(`--config FILE is required\n\n${NOTIFIER_USAGE}`)
  const host = values.host ?? '127.0.0.1'
  const port = parseIntOption('--port', values.port, { min: 0, max: 65535 }) ?? 9093
  const token = resolveApiToken(values) ?? ''
  if (!isLoopback(host) && token === '') {
    throw new CliError(`refusing to serve the notifier API on ${host} without a token: anyone who can reach it could post alerts and silences. Set TIDEWATCH_API_TOKEN (or --token), or bind to 127.0.0.1`)
  }
  const envDir = process.env.TIDEWATCH_DATA_DIR
  const dataDir = path.resolve(values['data-dir'] ?? (envDir !== undefined ? path.join(envDir, 'notifier') : '.tidewatch/notifier'))
  const logger = createLogger('notifier')

  const notifier = await Notifier.start({ configFile: values.config, dataDir, logger, externalURL: values['external-url'] })
  const app = createHttpApp({ logger: logger.child({ part: 'notifier-api' }), token })
  await registerNotifierRoutes(app, notifier)
  try {
    await app.listen({ host, port })
  } catch (err) {
    await notifier.close()
    throw new CliError(`cannot listen on ${host}:${port}: ${(err as Error).message}`)
  }
  const address = app.server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`
  if (values['external-url'] === undefined) notifier.externalURL = url
  console.log(`tidewatch notifier listening on ${url}`)
  logger.info({ signal: await untilStopSignal() }, 'shutting down; undelivered notifications stay queued in the data dir')
  await app.close()
  await notifier.close()
  return 0
}
