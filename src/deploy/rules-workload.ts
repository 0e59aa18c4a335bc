// A rules workload for Kubernetes + KEDA, rendered like a function: a ConfigMap with the rule
// file, a Secret with where alerts go, a Deployment running `tidewatch replica RULES.yaml` (both
// stages in every pod), and the same KEDA ScaledObject on the input group's lag. Pure: the
// caller checks the rule file before and writes the files after.
import { createHash } from 'node:crypto'
import type { FunctionConfig } from '../functions/config/load.js'
import { NO_KAFKA_AUTH, type KafkaAuth } from './kafka-auth.js'
import { CONTAINER_SECURITY_CONTEXT, functionLabels, POD_SECURITY_CONTEXT, manifestMetadata, type DeployTarget, type KafkaPod, type Manifest } from './manifests.js'
import { workloadFiles, type RenderedFile } from './render-kubernetes.js'
import { scaledObjectManifest } from './scaled-object.js'

/** What the rule file does not say: the workload's input and scaling (a project file's rules: entry, or flags). */
export interface RulesDeployment {
  name: string
  topic: string
  consumerGroup: string
  startFrom: 'earliest' | 'latest'
  scale: FunctionConfig['scale']
  /** The rule file's text, as written. */
  rulesYaml: string
  /** Where the pods post alerts (Alertmanager's API), and the console alerts link to: held in the Secret. */
  alertmanagerUrl: string
  publicUrl?: string
}

export const RULES_MOUNT_PATH = '/rules'
export const RULES_FILE_KEY = 'rules.yaml'
const configMapName = (name: string): string => `${name}-rules`
const secretName = (name: string): string => `${name}-alerts`

/** The container's arguments after the image's entrypoint. */
export function rulesReplicaArgs (d: RulesDeployment, brokers: string): string[] {
  return ['replica', `${RULES_MOUNT_PATH}/${RULES_FILE_KEY}`, '--brokers', brokers, '--name', d.name, '--topic', d.topic, '--group', d.consumerGroup, '--start-from', d.startFrom]
}

function deployment (d: RulesDeployment, target: DeployTarget, configHash: string, kafka: KafkaPod): Manifest {
  const labels = functionLabels(target.name)
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: manifestMetadata(target.name, target),
    spec: {
      // KEDA owns the count above the minimum; rules keep at least one pod (they evaluate on a timer too).
      replicas: Math.max(1, d.scale.minReplicas),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { 'tidewatch/config-sha256': configHash } },
        spec: {
          // On SIGTERM a replica finishes its batch, writes its owners' last snapshots and leaves both groups.
          terminationGracePeriodSeconds: 30,
          automountServiceAccountToken: false,
          securityContext: POD_SECURITY_CONTEXT,
          containers: [{
            name: 'replica',
            image: target.image,
            args: rulesReplicaArgs(d, target.brokers),
            envFrom: [{ secretRef: { name: secretName(target.name) } }],
            ...(kafka.env.length > 0 ? { env: kafka.env } : {}),
            // Owners hold their windows in memory: a bucket per millisecond per series.
            resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { memory: '1Gi' } },
            securityContext: CONTAINER_SECURITY_CONTEXT,
            volumeMounts: [{ name: 'rules', mountPath: RULES_MOUNT_PATH, readOnly: true }, { name: 'tmp', mountPath: '/tmp' }, ...kafka.volumeMounts]
          }],
          volumes: [{ name: 'rules', configMap: { name: configMapName(target.name) } }, { name: 'tmp', emptyDir: {} }, ...kafka.volumes]
        }
      }
    }
  }
}

/** Every file of the output directory, in the order `kubectl apply` creates them. */
export function renderRulesKubernetes (d: RulesDeployment, target: DeployTarget, source: string, kafka: KafkaAuth = NO_KAFKA_AUTH): RenderedFile[] {
  const data = { [RULES_FILE_KEY]: d.rulesYaml }
  const secrets: Record<string, string> = { ALERTMANAGER_URL: d.alertmanagerUrl, ...(d.publicUrl !== undefined ? { TIDEWATCH_PUBLIC_URL: d.publicUrl } : {}) }
  const configHash = createHash('sha256').update(JSON.stringify(data)).digest('hex')
  return workloadFiles({
    configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: manifestMetadata(configMapName(target.name), target), data },
    secret: { apiVersion: 'v1', kind: 'Secret', metadata: manifestMetadata(secretName(target.name), target), type: 'Opaque', stringData: secrets },
    deployment: deployment(d, target, configHash, kafka.pod),
    scaledObject: scaledObjectManifest({ input: { topic: d.topic, consumerGroup: d.consumerGroup, startFrom: d.startFrom, prefilter: [] }, scale: { ...d.scale, minReplicas: Math.max(1, d.scale.minReplicas) } }, target, kafka)
  }, kafka, source)
}
