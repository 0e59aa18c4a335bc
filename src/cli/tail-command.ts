import path from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_TAIL_OPTIONS, FORMATS, TailAgent, multilineMode, progressLines, tailMetrics, type FormatOption, type TailedFile, type TailCompression, type TailOptions } from '../collect/index.js'
import { CompressionUnavailable, kafkaSink } from '../collect/kafka-sink.js'
import { createHttpApp, isLoopback } from '../api/http-app.js'
import { createLogger } from '../shared/logger.js'
import { Re2Error } from '../shared/re2.js'
import { CliError, parseIntOption, resolveApiToken, tokenOptionsHelp, untilStopSignal } from './args.js'
import { Shutdown } from './shutdown.js'
import { describeKafka } from '../kafka/connection-settings.js'
import { KAFKA_FLAG_OPTIONS, kafkaFlagsHelp } from './kafka-flags.js'
import { commandKafkaSettings, connectOrExplain, kafkaClientFor } from './kafka-connect.js'

const d = DEFAULT_TAIL_OPTIONS
export const TAIL_USAGE = `Usage: tidewatch tail [options] PATH_OR_GLOB...

Ships log files to a Kafka topic, line by line, as Fluent Bit's envelope (log, stream, time,
kubernetes{pod_name, namespace_name, container_name, container_id, host}): CRI and docker
json-file partial lines joined, multiline records joined, rotation followed, positions
checkpointed only after the broker acknowledged (acks=all). Quote globs:
  tidewatch tail '/var/log/containers/*.log'

Options:
  --topic NAME           topic to produce to (default ${d.topic})
  --checkpoints DIR      where positions are kept (default .tidewatch/tail, or $TIDEWATCH_DATA_DIR/tail)
  --format F             auto | cri | docker | plain (default auto: detected per file)
  --multiline M          none | java | python | go | a start-of-record RE2 regex (default none)
  --multiline-flush-ms N send an open multiline record after N ms without a new line (default ${d.flushMs})
  --max-line-bytes N     longer entries are cut into parts marked "split" (default ${d.maxLineBytes})
  --buffer-bytes N       read-but-unacknowledged bytes before reading pauses (default ${d.bufferBytes})
  --batch-bytes N        batch size (default ${d.batchBytes}); --linger-ms N wait for more (default ${d.lingerMs})
  --compression C        lz4 | zstd (Node 22.15+) | gzip | snappy | none (default ${d.compression})
  --read-from head|tail  files found at start without a checkpoint (default ${d.readFrom})
  --rotate-wait-ms N     keep reading a rotated or deleted file this long after its last byte (default ${d.rotateWaitMs})
  --node-name NAME       kubernetes.host (default $NODE_NAME, else the hostname)
  --port N               serve /metrics (Prometheus) on this port; 0 picks one (default: none)
  --metrics-host ADDR    address for /metrics (default 127.0.0.1; any other needs a token)
${tokenOptionsHelp(25)}
  -h, --help             show this help

Kafka connection (flags over $TIDEWATCH_KAFKA_*; brokers default to 127.0.0.1:9092):
${kafkaFlagsHelp(34)}

On a terminal it prints the files watched, lines/s and each file's lag (bytes not yet
acknowledged) every 5 s.`

export async function runTailCommand (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...KAFKA_FLAG_OPTIONS,
        topic: { type: 'string' },
        checkpoints: { type: 'string' },
        format: { type: 'string' },
        multiline: { type: 'string' },
        'multiline-flush-ms': { type: 'string' },
        'max-line-bytes': { type: 'string' },
        'buffer-bytes': { type: 'string' },
        'batch-bytes': { type: 'string' },
        'linger-ms': { type: 'string' },
        compression: { type: 'string' },
        'read-from': { type: 'string' },
        'rotate-wait-ms': { type: 'string' },
        'node-name': { type: 'string' },
        port: { type: 'string' },
        'metrics-host': { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${TAIL_USAGE}`)
  }
  const v = parsed.values
  if (v.help === true) { console.log(TAIL_USAGE); return 0 }
  if (parsed.positionals.length === 0) throw new CliError(`give at least one PATH_OR_GLOB\n\n${TAIL_USAGE}`)
  const options = tailOptionsFromFlags(v, parsed.positionals)
  const settings = commandKafkaSettings(v, null, ['127.0.0.1:9092'])
  const port = parseIntOption('--port', v.port, { min: 0, max: 65535 })
  const metricsHost = v['metrics-host'] ?? '127.0.0.1'
  const token = resolveApiToken(v)
  if (port !== undefined && !isLoopback(metricsHost) && token === null) throw new CliError(`refusing to serve /metrics on ${metricsHost} without a token: set TIDEWATCH_API_TOKEN (or --token), or use --metrics-host 127.0.0.1`)

  const logger = createLogger('tail')
  // Wrong TLS or SASL settings end the command here, in one line, before any file is read.
  const probe = kafkaClientFor(settings, 'tidewatch-tail')
  console.log(`tidewatch tail: connecting to Kafka at ${describeKafka(settings)}`)
  try {
    await connectOrExplain(probe, settings, line => console.error(`tidewatch tail: ${line}`))
  } finally {
    await probe.close()
  }
  let sink
  try { sink = kafkaSink<TailedFile>({ settings, topic: options.topic, compression: options.compression, logger }) } catch (err) {
    if (err instanceof CompressionUnavailable) throw new CliError(err.message)
    throw err
  }
  let multiline
  try { multiline = multilineMode(options.multiline) } catch (err) {
    if (err instanceof Re2Error) throw new CliError(`--multiline: ${err.message}`)
    throw err
  }
  const agent = new TailAgent(options, { send: sink.send, prepare: sink.prepare, partitions: sink.partitions, logger, multiline })
  // Stopped in reverse order: progress, /metrics, the agent (drains and checkpoints), the client.
  const shutdown = new Shutdown(logger)
  shutdown.add('kafka client', async () => { await sink.close() })
  agent.start()
  shutdown.add('agent', async () => { await agent.stop() })
  try {
    if (port !== undefined) {
      const metricsApp = createHttpApp({ logger, token })
      shutdown.add('metrics', async () => { await metricsApp.close() })
      const register = tailMetrics(agent)
      metricsApp.get('/metrics', async (_req, reply) => await reply.header('content-type', register.contentType).send(await register.metrics()))
      await metricsApp.listen({ host: metricsHost, port })
      const address = metricsApp.server.address()
      console.log(`tidewatch tail: metrics on http://${metricsHost}:${typeof address === 'object' && address !== null ? address.port : port}/metrics`)
    }
  } catch (err) {
    await shutdown.run()
    throw new CliError(`cannot serve /metrics on ${metricsHost}:${port}: ${(err as Error).message}`)
  }
  console.log(`tidewatch tail: ${options.patterns.join(' ')} → topic '${options.topic}' at ${describeKafka(settings)} (checkpoints in ${options.checkpoints})`)
  if (process.stdout.isTTY) {
    const progress = startProgress(agent, PROGRESS_MS)
    shutdown.add('progress', () => { clearInterval(progress) })
  }
  await untilStopSignal()
  await shutdown.run()
  return 0
}

/** How often the progress lines are printed on a terminal. */
const PROGRESS_MS = 5000

// Files, lines/s over the last interval, and each file's lag, printed every `everyMs`.
function startProgress (agent: TailAgent, everyMs: number): NodeJS.Timeout {
  let lastLines = agent.counters.lines
  let lastAt = Date.now()
  return setInterval(() => {
    const now = Date.now()
    const rate = (agent.counters.lines - lastLines) / Math.max(0.001, (now - lastAt) / 1000)
    lastLines = agent.counters.lines
    lastAt = now
    for (const line of progressLines(agent, rate)) console.log(line)
  }, everyMs)
}

function bytesFlag (flag: string, value: string | undefined, fallback: number): number {
  return parseIntOption(flag, value, { min: 1 }) ?? fallback
}

/** The agent's options from the command's flags (shared with nothing else; the project file has its own schema). */
function tailOptionsFromFlags (v: Record<string, string | boolean | undefined>, patterns: string[]): TailOptions {
  const s = (k: string): string | undefined => typeof v[k] === 'string' ? v[k] as string : undefined
  const format = s('format') ?? d.format
  if (!(FORMATS as readonly string[]).includes(format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`)
  const compression = s('compression') ?? d.compression
  if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(compression)) throw new CliError(`--compression must be lz4, zstd, gzip, snappy or none, got '${compression}'`)
  const readFrom = s('read-from') ?? d.readFrom
  if (readFrom !== 'head' && readFrom !== 'tail') throw new CliError(`--read-from must be head or tail, got '${readFrom}'`)
  const maxLineBytes = bytesFlag('--max-line-bytes', s('max-line-bytes'), d.maxLineBytes)
  return {
    ...d,
    patterns,
    checkpoints: path.resolve(s('checkpoints') ?? path.join(process.env.TIDEWATCH_DATA_DIR ?? '.tidewatch', 'tail')),
    topic: s('topic') ?? d.topic,
    format: format as FormatOption,
    multiline: s('multiline') ?? d.multiline,
    flushMs: parseIntOption('--multiline-flush-ms', s('multiline-flush-ms'), { min: 0 }) ?? d.flushMs,
    maxLineBytes,
    bufferBytes: Math.max(bytesFlag('--buffer-bytes', s('buffer-bytes'), d.bufferBytes), 1),
    batchBytes: bytesFlag('--batch-bytes', s('batch-bytes'), d.batchBytes),
    lingerMs: parseIntOption('--linger-ms', s('linger-ms'), { min: 0 }) ?? d.lingerMs,
    compression: compression as TailCompression,
    readFrom,
    rotateWaitMs: parseIntOption('--rotate-wait-ms', s('rotate-wait-ms'), { min: 0 }) ?? d.rotateWaitMs,
    ...(s('node-name') !== undefined ? { host: s('node-name') } : {})
  }
}
