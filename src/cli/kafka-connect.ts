// The edge of every command that talks to a cluster: its Kafka settings resolved once (flags,
// then TIDEWATCH_KAFKA_*, then the file's kafka: block), its client made with them, and one
// connection tried before anything else starts, so that wrong settings end the command with
// one line naming the setting to fix instead of a retry loop or a stack trace.
import { KafkaClient } from '../kafka/client.js'
import { explainConnectionError, failureKind } from '../kafka/connection-options.js'
import { layerFromEnv, resolveKafkaSettings, type KafkaLayer, type KafkaSettings } from '../kafka/connection-settings.js'
import { CliError } from './args.js'
import type { ReplicaWork } from './replica-lifecycle.js'
import { asCliError, kafkaLayerFromFlags, type KafkaFlagValues } from './kafka-flags.js'

/** How often an unreachable cluster is reported while the command waits for it. */
export const UNREACHABLE_REPORT_MS = 10_000

function layersOf (flags: KafkaFlagValues, file: KafkaLayer | null, env: NodeJS.ProcessEnv): KafkaLayer[] {
  try {
    return [kafkaLayerFromFlags(flags), layerFromEnv(env), ...(file !== null ? [file] : [])]
  } catch (err) {
    throw asCliError(err)
  }
}

/** The command's settings: its flags over the environment over `file` (a Function file's block). */
export function commandKafkaSettings (flags: KafkaFlagValues, file: KafkaLayer | null, fallbackBrokers: string[] | null = null, env: NodeJS.ProcessEnv = process.env): KafkaSettings {
  try {
    return resolveKafkaSettings(layersOf(flags, file, env), fallbackBrokers)
  } catch (err) {
    throw asCliError(err)
  }
}

/** The settings when some layer names brokers; null when none does (`run` then starts the embedded broker). */
export function clusterKafkaSettings (flags: KafkaFlagValues, file: KafkaLayer | null, env: NodeJS.ProcessEnv = process.env): KafkaSettings | null {
  if (!layersOf(flags, file, env).some(l => l.brokers !== undefined)) return null
  return commandKafkaSettings(flags, file, null, env)
}

/** Where TLS or SASL is asked for although no brokers are named (so it would be ignored), or null. */
export function securityWithoutBrokers (flags: KafkaFlagValues, file: KafkaLayer | null, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const l of layersOf(flags, file, env)) {
    if (l.tls === true || l.ca !== undefined || l.cert !== undefined) return l.origin(l.tls === true ? 'tls' : l.ca !== undefined ? 'ca' : 'cert')
    if (l.mechanism !== undefined && l.mechanism !== 'none') return l.origin('mechanism')
  }
  return null
}

/** A client with `settings`; an unreadable certificate file is a CliError naming its setting. */
export function kafkaClientFor (settings: KafkaSettings, clientId: string): KafkaClient {
  try {
    return new KafkaClient({ settings, clientId })
  } catch (err) {
    throw asCliError(err)
  }
}

/**
 * Connects once as `client` will (TLS, SASL, Metadata). TLS or SASL refused, or a broker that
 * hangs up before answering (a plaintext client at a TLS listener), ends the command: a
 * CliError with the explained line. A cluster that does not answer yet is waited for, each
 * `UNREACHABLE_REPORT_MS` said through `onWait`, as it may be starting.
 */
export async function connectOrExplain (client: KafkaClient, settings: KafkaSettings, onWait: (line: string) => void): Promise<void> {
  let lastReport = -Infinity
  for (let attempt = 1; ; attempt++) {
    try {
      await client.verify()
      return
    } catch (err) {
      const line = explainConnectionError(settings, err as Error)
      if (failureKind(err as Error) !== 'unreachable') throw new CliError(line)
      if (Date.now() - lastReport >= UNREACHABLE_REPORT_MS) { onWait(`${line}; waiting for it`); lastReport = Date.now() }
      await new Promise(resolve => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)))
    }
  }
}

/** A failure while running, as one line when it is about the connection (its own message otherwise). */
export function explainedFailure (settings: KafkaSettings, err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err))
  const line = explainConnectionError(settings, err)
  return line === err.message ? err : new Error(line, { cause: err })
}

/** A replica's work whose failures about the connection are the explained line (its log's "replica failed"). */
export function explainingFailures (settings: KafkaSettings, work: ReplicaWork): ReplicaWork {
  const explained = (step: () => Promise<void>) => async (): Promise<void> => { try { await step() } catch (err) { throw explainedFailure(settings, err) } }
  return { ...work, prepare: explained(work.prepare), join: explained(work.join), run: explained(work.run) }
}
