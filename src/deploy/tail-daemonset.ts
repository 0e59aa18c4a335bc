// `tidewatch deploy --kubernetes --tail`: the collection agent as a DaemonSet, one pod per
// node running `tidewatch tail` over the node's container logs. Pure: options in, files out.
// - /var/log from the host, read-only (kubelet's /var/log/pods files and /var/log/containers
//   symlinks), and /var/lib/docker/containers read-only for nodes whose symlinks point there;
// - checkpoints on a hostPath (/var/lib/tidewatch-tail), so a restarted or upgraded pod resumes
//   where the last one stopped;
// - NODE_NAME from the downward API (kubernetes.host); tolerations so every node is covered;
// - requests and limits sized for the agent's bounded buffer (--buffer-bytes, 16 MiB default).
// - with TLS or SASL, the Kafka Secret `<name>-kafka` (kafka-auth.ts) as environment and files,
//   as the function pods get it; no TriggerAuthentication (nothing scales the agent).
import { stringify } from 'yaml'
import { DEFAULT_TAIL_OPTIONS } from '../collect/options.js'
import { KAFKA_SECRET_FILE, NO_KAFKA_AUTH, type KafkaAuth } from './kafka-auth.js'

export interface TailDaemonSetOptions {
  name: string
  image: string
  brokers: string
  topic: string
  namespace?: string
  paths: string[]
  multiline: string
  format: string
  /** Serve /metrics on this container port (on the pod IP, with the token from this Secret). */
  metricsPort?: number
  checkpointsHostPath: string
  /** How the agent authenticates to Kafka (none by default); its brokers are `brokers`. */
  kafka?: Pick<KafkaAuth, 'secret' | 'pod'>
}

export const TAIL_DAEMONSET_DEFAULTS = {
  name: 'tidewatch-tail',
  topic: DEFAULT_TAIL_OPTIONS.topic,
  paths: ['/var/log/containers/*.log'],
  multiline: DEFAULT_TAIL_OPTIONS.multiline,
  format: DEFAULT_TAIL_OPTIONS.format,
  checkpointsHostPath: '/var/lib/tidewatch-tail'
}

type Obj = Record<string, unknown>

export function tailDaemonSet (o: TailDaemonSetOptions): Obj {
  const labels = { 'app.kubernetes.io/name': o.name, 'app.kubernetes.io/component': 'log-collector', 'app.kubernetes.io/managed-by': 'tidewatch' }
  const kafka = o.kafka ?? NO_KAFKA_AUTH
  const args = ['tail', '--brokers', o.brokers, '--topic', o.topic, '--checkpoints', '/var/lib/tidewatch-tail', '--format', o.format, '--multiline', o.multiline]
  const env: Obj[] = [
    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    { name: 'TIDEWATCH_LOG_LEVEL', value: 'warn' },
    ...kafka.pod.env
  ]
  if (o.metricsPort !== undefined) args.push('--port', String(o.metricsPort), '--metrics-host', '0.0.0.0', '--token-file', '/etc/tidewatch-tail/token')
  args.push(...o.paths)
  const mounts: Obj[] = [
    { name: 'varlog', mountPath: '/var/log', readOnly: true },
    { name: 'dockercontainers', mountPath: '/var/lib/docker/containers', readOnly: true },
    { name: 'checkpoints', mountPath: '/var/lib/tidewatch-tail' },
    ...kafka.pod.volumeMounts
  ]
  const volumes: Obj[] = [
    { name: 'varlog', hostPath: { path: '/var/log' } },
    { name: 'dockercontainers', hostPath: { path: '/var/lib/docker/containers' } },
    { name: 'checkpoints', hostPath: { path: o.checkpointsHostPath, type: 'DirectoryOrCreate' } },
    ...kafka.pod.volumes
  ]
  if (o.metricsPort !== undefined) {
    mounts.push({ name: 'token', mountPath: '/etc/tidewatch-tail', readOnly: true })
    volumes.push({ name: 'token', secret: { secretName: `${o.name}-metrics-token` } })
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: o.name, ...(o.namespace !== undefined ? { namespace: o.namespace } : {}), labels },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': o.name } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels },
        spec: {
          // Every node, tainted ones (control plane, dedicated pools) included.
          tolerations: [{ operator: 'Exists' }],
          priorityClassName: 'system-node-critical',
          terminationGracePeriodSeconds: 30,
          containers: [{
            name: 'tail',
            image: o.image,
            args,
            env,
            ...(o.metricsPort !== undefined ? { ports: [{ name: 'metrics', containerPort: o.metricsPort }] } : {}),
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
            // Root to read kubelet's root-owned 0640 log files; nothing else.
            securityContext: { runAsUser: 0, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            volumeMounts: mounts
          }],
          volumes
        }
      }
    }
  }
}

/** The files of the output directory: kafka-secret.yaml (with TLS or SASL), daemonset.yaml and kustomization.yaml. */
export function renderTailDaemonSet (o: TailDaemonSetOptions): { name: string, text: string, secret: boolean }[] {
  const head = '# Rendered by tidewatch deploy --kubernetes --tail; render again rather than editing.\n'
  const yaml = (doc: Obj): string => head + stringify(doc, { version: '1.1', lineWidth: 0 })
  const secret = o.kafka?.secret ?? null
  const files = [
    ...(secret !== null ? [{ name: KAFKA_SECRET_FILE, text: yaml(secret), secret: true }] : []),
    { name: 'daemonset.yaml', text: yaml(tailDaemonSet(o)), secret: false }
  ]
  const resources = files.map(f => f.name)
  return [...files, { name: 'kustomization.yaml', text: yaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }), secret: false }]
}
