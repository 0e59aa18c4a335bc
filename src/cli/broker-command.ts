import path from 'node:path'
import { parseArgs } from 'node:util'
import { startBroker } from '../broker/broker.js'
import { resolveBrokerOptions, brokerOptionsProblem, exposureProblem, type BrokerOptions } from '../broker/config.js'
import { createLogger } from '../shared/logger.js'
import { isLoopback } from '../shared/net.js'
import { deriveCredential, formatCredential } from '../broker/sasl/credentials.js'
import { explainTlsStartError, FLAG_NAMES, loadBrokerSecurity } from './broker-security.js'
import { CliError, parseIntOption, untilStopSignal } from './args.js'

export const BROKER_USAGE = `Usage: tidewatch broker [options]

Runs the embedded single-node broker. Any Kafka client can use it: kcat, Fluent Bit,
confluent-kafka, kafkajs, @platformatic/kafka. Logs go to stderr (TIDEWATCH_LOG_LEVEL=debug for more).

Options:
  --port N                 TCP port (default 9092; 0 picks a free port)
  --host ADDR              interface to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network,
                           which needs --sasl-users-file or --sasl-oauthbearer-jwks (best with TLS),
                           --tls-ca or --allow-unauthenticated)
  --advertised-host NAME   host name clients are told to connect to (default: --host)
  --data-dir DIR           where topics, offsets and configs are kept (default .tidewatch/broker,
                           or $TIDEWATCH_DATA_DIR)
  --partitions N           partitions of auto-created topics (default 10)
  --no-auto-create         do not create unknown topics on Metadata/Produce
  --segment-bytes N        segment file size before rolling (default 134217728)
  --retention-ms N         delete data older than this; -1 keeps forever (default 604800000 = 7 days)
  --retention-bytes N      per-partition size limit; -1 for none (default -1)
  --flush-messages N       fsync after N records; 1 = fsync before every acknowledgement
                           (default: by time only — acknowledged writes already survive a crash of
                           the broker process; fsync guards against power loss)
  --flush-ms N             fsync at least every N ms (default 1000)
  --max-message-bytes N    largest record batch accepted (default 1048588)
  --request-max-bytes N    largest request accepted; larger ones close the connection (default 104857600)
  --queued-max-request-bytes N
                           request bytes received but not yet answered, all connections together;
                           beyond it sockets are not read until requests are answered (default 268435456)
  --request-receive-timeout-ms N
                           while others wait for that budget, close a connection whose request has
                           been arriving for longer than this (default 30000)
  --max-open-files N       segment files kept open at once; others are reopened on use (default 1000)
  --max-partitions-per-topic N
                           partitions one topic may have (default 10000)
  --max-partitions-per-request N
                           partitions one CreateTopics request may create in all (default 10000)
  --max-partitions N       partitions of all topics on this broker (default 20000)
  --rebalance-delay-ms N   wait before the first rebalance of an empty group, extended while members
                           keep joining (Kafka's group.initial.rebalance.delay.ms; default 3000)
  --sasl-users-file FILE   require SASL; FILE has one 'user:password' per line, or
                           'user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>' (RFC 5803;
                           make one with --scram-credential) so that it holds no password
  --sasl-mechanisms LIST   mechanisms offered (default PLAIN,SCRAM-SHA-256,SCRAM-SHA-512 with
                           --sasl-users-file, and OAUTHBEARER with --sasl-oauthbearer-jwks)
  --sasl-oauthbearer-jwks FILE
                           require SASL; accept OAUTHBEARER tokens: JWTs signed by a key of this JSON
                           Web Key Set (RSA or EC public keys; RS/PS/ES 256-512), with exp and iat
  --sasl-oauthbearer-audience LIST
                           a token's aud must name one of these (without, a token naming one is refused)
  --sasl-oauthbearer-issuer ISS
                           a token's iss must be ISS
  --sasl-oauthbearer-sub-claim NAME
                           the claim naming the principal (default sub)
  --sasl-oauthbearer-clock-skew-seconds N
                           allowance for clocks that differ when checking exp, nbf, iat (default 30)
  --sasl-oauthbearer-unsecured
                           accept unsigned OAUTHBEARER tokens (alg none) instead: development only,
                           refused with a non-loopback --host
  --sasl-max-receive-bytes N
                           largest request before authentication; larger ones close the connection
                           (default 524288)
  --sasl-session-lifetime-ms N
                           SASL sessions end after N ms unless the client authenticates again
                           (Kafka's connections.max.reauth.ms; default 0: they do not end)
  --tls-cert FILE          serve TLS with this PEM certificate (chain) ...
  --tls-key FILE           ... and its PEM private key (default: plaintext)
  --tls-ca FILE            require client certificates signed by this PEM CA (mutual TLS)
  --allow-unauthenticated  listen on a non-loopback --host without SASL or client certificates
                           (trusted networks only)
  --scram-credential MECH  print the stored SCRAM-SHA-256 or SCRAM-SHA-512 credential of the password
                           read from standard input (4096 iterations, random salt), and exit
  -h, --help               show this help`

/** --scram-credential MECHANISM: a password on stdin becomes the line to put in a users file. */
async function printScramCredential (mechanism: string): Promise<number> {
  const m = mechanism.toUpperCase()
  if (m !== 'SCRAM-SHA-256' && m !== 'SCRAM-SHA-512') throw new CliError(`--scram-credential: expected SCRAM-SHA-256 or SCRAM-SHA-512, got ${mechanism}`)
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (password === '') throw new CliError('--scram-credential: give the password on standard input')
  console.log(formatCredential(m, deriveCredential(m, password)))
  return 0
}

export async function runBrokerCommand (argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'advertised-host': { type: 'string' },
        'data-dir': { type: 'string' },
        partitions: { type: 'string' },
        'no-auto-create': { type: 'boolean' },
        'segment-bytes': { type: 'string' },
        'retention-ms': { type: 'string' },
        'retention-bytes': { type: 'string' },
        'flush-messages': { type: 'string' },
        'flush-ms': { type: 'string' },
        'max-message-bytes': { type: 'string' },
        'request-max-bytes': { type: 'string' },
        'rebalance-delay-ms': { type: 'string' },
        'sasl-users-file': { type: 'string' },
        'sasl-max-receive-bytes': { type: 'string' },
        'sasl-session-lifetime-ms': { type: 'string' },
        'sasl-mechanisms': { type: 'string' },
        'sasl-oauthbearer-jwks': { type: 'string' },
        'sasl-oauthbearer-audience': { type: 'string' },
        'sasl-oauthbearer-issuer': { type: 'string' },
        'sasl-oauthbearer-sub-claim': { type: 'string' },
        'sasl-oauthbearer-clock-skew-seconds': { type: 'string' },
        'sasl-oauthbearer-unsecured': { type: 'boolean' },
        'scram-credential': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'allow-unauthenticated': { type: 'boolean' },
        'queued-max-request-bytes': { type: 'string' },
        'request-receive-timeout-ms': { type: 'string' },
        'max-open-files': { type: 'string' },
        'max-partitions-per-topic': { type: 'string' },
        'max-partitions-per-request': { type: 'string' },
        'max-partitions': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true
    }).values
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${BROKER_USAGE}`)
  }
  if (values.help === true) {
    console.log(BROKER_USAGE)
    return 0
  }
  if (values['scram-credential'] !== undefined) return await printScramCredential(values['scram-credential'])
  const oauthbearer = {
    jwks: values['sasl-oauthbearer-jwks'],
    unsecured: values['sasl-oauthbearer-unsecured'],
    audience: values['sasl-oauthbearer-audience']?.split(',').map(a => a.trim()),
    issuer: values['sasl-oauthbearer-issuer'],
    subClaim: values['sasl-oauthbearer-sub-claim'],
    clockSkewSeconds: parseIntOption('--sasl-oauthbearer-clock-skew-seconds', values['sasl-oauthbearer-clock-skew-seconds'], { min: 0, max: 3600 })
  }
  const security = loadBrokerSecurity({
    host: values.host,
    cert: values['tls-cert'],
    key: values['tls-key'],
    ca: values['tls-ca'],
    usersFile: values['sasl-users-file'],
    mechanisms: values['sasl-mechanisms']?.split(','),
    oauthbearer: Object.values(oauthbearer).some(v => v !== undefined) ? oauthbearer : undefined
  }, FLAG_NAMES)
  const dataDir = path.resolve(values['data-dir'] ?? process.env.TIDEWATCH_DATA_DIR ?? '.tidewatch/broker')
  const options: BrokerOptions = {
    dataDir,
    host: values.host,
    advertisedHost: values['advertised-host'],
    port: parseIntOption('--port', values.port, { min: 0, max: 65535 }),
    defaultPartitions: parseIntOption('--partitions', values.partitions, { min: 1, max: 100_000 }),
    autoCreateTopics: values['no-auto-create'] !== true,
    segmentBytes: parseIntOption('--segment-bytes', values['segment-bytes'], { min: 1024 }),
    retentionMs: parseIntOption('--retention-ms', values['retention-ms'], { min: -1 }),
    retentionBytes: parseIntOption('--retention-bytes', values['retention-bytes'], { min: -1 }),
    flushMessages: parseIntOption('--flush-messages', values['flush-messages'], { min: 1 }),
    flushMs: parseIntOption('--flush-ms', values['flush-ms'], { min: 1 }),
    maxMessageBytes: parseIntOption('--max-message-bytes', values['max-message-bytes'], { min: 1024 }),
    requestMaxBytes: parseIntOption('--request-max-bytes', values['request-max-bytes'], { min: 1024 }),
    queuedMaxRequestBytes: parseIntOption('--queued-max-request-bytes', values['queued-max-request-bytes'], { min: 1024 }),
    requestReceiveTimeoutMs: parseIntOption('--request-receive-timeout-ms', values['request-receive-timeout-ms'], { min: 1 }),
    maxOpenFiles: parseIntOption('--max-open-files', values['max-open-files'], { min: 1 }),
    maxPartitionsPerTopic: parseIntOption('--max-partitions-per-topic', values['max-partitions-per-topic'], { min: 1 }),
    maxPartitionsPerRequest: parseIntOption('--max-partitions-per-request', values['max-partitions-per-request'], { min: 1 }),
    maxPartitions: parseIntOption('--max-partitions', values['max-partitions'], { min: 1 }),
    initialRebalanceDelayMs: parseIntOption('--rebalance-delay-ms', values['rebalance-delay-ms'], { min: 0 }),
    ...security,
    saslMaxReceiveBytes: parseIntOption('--sasl-max-receive-bytes', values['sasl-max-receive-bytes'], { min: 1024 }),
    saslSessionLifetimeMs: parseIntOption('--sasl-session-lifetime-ms', values['sasl-session-lifetime-ms'], { min: 0 })
  }
  const resolved = resolveBrokerOptions(options)
  const problem = exposureProblem(resolved.host, resolved.sasl, values['allow-unauthenticated'] === true, resolved.tls !== null && resolved.tls.ca !== null) ?? brokerOptionsProblem(resolved)
  if (problem !== null) throw new CliError(problem)
  const logger = createLogger('broker')
  if (resolved.sasl?.mechanisms.includes('PLAIN') === true && resolved.tls === null && !isLoopback(resolved.host)) {
    logger.warn('SASL/PLAIN without TLS on a non-loopback address sends passwords in the clear; add --tls-cert and --tls-key, or use --sasl-mechanisms SCRAM-SHA-256,SCRAM-SHA-512')
  }
  // A bearer token is as good as a password to whoever sees it, until it expires.
  if (resolved.sasl?.mechanisms.includes('OAUTHBEARER') === true && resolved.tls === null && !isLoopback(resolved.host)) {
    logger.warn('SASL/OAUTHBEARER without TLS on a non-loopback address sends tokens in the clear, and anyone who sees one can use it until it expires; add --tls-cert and --tls-key')
  }
  let broker
  try {
    broker = await startBroker({ ...options, logger })
  } catch (err) {
    throw security.tls !== undefined ? explainTlsStartError(err, FLAG_NAMES) : err
  }
  console.log(`tidewatch broker listening on ${broker.bootstrap}`)
  logger.info({ signal: await untilStopSignal() }, 'shutting down')
  await broker.close()
  return 0
}
