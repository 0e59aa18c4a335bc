// `tidewatch up` against a Kafka cluster instead of its embedded broker: the settings resolved
// as every cluster command resolves them (flags, TIDEWATCH_KAFKA_*, the project file's kafka:
// block), one connection tried before anything starts, and the topics the project reads and
// writes created where missing, so the first record produced is not lost to a topic nobody made.
// `tidewatch ingest` connects with the same connectCluster.
import type { KafkaClient } from '../kafka/client.js'
import { describeKafka, type KafkaSettings } from '../kafka/connection-settings.js'
import { ClusterStore } from '../logstore/cluster-store.js'
import type { ProjectConfig } from '../project/project-file.js'
import { CliError } from './args.js'
import { connectOrExplain, explainedFailure, kafkaClientFor } from './kafka-connect.js'
import { asCliError, type KafkaFlagValues } from './kafka-flags.js'
import { clusterKafkaSettings, securityWithoutBrokers } from './kafka-connect.js'

export interface ConnectedCluster { settings: KafkaSettings, kafka: KafkaClient, store: ClusterStore, close: () => Promise<void> }

/**
 * The cluster `up` uses, or null for the embedded broker. With a cluster, the embedded broker's
 * own settings (`--broker-port`, the project's broker.tls/sasl/host) are refused: they would
 * configure nothing.
 */
export function upClusterSettings (flags: KafkaFlagValues & { 'broker-port'?: string }, project: ProjectConfig): KafkaSettings | null {
  const settings = clusterKafkaSettings(flags, project.kafka)
  if (settings === null) {
    const ignored = securityWithoutBrokers(flags, project.kafka)
    if (ignored !== null) console.error(`tidewatch: note: ${ignored} is set but no brokers are named: up runs its embedded broker`)
    return null
  }
  if (flags['broker-port'] !== undefined) throw new CliError('--broker-port configures the embedded broker, which up does not start with a Kafka cluster (kafka.brokers, --brokers, $TIDEWATCH_KAFKA_BROKERS): drop one or the other')
  const b = project.broker
  const set = [b.host !== undefined ? 'broker.host' : null, b.advertisedHost !== undefined ? 'broker.advertisedHost' : null, b.tls !== undefined ? 'broker.tls' : null, b.sasl !== undefined ? 'broker.sasl' : null].filter(x => x !== null)
  if (set.length > 0) throw new CliError(`${project.file}: ${set.join(', ')} configure${set.length === 1 ? 's' : ''} the embedded broker, which up does not start with a Kafka cluster: remove ${set.length === 1 ? 'it' : 'them'}, or the cluster settings`)
  return settings
}

/**
 * Connects (wrong TLS or credentials: a CliError with the one line naming the setting) and makes
 * sure each of `topics` exists, creating missing ones with the cluster's default partition count.
 * `command` names the command in what is printed (up, or ingest, which uses the same steps).
 */
export async function connectCluster (settings: KafkaSettings, topics: string[], command = 'up'): Promise<ConnectedCluster> {
  const kafka = kafkaClientFor(settings, `tidewatch-${command}`)
  let store: ClusterStore | null = null
  const close = async (): Promise<void> => { await store?.close(); await kafka.close() }
  try {
    console.log(`tidewatch ${command}: connecting to Kafka at ${describeKafka(settings)}`)
    await connectOrExplain(kafka, settings, line => console.error(`tidewatch ${command}: ${line}`))
    for (const topic of new Set(topics)) {
      try {
        await kafka.ensureTopic(topic, -1)
      } catch (err) {
        const explained = explainedFailure(settings, err)
        if (explained !== err) throw new CliError(explained.message)
        throw new CliError(`cannot create topic '${topic}' in the Kafka cluster (${oneLine(err)}): create it there, or allow this user to create topics (ACL CREATE on the topic or cluster)`)
      }
    }
    try {
      store = new ClusterStore(settings, `tidewatch-${command}-logstore`)
    } catch (err) {
      throw asCliError(err)
    }
    return { settings, kafka, store, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** The topics a project reads or writes under `up`: inputs of functions and rules, ingest, tail, demo. */
export function upTopics (project: ProjectConfig, inputs: string[], demo: boolean): string[] {
  return [...inputs, project.ingest.topic, ...(project.tail !== null ? [project.tail.topic] : []), ...(demo ? [project.demo.topic] : [])]
}

function oneLine (err: unknown): string {
  const e = err as Error & { errors?: Error[] }
  const inner = Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[0].message : e.message
  return String(inner).split('\n')[0].slice(0, 300)
}
