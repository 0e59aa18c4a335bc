// How a function deployed to Kubernetes authenticates to Kafka, rendered once for both parties
// that connect: the replica pods and KEDA's Kafka scaler. One Secret `<name>-kafka` holds the
// values under the names KEDA's TriggerAuthentication parameters use (sasl, username, password,
// tls, ca, cert, key); the TriggerAuthentication points KEDA at them, and the pods get the same
// Secret as TIDEWATCH_KAFKA_* variables (credentials) and files (certificates). Credentials are
// therefore written once, and rotating them is one `kubectl apply` of the Secret.
import fs from 'node:fs'
import { KAFKA_ENV, KafkaSettingsError, type KafkaSettings } from '../kafka/connection-settings.js'
import { manifestMetadata, type DeployTarget, type Manifest } from './manifests.js'

export const kafkaSecretName = (fn: string): string => `${fn}-kafka`
export const kafkaAuthName = (fn: string): string => `${fn}-kafka`
/** Where the pod finds the certificates of the Secret. */
export const KAFKA_TLS_MOUNT_PATH = '/etc/tidewatch/kafka'

/** KEDA's names for the SASL mechanisms its Kafka scaler speaks. */
const KEDA_SASL = { PLAIN: 'plaintext', 'SCRAM-SHA-256': 'scram_sha256', 'SCRAM-SHA-512': 'scram_sha512' } as const

export interface KafkaAuthManifests {
  /** Secret and TriggerAuthentication; empty for a cluster without TLS or SASL. */
  manifests: Manifest[]
  /** For the ScaledObject's kafka trigger. */
  authenticationRef: { name: string } | null
  /** Trigger metadata KEDA takes there rather than from the TriggerAuthentication. */
  triggerMetadata: Record<string, string>
  /** For the replica container. */
  env: Manifest[]
  volumeMounts: Manifest[]
  volumes: Manifest[]
}

function pem (k: KafkaSettings, field: 'ca' | 'cert' | 'key', file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new KafkaSettingsError(`${k.from[field] ?? `kafka.tls.${field}`}: cannot read ${file} to put it in the Secret: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

export function kafkaAuthManifests (k: KafkaSettings, target: DeployTarget): KafkaAuthManifests {
  const none: KafkaAuthManifests = { manifests: [], authenticationRef: null, triggerMetadata: {}, env: [], volumeMounts: [], volumes: [] }
  if (k.tls === null && k.sasl === null) return none
  if (k.sasl?.mechanism === 'OAUTHBEARER') {
    throw new KafkaSettingsError(`${k.from.mechanism ?? 'kafka.sasl.mechanism'}: OAUTHBEARER cannot be rendered for Kubernetes yet: KEDA's Kafka scaler fetches its own token from an OAuth endpoint (oauthTokenEndpointUri) and cannot run a token command or read a token file; deploy with PLAIN or SCRAM, or write the TriggerAuthentication by hand`)
  }
  const secret = kafkaSecretName(target.name)
  const data: Record<string, string> = {}
  const params: { parameter: string, name: string, key: string }[] = []
  const env: Manifest[] = []
  const items: { key: string, path: string }[] = []
  const put = (key: string, value: string, forKeda = true): void => {
    data[key] = value
    if (forKeda) params.push({ parameter: key, name: secret, key })
  }
  const fromSecret = (name: string, key: string): Manifest => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } })
  if (k.sasl !== null) {
    put('sasl', KEDA_SASL[k.sasl.mechanism])
    put('username', k.sasl.username)
    put('password', k.sasl.password.reveal())
    env.push({ name: KAFKA_ENV.mechanism, value: k.sasl.mechanism }, fromSecret(KAFKA_ENV.username, 'username'), fromSecret(KAFKA_ENV.password, 'password'))
  }
  const triggerMetadata: Record<string, string> = {}
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
    if (k.tls.servername !== null) env.push({ name: KAFKA_ENV.servername, value: k.tls.servername })
    if (!k.tls.rejectUnauthorized) {
      env.push({ name: KAFKA_ENV.rejectUnauthorized, value: 'false' })
      // KEDA's name for not verifying the broker's certificate.
      triggerMetadata.unsafeSsl = 'true'
    }
  }
  return {
    manifests: [
      { apiVersion: 'v1', kind: 'Secret', metadata: manifestMetadata(secret, target), type: 'Opaque', stringData: data },
      { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', metadata: manifestMetadata(kafkaAuthName(target.name), target), spec: { secretTargetRef: params } }
    ],
    authenticationRef: { name: kafkaAuthName(target.name) },
    triggerMetadata,
    env,
    volumeMounts: items.length === 0 ? [] : [{ name: 'kafka-tls', mountPath: KAFKA_TLS_MOUNT_PATH, readOnly: true }],
    // 0440: readable by the pod's group only (the key is a credential).
    volumes: items.length === 0 ? [] : [{ name: 'kafka-tls', secret: { secretName: secret, items, defaultMode: 0o440 } }]
  }
}
