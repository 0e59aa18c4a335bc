// Kubernetes objects for one function, as plain data: FunctionConfig + where it runs → manifests.
// Nothing here touches the file system; the ScaledObject is in scaled-object.ts.
import type { FunctionConfig } from '../functions/config/load.js'

export type Manifest = Record<string, unknown>

/** Where and how the function runs, from the deploy command's options. */
export interface DeployTarget {
  /** The function's name: the Deployment, ScaledObject and label value. */
  name: string
  namespace?: string
  image: string
  /** Kafka bootstrap servers as seen from inside the cluster, comma-separated. */
  brokers: string
}

/** Where the ConfigMap is mounted; the replica reads the Function file from here. */
export const FUNCTION_MOUNT_PATH = '/function'
export const FUNCTION_FILE_KEY = 'function.yaml'
export const HANDLER_FILE_KEY = 'handler.mjs'

/**
 * The API server refuses a ConfigMap whose data (keys plus values, in bytes) exceeds 1 MiB
 * (the same limit as a Secret's).
 */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024

export function configMapDataBytes (data: Record<string, string>): number {
  let total = 0
  for (const [key, value] of Object.entries(data)) total += Buffer.byteLength(key) + Buffer.byteLength(value)
  return total
}

export const configMapName = (fn: string): string => `${fn}-function`
export const secretName = (fn: string): string => `${fn}-outputs`

/** Labels on every object and the pods; the Deployment selects its pods by exactly these. */
export function functionLabels (name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'tidewatch' }
}

export function manifestMetadata (objectName: string, target: Pick<DeployTarget, 'name' | 'namespace'>): Manifest {
  return {
    name: objectName,
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    labels: functionLabels(target.name)
  }
}

/** ConfigMap `<name>-function`: the rewritten Function file and the bundled handler. */
export function configMapManifest (target: DeployTarget, data: Record<string, string>): Manifest {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: manifestMetadata(configMapName(target.name), target), data }
}

/** Secret `<name>-outputs`: the values the Function file's `${TIDEWATCH_SECRET_<N>}` refer to. */
export function secretManifest (target: DeployTarget, values: Record<string, string>): Manifest {
  return { apiVersion: 'v1', kind: 'Secret', metadata: manifestMetadata(secretName(target.name), target), type: 'Opaque', stringData: values }
}

/** What a pod's container and volumes gain to connect to Kafka as the settings say (kafka-auth.ts). */
export interface KafkaPod {
  env: Manifest[]
  volumeMounts: Manifest[]
  volumes: Manifest[]
}

/** A plaintext cluster: nothing to add to the pod. */
export const NO_KAFKA_POD: KafkaPod = { env: [], volumeMounts: [], volumes: [] }

/** The container's arguments after the image's entrypoint (`node … dist/src/cli.js`). */
export function replicaArgs (brokers: string): string[] {
  return ['replica', `${FUNCTION_MOUNT_PATH}/${FUNCTION_FILE_KEY}`, '--brokers', brokers]
}

// The node user of the node image. Kubernetes can only enforce runAsNonRoot for a numeric
// user, and the image names its user (USER node), so the uid is given here.
const NODE_UID = 1000

/**
 * Every Tidewatch pod runs as the image's unprivileged user with the runtime's seccomp profile.
 * fsGroup: Secret volumes are owned by root, and by the fsGroup as their group; the Kafka
 * certificates are mounted 0440 (kafka-auth.ts), so without it the replica could not read them.
 */
export const POD_SECURITY_CONTEXT = { runAsNonRoot: true, runAsUser: NODE_UID, runAsGroup: NODE_UID, fsGroup: NODE_UID, seccompProfile: { type: 'RuntimeDefault' } }
/** …and its containers gain nothing: no privilege escalation, no capabilities, a read-only root. */
export const CONTAINER_SECURITY_CONTEXT = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }

/**
 * apps/v1 Deployment `<name>`: replica pods reading the mounted Function file.
 * `configHash` (of the ConfigMap data) is a pod annotation, so a new handler or Function file
 * rolls the pods on `kubectl apply`; a ConfigMap change alone would not restart them.
 */
export function deploymentManifest (config: FunctionConfig, target: DeployTarget, configHash: string, kafka: KafkaPod = NO_KAFKA_POD): Manifest {
  const labels = functionLabels(target.name)
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: manifestMetadata(target.name, target),
    spec: {
      // With minReplicas 0 KEDA scales the Deployment to and from zero; a replicas field would be
      // reapplied by every `kubectl apply` and fight it. Otherwise start at the minimum.
      ...(config.scale.minReplicas > 0 ? { replicas: config.scale.minReplicas } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { 'tidewatch/config-sha256': configHash } },
        spec: {
          // On SIGTERM a replica finishes the batch in hand, delivers it and commits, then leaves
          // the group; an output being retried can take a while, so allow a minute.
          terminationGracePeriodSeconds: 60,
          // The replica talks to Kafka and the outputs, never to the Kubernetes API.
          automountServiceAccountToken: false,
          securityContext: POD_SECURITY_CONTEXT,
          containers: [{
            name: 'replica',
            image: target.image,
            args: replicaArgs(target.brokers),
            envFrom: [{ secretRef: { name: secretName(target.name) } }],
            ...(kafka.env.length > 0 ? { env: kafka.env } : {}),
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
            securityContext: CONTAINER_SECURITY_CONTEXT,
            volumeMounts: [
              { name: 'function', mountPath: FUNCTION_MOUNT_PATH, readOnly: true },
              // The root file system is read-only; anything wanting a scratch file gets /tmp.
              { name: 'tmp', mountPath: '/tmp' },
              ...kafka.volumeMounts
            ]
          }],
          volumes: [
            { name: 'function', configMap: { name: configMapName(target.name) } },
            { name: 'tmp', emptyDir: {} },
            ...kafka.volumes
          ]
        }
      }
    }
  }
}

/** For `kubectl apply -k DIR`. */
export function kustomizationManifest (resources: string[]): Manifest {
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }
}
