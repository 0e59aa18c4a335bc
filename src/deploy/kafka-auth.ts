// How a workload deployed to Kubernetes authenticates to Kafka, rendered once for both parties
// that connect: the pods (replicas, rules replicas, the tail agent) and KEDA's Kafka scaler. One
// Secret `<name>-kafka` holds the values under the names KEDA's TriggerAuthentication parameters
// use (sasl, username, password, tls, ca, cert, key); the TriggerAuthentication points KEDA at
// them, and the pods get the same Secret as TIDEWATCH_KAFKA_* variables (credentials) and files
// (certificates). Credentials are therefore written once, and rotating them is one Secret.
//
// `sasl` and `tls` go in the TriggerAuthentication, not in the trigger's metadata: KEDA takes
// either since 2.10, refuses both at once, and only the TriggerAuthentication works in every 2.x.
// `unsafeSsl` exists only as trigger metadata (and only in recent KEDA versions).
import fs from 'node:fs'
import { describeKafka, KAFKA_ENV, KafkaSettingsError, resolveKafkaSettings, type KafkaLayer, type KafkaSettings } from '../kafka/connection-settings.js'
import { manifestMetadata, NO_KAFKA_POD, type DeployTarget, type KafkaPod, type Manifest } from './manifests.js'

export const kafkaSecretName = (name: string): string => `${name}-kafka`
export const kafkaAuthName = (name: string): string => `${name}-kafka`
/** Where the pod finds the certificates of the Secret. */
export const KAFKA_TLS_MOUNT_PATH = '/etc/tidewatch/kafka'
/** Files of the output directory. */
export const KAFKA_SECRET_FILE = 'kafka-secret.yaml'
export const TRIGGER_AUTH_FILE = 'triggerauthentication.yaml'

/** KEDA's names for the SASL mechanisms its Kafka scaler speaks. */
const KEDA_SASL = { PLAIN: 'plaintext', 'SCRAM-SHA-256': 'scram_sha256', 'SCRAM-SHA-512': 'scram_sha512' } as const

export interface KafkaAuth {
  /** Secret `<name>-kafka`; null for a cluster without TLS or SASL. */
  secret: Manifest | null
  /** For KEDA; null without TLS or SASL. */
  triggerAuthentication: Manifest | null
  /** For the ScaledObject's kafka trigger. */
  authenticationRef: { name: string } | null
  /** Trigger metadata KEDA takes there rather than from the TriggerAuthentication. */
  triggerMetadata: Record<string, string>
  pod: KafkaPod
  /** One line for deploy's output: protocol, mechanism, user and brokers, never a secret. */
  description: string
  /** What the user should know before applying (stderr). */
  warnings: string[]
}

function pem (k: KafkaSettings, field: 'ca' | 'cert' | 'key', file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new KafkaSettingsError(`${k.from[field] ?? `kafka.tls.${field}`}: cannot read ${file} to put it in the Secret: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/**
 * The settings a deployment renders: flags, environment and file layers as everywhere else, but
 * the brokers are required (there is no embedded broker in a cluster) and named for the pods.
 */
export function resolveDeployKafka (layers: KafkaLayer[]): KafkaSettings {
  if (!layers.some(l => l.brokers !== undefined)) {
    throw new KafkaSettingsError('--brokers is required: the Kafka bootstrap servers as the pods will reach them (e.g. --brokers kafka.kafka.svc:9092); or set TIDEWATCH_KAFKA_BROKERS, or kafka.brokers in the file')
  }
  return resolveKafkaSettings(layers)
}

/** An unauthenticated cluster: nothing to render. */
export const NO_KAFKA_AUTH: KafkaAuth = { secret: null, triggerAuthentication: null, authenticationRef: null, triggerMetadata: {}, pod: NO_KAFKA_POD, description: '', warnings: [] }

/**
 * What `target`'s workload needs to connect as `k` says: the Secret and TriggerAuthentication
 * (none for a plaintext cluster), the trigger's part and the pod's. Reads the certificate files
 * (their text goes into the Secret); refuses what KEDA cannot be told (OAUTHBEARER).
 */
export function kafkaAuth (k: KafkaSettings, target: Pick<DeployTarget, 'name' | 'namespace'>): KafkaAuth {
  const env: Manifest[] = k.clientId === null ? [] : [{ name: KAFKA_ENV.clientId, value: k.clientId }]
  const auth: KafkaAuth = { secret: null, triggerAuthentication: null, authenticationRef: null, triggerMetadata: {}, pod: { env, volumeMounts: [], volumes: [] }, description: describeKafka(k), warnings: [] }
  if (k.tls === null && k.sasl === null) return auth
  if (k.sasl?.mechanism === 'OAUTHBEARER') {
    throw new KafkaSettingsError(`${k.from.mechanism ?? 'kafka.sasl.mechanism'}: OAUTHBEARER cannot be rendered for Kubernetes yet: KEDA's Kafka scaler fetches its own token from an OAuth endpoint (oauthTokenEndpointUri) and cannot run a token command or read a token file; deploy with PLAIN or SCRAM, or write the TriggerAuthentication by hand`)
  }
  const secret = kafkaSecretName(target.name)
  const data: Record<string, string> = {}
  const params: { parameter: string, name: string, key: string }[] = []
  const items: { key: string, path: string }[] = []
  const put = (key: string, value: string): void => {
    data[key] = value
    params.push({ parameter: key, name: secret, key })
  }
  const fromSecret = (name: string, key: string): Manifest => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } })
  if (k.sasl !== null) {
    put('sasl', KEDA_SASL[k.sasl.mechanism])
    put('username', k.sasl.username)
    put('password', k.sasl.password.reveal())
    env.push({ name: KAFKA_ENV.mechanism, value: k.sasl.mechanism }, fromSecret(KAFKA_ENV.username, 'username'), fromSecret(KAFKA_ENV.password, 'password'))
    if (k.tls === null && k.sasl.mechanism === 'PLAIN') auth.warnings.push(`warning: ${k.from.mechanism ?? 'kafka.sasl.mechanism'}: PLAIN without TLS sends the password in clear to the brokers; turn TLS on (kafka.tls) unless the network is trusted`)
  }
  if (k.tls !== null) {
    put('tls', 'enable')
    env.push({ name: KAFKA_ENV.tls, value: 'true' })
    for (const field of ['ca', 'cert', 'key'] as const) {
      const file = k.tls[field]
      if (file === null) continue
      put(field, pem(k, field, file))
      items.push({ key: field, path: `${field}.pem` })
      env.push({ name: KAFKA_ENV[field], value: `${KAFKA_TLS_MOUNT_PATH}/${field}.pem` })
    }
    if (k.tls.servername !== null) {
      env.push({ name: KAFKA_ENV.servername, value: k.tls.servername })
      auth.warnings.push(`warning: ${k.from.servername ?? 'kafka.tls.servername'}: KEDA's Kafka scaler has no server-name setting: it checks the brokers' certificates against the host names of bootstrapServers (${k.brokers.join(',')}); the pods use ${k.tls.servername}`)
    }
    if (!k.tls.rejectUnauthorized) {
      env.push({ name: KAFKA_ENV.rejectUnauthorized, value: 'false' })
      auth.triggerMetadata.unsafeSsl = 'true'
    }
  }
  auth.secret = { apiVersion: 'v1', kind: 'Secret', metadata: manifestMetadata(secret, target), type: 'Opaque', stringData: data }
  auth.triggerAuthentication = { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', metadata: manifestMetadata(kafkaAuthName(target.name), target), spec: { secretTargetRef: params } }
  auth.authenticationRef = { name: kafkaAuthName(target.name) }
  if (items.length > 0) {
    auth.pod.volumeMounts.push({ name: 'kafka-tls', mountPath: KAFKA_TLS_MOUNT_PATH, readOnly: true })
    // 0440: the key is a credential, readable by the file's group only; the pod's fsGroup
    // (POD_SECURITY_CONTEXT) is that group, so the non-root replica can read it.
    auth.pod.volumes.push({ name: 'kafka-tls', secret: { secretName: secret, items, defaultMode: 0o440 } })
  }
  return auth
}
